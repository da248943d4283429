"""Small checkpoints of the course model at other sizes and training lengths, for comparisons.

Lecture 09 compares the course base model with smaller and shorter-trained ones. Those are trained
here with the course training loop and committed (safetensors + JSON, a few MB in all) under
``course_lib/evaluation/checkpoints/NAME/``; ``course eval-ladder`` retrains them (bit for bit on the
same machine and thread count).

    lm = load_ladder_model("d64-s400")      # a CourseLM
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from course_lib.evaluation.lm import CourseLM
from course_lib.model import ModelConfig, TransformerLM
from course_lib.training import TrainConfig, load_tokenizer, tokenized_corpus, train

__all__ = ["LadderSpec", "LADDER", "CHECKPOINTS", "train_ladder_model", "load_ladder_model"]

CHECKPOINTS = Path(__file__).parent / "checkpoints"


@dataclass(frozen=True)
class LadderSpec:
    """A checkpoint: its model, how long it trains, and the tokenized corpus it trains on."""

    name: str
    model: ModelConfig
    steps: int
    corpus_vocab: int = 2048
    corpus_megabytes: float = 8.0
    batch_size: int = 16
    max_lr: float = 3e-3


def _small(vocab: int) -> ModelConfig:
    return ModelConfig(
        vocab_size=vocab, context_length=256, d_model=64, num_layers=2, num_heads=4, d_ff=192, num_kv_heads=2
    )


LADDER: dict[str, LadderSpec] = {
    s.name: s
    for s in (
        LadderSpec("d64-s100", _small(2048), steps=100),
        LadderSpec("d64-s400", _small(2048), steps=400),
        LadderSpec("d64-v512-s1200", _small(512), steps=1200, corpus_vocab=512, corpus_megabytes=2.0),
    )
}


def train_ladder_model(name: str, out_dir: Path = CHECKPOINTS, *, progress: bool = True) -> Path:
    """Train checkpoint ``name`` of :data:`LADDER` from seed 0 and write it to ``out_dir/name/``:
    ``model.safetensors``, ``config.json`` (model config, training summary), ``vocab.json``, ``merges.txt``."""
    from safetensors.torch import save_file

    if name not in LADDER:
        raise ValueError(f"unknown ladder checkpoint {name!r}: expected one of {sorted(LADDER)}")
    spec = LADDER[name]
    corpus = tokenized_corpus(spec.corpus_vocab, spec.corpus_megabytes)
    torch.manual_seed(0)
    model = TransformerLM.from_config(spec.model)
    config = TrainConfig(
        max_steps=spec.steps,
        batch_size=spec.batch_size,
        max_lr=spec.max_lr,
        min_lr=spec.max_lr / 10,
        warmup_steps=min(30, spec.steps // 4),
        eval_interval=0,
        eval_batches=8,
    )
    result = train(model, corpus.train, corpus.val, config, progress=progress)
    folder = out_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"))
    corpus.tokenizer.save(folder)
    info = {
        "model": spec.model.to_dict(),
        "train": {k: v for k, v in asdict(spec).items() if k != "model"},
        "parameters": model.num_parameters(),
        "tokens": spec.steps * spec.batch_size * spec.model.context_length,
        "final_val_loss": result.final_val_loss,
        "command": f"course eval-ladder --only {name}",
    }
    (folder / "config.json").write_text(json.dumps(info, indent=1) + "\n")
    return folder


def load_ladder_model(name: str, directory: Path = CHECKPOINTS) -> CourseLM:
    """The committed checkpoint ``name`` as a :class:`~course_lib.evaluation.lm.CourseLM` (eval mode, CPU)."""
    from safetensors.torch import load_file

    folder = directory / name
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"no checkpoint {name!r} in {directory} (run `course eval-ladder --only {name}`)")
    info = json.loads((folder / "config.json").read_text())
    model = TransformerLM.from_config(ModelConfig.from_dict(info["model"]))
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    return CourseLM(model.eval(), load_tokenizer(folder), name=name)
