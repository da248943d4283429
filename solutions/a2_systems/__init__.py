"""Assignment 2: systems. Part 1 FlashAttention-2 (PyTorch, Triton); part 2 data parallelism, ZeRO-1 and FSDP."""
