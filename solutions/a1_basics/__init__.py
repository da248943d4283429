"""Assignment 1: basics. Part 1 a byte-level BPE tokenizer; part 2 a Transformer LM and its training."""
