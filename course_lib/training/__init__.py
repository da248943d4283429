"""Training utilities: AdamW, the learning-rate schedule, clipping, data, checkpoints, the loop.

* :mod:`~course_lib.training.optim`: ``AdamW``, ``clip_grad_norm_``, ``param_groups``.
* :mod:`~course_lib.training.schedule`: ``cosine_schedule`` (linear warm-up, cosine decay).
* :mod:`~course_lib.training.data`: ``get_batch`` from a memory-mapped token array; ``bigram_loss``.
* :mod:`~course_lib.training.checkpoint`: ``save_checkpoint`` / ``load_checkpoint`` / ``load_model``.
* :mod:`~course_lib.training.loop`: ``TrainConfig``, ``train`` (a loop over ``train_step``), ``evaluate``, ``TrainResult``.
* :mod:`~course_lib.training.corpus`: ``tokenized_corpus`` (the embedded stories, BPE-tokenized, cached).
* :mod:`~course_lib.training.presets`: ``PRESETS`` for ``course train --preset``.
"""

from course_lib.training.checkpoint import Checkpoint, load_checkpoint, load_model, save_checkpoint
from course_lib.training.corpus import TokenizedCorpus, load_tokenizer, tokenized_corpus
from course_lib.training.data import bigram_loss, get_batch, load_tokens, save_tokens
from course_lib.training.loop import LogEntry, TrainConfig, TrainResult, evaluate, lm_loss, train, train_step
from course_lib.training.optim import AdamW, clip_grad_norm_, param_groups
from course_lib.training.presets import PRESETS, Preset
from course_lib.training.schedule import cosine_schedule

__all__ = [
    "AdamW",
    "clip_grad_norm_",
    "param_groups",
    "cosine_schedule",
    "get_batch",
    "save_tokens",
    "load_tokens",
    "bigram_loss",
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "load_model",
    "TrainConfig",
    "LogEntry",
    "TrainResult",
    "train",
    "train_step",
    "evaluate",
    "lm_loss",
    "TokenizedCorpus",
    "tokenized_corpus",
    "load_tokenizer",
    "Preset",
    "PRESETS",
]
