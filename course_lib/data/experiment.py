"""The experiment that shows data matters: the same model, the same number of training tokens,
raw crawl text against the cleaned crawl, validation loss on clean held-out text.

    result = run_experiment(n_pages=600, steps=150)
    result["raw"]["final_val_loss"], result["filtered"]["final_val_loss"]

Both corpora come from one crawl: ``raw`` is every page through the naive extractor (what a
pipeline without cleaning trains on); ``filtered`` is :func:`~course_lib.data.pipeline.run_pipeline`'s
output. Validation text is reference-quality English the crawl never contains. Tokens are UTF-8
bytes (vocabulary 256), so neither corpus is favoured by a tokenizer trained on it, and the loss
is in nats per byte. ``course data-experiment`` runs it and writes the JSON the notebook reads.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from course_lib.data.crawl import make_crawl, reference_texts
from course_lib.data.extract import naive_extract
from course_lib.data.pipeline import PipelineConfig, run_pipeline

__all__ = ["byte_tokens", "experiment_corpora", "train_on", "run_experiment"]


def byte_tokens(texts: list[str]) -> npt.NDArray[np.uint16]:
    """UTF-8 bytes of the texts, separated by a blank line, as a (n_tokens,) uint16 array."""
    return np.frombuffer("\n\n".join(texts).encode("utf-8"), dtype=np.uint8).astype(np.uint16)


def experiment_corpora(n_pages: int, seed: int = 0, n_val: int = 60) -> dict[str, list[str]]:
    """``raw``, ``filtered`` and ``val`` texts from a crawl of ``n_pages`` pages."""
    crawl = make_crawl(n_pages, seed, n_reference=0)
    raw = [naive_extract(p.html) for p in crawl.pages]
    kept, _ = run_pipeline([(p.url, p.html) for p in crawl.pages], PipelineConfig())
    val = reference_texts(n_val, seed + 1000)
    return {"raw": raw, "filtered": [t for _, t in kept], "val": val}


def train_on(
    train: npt.NDArray[np.uint16],
    val: npt.NDArray[np.uint16],
    steps: int,
    seed: int = 0,
    batch_size: int = 16,
    context: int = 128,
) -> dict[str, Any]:
    """Train a small course Transformer (d_model 64, 2 layers, byte vocabulary) for ``steps``
    steps of ``batch_size x context`` tokens; returns its validation curve and final loss."""
    from course_lib.model import TransformerLM
    from course_lib.training import TrainConfig
    from course_lib.training import train as train_model

    if len(train) <= context + 1 or len(val) <= context + 1:
        raise ValueError(f"need more than context + 1 = {context + 1} tokens, got train {len(train)}, val {len(val)}")
    torch.manual_seed(seed)
    model = TransformerLM(vocab_size=256, context_length=context, d_model=64, num_layers=2, num_heads=4, d_ff=192)
    config = TrainConfig(
        max_steps=steps,
        batch_size=batch_size,
        max_lr=3e-3,
        min_lr=3e-4,
        warmup_steps=min(20, steps // 5),
        eval_interval=max(steps // 5, 1),
        eval_batches=8,
        seed=seed,
    )
    result = train_model(model, train, val, config, progress=False)
    return {
        "final_val_loss": result.final_val_loss,
        "val_curve": result.val_curve,
        "tokens": steps * batch_size * context,
        "train_tokens_available": int(len(train)),
    }


def run_experiment(n_pages: int = 600, steps: int = 150, seed: int = 0) -> dict[str, Any]:
    """Raw against filtered at equal training tokens; a JSON-able dict with both runs, the corpus
    sizes and the settings."""
    start = time.perf_counter()
    corpora = experiment_corpora(n_pages, seed)
    val = byte_tokens(corpora["val"])
    out: dict[str, Any] = {"n_pages": n_pages, "steps": steps, "seed": seed}
    for name in ("raw", "filtered"):
        tokens = byte_tokens(corpora[name])
        out[name] = {"documents": len(corpora[name]), "bytes": int(len(tokens)), **train_on(tokens, val, steps, seed)}
    out["seconds"] = time.perf_counter() - start
    return out
