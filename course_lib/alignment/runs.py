"""The committed alignment runs (``course align``): an SFT of the course base model on the
instruction set, and GRPO runs on the verifiable arithmetic task (with an ablation), whose logs and
SFT weights ship in ``course_lib/alignment/runs/`` so that lecture 10 can start from them.

Regenerate with ``course align`` (a few minutes on one CPU thread); ``course align --quick``
runs a few steps of each only, to check that the pipeline works. The runs are seeded and use one
thread: the same machine reproduces the same weights and logs bit for bit.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from course_lib.alignment.loops import RLConfig, accuracy, train_grpo, train_sft
from course_lib.alignment.tasks import Example, exact_match_reward, make_examples

__all__ = [
    "RUNS_DIR",
    "SFT_WEIGHTS",
    "LOG_FILE",
    "GRPO_CONFIG",
    "SFT_STEPS",
    "arithmetic_reward",
    "load_runs",
    "load_sft_model",
    "run_alignment",
]

RUNS_DIR = Path(__file__).parent / "runs"
SFT_WEIGHTS = "sft_model.safetensors"
LOG_FILE = "runs.json"
SFT_STEPS = 300
TRAIN_SEED, TEST_SEED, POOL_SEED, HELD_OUT_SEED = 1, 2, 3, 4
GRPO_CONFIG = RLConfig(steps=40, prompts_per_step=8, group_size=8, lr=1e-4, max_new_tokens=4, epochs_per_rollout=2)


def arithmetic_reward(examples: list[Example], responses: list[str]) -> torch.Tensor:
    """The verifiable reward of a batch: 1 for each exactly right answer. -> (B,)"""
    return torch.tensor([exact_match_reward(r, e.answer) for e, r in zip(examples, responses)])


def load_runs(directory: str | Path = RUNS_DIR) -> dict[str, Any]:
    """The committed log: ``{"sft": {...}, "grpo": {...}, "grpo_no_std": {...}, ...}``."""
    path = Path(directory) / LOG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `course align` to create it")
    return json.loads(path.read_text(encoding="utf-8"))


def load_sft_model(directory: str | Path = RUNS_DIR) -> tuple[nn.Module, Any]:
    """The course base model with the committed SFT weights (stored in bfloat16, loaded as float32),
    and its tokenizer."""
    from safetensors.torch import load_file

    from course_lib.pretrained import load_pretrained

    path = Path(directory) / SFT_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `course align` to create it")
    pm = load_pretrained("base")
    pm.model.load_state_dict({k: v.float() for k, v in load_file(path).items()})
    return pm.model.eval(), pm.tokenizer


def run_alignment(out: str | Path = RUNS_DIR, *, quick: bool = False, progress: bool = True) -> dict[str, Any]:
    """SFT the base model, save it, then run GRPO from it (standard, and without the division by the
    group's standard deviation). Writes ``SFT_WEIGHTS`` and ``LOG_FILE`` into ``out``; returns the log."""
    from safetensors.torch import save_file

    from course_lib.pretrained import load_pretrained

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    pm = load_pretrained("base")
    model, tok = pm.model, pm.tokenizer
    test = make_examples(30 if quick else 150, seed=TEST_SEED)
    steps = 3 if quick else SFT_STEPS
    start = time.perf_counter()
    before = accuracy(model, tok, test)
    sft_log = train_sft(model, tok, make_examples(3000, seed=TRAIN_SEED), steps, batch_size=32, lr=2e-3, seed=0)
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}, out / SFT_WEIGHTS)
    model.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()})
    log: dict[str, Any] = {
        "command": "course align" + (" --quick" if quick else ""),
        "sft": {
            "steps": steps,
            "batch_size": 32,
            "lr": 2e-3,
            "accuracy_before": before,
            "accuracy_after": accuracy(model, tok, test),
            "log": sft_log,
            "seconds": time.perf_counter() - start,
        },
    }
    pool = make_examples(2000, seed=POOL_SEED, kinds=("arithmetic",))
    held_out = make_examples(30 if quick else 100, seed=HELD_OUT_SEED, kinds=("arithmetic",))
    base_config = replace(GRPO_CONFIG, steps=2) if quick else GRPO_CONFIG
    for name, config in (("grpo", base_config), ("grpo_no_std", replace(base_config, normalize_by_std=False))):
        policy = copy.deepcopy(model)
        start = time.perf_counter()
        grpo_log = train_grpo(
            policy,
            tok,
            pool,
            arithmetic_reward,
            config,
            progress=progress,
            evaluate=lambda m: accuracy(m, tok, held_out)["all"],
            eval_interval=5,
        )
        log[name] = {"config": asdict(config), "log": grpo_log, "seconds": time.perf_counter() - start}
    (out / LOG_FILE).write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")
    return log
