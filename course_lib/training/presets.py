"""Named model + training configurations for ``course train --preset NAME``.

``tiny`` is sized for a 2-core laptop CPU (minutes); ``small`` for a patient CPU or any GPU;
``gpu`` for a data-centre GPU in bf16 (the preset whose MFU ``benchmarks/training.py`` reports).
``base`` and ``draft`` are the course's shipped models (``course pretrain`` trains both; lectures 08-10
load them with :func:`course_lib.pretrained.load_pretrained`): one tokenizer, a 512-token context, and
grouped-query attention in ``base`` so the KV cache has something to teach.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.model.config import ModelConfig
from course_lib.training.loop import TrainConfig

__all__ = ["Preset", "PRESETS"]


@dataclass(frozen=True)
class Preset:
    """A model, a training run and the corpus size (MB of embedded stories) it trains on."""

    name: str
    description: str
    model: ModelConfig
    train: TrainConfig
    corpus_megabytes: float


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="tiny",
            description="1M parameters, 2 MB of stories, a few minutes on a 2-core CPU",
            model=ModelConfig(vocab_size=1024, context_length=128, d_model=128, num_layers=4, num_heads=4, d_ff=384),
            train=TrainConfig(
                max_steps=600,
                batch_size=32,
                max_lr=3e-3,
                min_lr=3e-4,
                warmup_steps=30,
                eval_interval=100,
                eval_batches=8,
            ),
            corpus_megabytes=2.0,
        ),
        Preset(
            name="small",
            description="7M parameters, 8 MB of stories, about an hour on a laptop CPU, minutes on a GPU",
            model=ModelConfig(
                vocab_size=4096, context_length=256, d_model=256, num_layers=6, num_heads=8, d_ff=768, num_kv_heads=4
            ),
            train=TrainConfig(
                max_steps=2000, batch_size=32, max_lr=2e-3, min_lr=2e-4, warmup_steps=100, eval_interval=250
            ),
            corpus_megabytes=8.0,
        ),
        Preset(
            name="base",
            description="the course base model: 1.3M parameters, 512-token context, GQA; 8 MB of stories",
            model=ModelConfig(
                vocab_size=2048, context_length=512, d_model=128, num_layers=4, num_heads=4, d_ff=384, num_kv_heads=2
            ),
            train=TrainConfig(
                max_steps=800,
                batch_size=16,
                max_lr=3e-3,
                min_lr=3e-4,
                warmup_steps=40,
                eval_interval=100,
                eval_batches=8,
            ),
            corpus_megabytes=8.0,
        ),
        Preset(
            name="draft",
            description="the draft model for speculative decoding: base's tokenizer, 4x narrower, half the layers",
            model=ModelConfig(
                vocab_size=2048, context_length=512, d_model=64, num_layers=2, num_heads=2, d_ff=192, num_kv_heads=1
            ),
            train=TrainConfig(
                max_steps=600,
                batch_size=16,
                max_lr=3e-3,
                min_lr=3e-4,
                warmup_steps=30,
                eval_interval=100,
                eval_batches=8,
            ),
            corpus_megabytes=8.0,
        ),
        Preset(
            name="gpu",
            description="100M parameters, 32 MB of stories, bf16; for a data-centre GPU",
            model=ModelConfig(
                vocab_size=8192, context_length=512, d_model=768, num_layers=12, num_heads=12, d_ff=2048, num_kv_heads=4
            ),
            train=TrainConfig(
                max_steps=2000,
                batch_size=64,
                max_lr=1e-3,
                min_lr=1e-4,
                warmup_steps=100,
                eval_interval=250,
                precision="bf16",
            ),
            corpus_megabytes=32.0,
        ),
    )
}
