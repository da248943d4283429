"""An architecture ablation at equal training compute: multi-head against multi-query attention.

Two models that differ only in their number of key/value heads are trained on the embedded stories
for the same number of training FLOPs (``accounting.training_flops`` per step, so the cheaper MQA
model takes a few more steps), from two seeds each, and their validation losses are logged against
the FLOPs spent. Lecture 03 plots the committed result::

    python -m course_lib.training.ablation --out notebooks/data/ablation_mha_mqa.json

writes that file (about 5 minutes on an idle 2-core CPU, single-threaded).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch

from course_lib import accounting
from course_lib.model import ModelConfig, TransformerLM
from course_lib.training.corpus import tokenized_corpus
from course_lib.training.loop import TrainConfig, train

__all__ = ["ABLATION_MODEL", "ABLATION_TRAIN", "VARIANTS", "run_ablation"]

ABLATION_MODEL = ModelConfig(vocab_size=1024, context_length=128, d_model=128, num_layers=4, num_heads=8, d_ff=384)
"""The MHA model; the MQA variant sets ``num_kv_heads=1``."""
ABLATION_TRAIN = TrainConfig(
    max_steps=300, batch_size=16, max_lr=3e-3, min_lr=3e-4, warmup_steps=20, eval_interval=50, eval_batches=8
)
"""The MHA run; the MQA run gets as many steps as the same FLOPs buy (schedule stretched to match)."""
VARIANTS = {"MHA (8 K/V heads)": 8, "MQA (1 K/V head)": 1}


def run_ablation(seeds: tuple[int, ...] = (0, 1), megabytes: float = 2.0) -> dict[str, Any]:
    """Train every variant from every seed at the MHA run's training FLOPs; return the log (JSON-able)."""
    torch.set_num_threads(1)
    corpus = tokenized_corpus(ABLATION_MODEL.vocab_size, megabytes)
    mha_step = accounting.training_flops(ABLATION_MODEL, ABLATION_TRAIN.batch_size, ABLATION_MODEL.context_length)
    budget = ABLATION_TRAIN.max_steps * mha_step
    runs = []
    for name, kv_heads in VARIANTS.items():
        config = replace(ABLATION_MODEL, num_kv_heads=kv_heads)
        step_flops = accounting.training_flops(config, ABLATION_TRAIN.batch_size, config.context_length)
        steps = round(budget / step_flops)
        scale = steps / ABLATION_TRAIN.max_steps
        train_config = replace(
            ABLATION_TRAIN,
            max_steps=steps,
            warmup_steps=round(ABLATION_TRAIN.warmup_steps * scale),
            eval_interval=round(ABLATION_TRAIN.eval_interval * scale),
        )
        for seed in seeds:
            torch.manual_seed(seed)
            model = TransformerLM.from_config(config)
            start = time.perf_counter()
            result = train(model, corpus.train, corpus.val, replace(train_config, seed=seed), progress=False)
            runs.append(
                {
                    "variant": name,
                    "kv_heads": kv_heads,
                    "seed": seed,
                    "steps": steps,
                    "step_flops": step_flops,
                    "parameters": model.num_parameters(),
                    "seconds": time.perf_counter() - start,
                    "val_curve": [(s, s * step_flops, loss) for s, loss in result.val_curve],
                    "final_val_loss": result.final_val_loss,
                }
            )
    return {
        "command": "python -m course_lib.training.ablation",
        "model": ABLATION_MODEL.to_dict(),
        "train": asdict(ABLATION_TRAIN),
        "seeds": list(seeds),
        "megabytes": megabytes,
        "flops_budget": budget,
        "torch": torch.__version__,
        "load_average": os.getloadavg(),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("notebooks/data/ablation_mha_mqa.json"))
    args = parser.parse_args(argv)
    log = run_ablation()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")
    for run in log["runs"]:
        print(
            f"{run['variant']:20s} seed {run['seed']}: {run['steps']} steps, val {run['final_val_loss']:.4f}, {run['seconds']:.0f} s"
        )
    assert all(math.isfinite(r["final_val_loss"]) for r in log["runs"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
