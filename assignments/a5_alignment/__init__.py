"""Assignment 5: alignment. SFT and policy-gradient primitives, DPO, LoRA. See README.md for the handout."""
