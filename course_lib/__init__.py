"""course_lib: the companion library of "Language models from scratch", one package per lecture.

======  ======================  ==================================================================
 #      module                  the lecture's topic
======  ======================  ==================================================================
 00     ``env``                 the machine: device, seeds, threads, Triton's mode
 01     ``tokenization``        Unicode, bytes, byte-level BPE training and encoding
 02     ``accounting``          parameters, FLOPs, memory, MFU: napkin math checked by measurement
 02b    ``training``            AdamW, schedules, clipping, data loading, checkpoints, the loop
 03     ``model``               the Transformer LM: RMSNorm, RoPE, SwiGLU, attention variants, MoE
 04     ``kernels``, ``bench``  Triton kernels, FlashAttention-2; timing done right
 05     ``parallel``            collectives, DDP, ZeRO/FSDP, tensor/pipeline/expert parallelism
 06     ``scaling``             power laws, IsoFLOP, parametric fits, compute-optimal allocation
 07     ``data``                extraction, filtering, PII, exact and MinHash deduplication
 08     ``inference``           KV cache, sampling, batching, speculative decoding, quantization
 09     ``evaluation``          perplexity, benchmark scoring, statistics, contamination
 10     ``alignment``           SFT, reward models, DPO, PPO/GRPO, LoRA
======  ======================  ==================================================================

Shared by the lectures: ``corpora`` (the text every lecture trains and tests on) and
``pretrained`` (the course's shipped base and draft models, lectures 08-10). The course's tooling
(the ``course`` command, the autograder, ``course release``, notebook execution, the syllabus) is
apart, in ``course_lib.tools``.

Importing the package configures Triton's execution mode first (compiled on CUDA, interpreter
elsewhere), because Triton reads that setting once, when it is first imported; and, when torch is
not imported yet, OpenMP's wait policy (passive: waiting threads sleep), which OpenMP also reads
only once.
"""

import os as _os
import sys as _sys

if "torch" not in _sys.modules:
    # OpenMP threads that wait for each other sleep instead of spinning, so that other work on the
    # machine slows PyTorch down in proportion, not many times over (see course_lib.env). OpenMP
    # reads this once, when torch loads it; a value already set is kept.
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from course_lib.env import configure_triton_mode as _configure_triton_mode  # noqa: E402

_configure_triton_mode()

__version__ = "0.1.0"
