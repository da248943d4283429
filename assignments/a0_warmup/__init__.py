"""Assignment 0: a PyTorch warm-up. See README.md for the handout."""
