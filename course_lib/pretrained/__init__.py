"""The course's shipped models: ``base`` (lectures 08-10 start from it) and ``draft`` (speculative decoding).

    from course_lib.pretrained import load_pretrained
    pm = load_pretrained("base")
    pm.model, pm.tokenizer, pm.config, pm.info

Each model is a folder beside this file: ``model.safetensors`` (the weights, no pickle),
``config.json`` (the :class:`~course_lib.model.ModelConfig`), ``vocab.json`` + ``merges.txt``
(the BPE tokenizer, GPT-2's format, shared by both models), ``train_log.json`` (how it was trained:
the command, the configuration, every step's loss, the validation curve) and ``loss_curve.png``.
``course pretrain`` rebuilds them (:func:`save_pretrained` writes a folder).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from course_lib.corpora import EOT
from course_lib.model import ModelConfig, TransformerLM
from course_lib.tokenization import Tokenizer

__all__ = ["NAMES", "PretrainedModel", "pretrained_dir", "load_pretrained", "save_pretrained"]

NAMES = ("base", "draft")
"""The models the course ships."""

_FILES = ("model.safetensors", "config.json", "vocab.json", "merges.txt", "train_log.json")


@dataclass
class PretrainedModel:
    """A shipped model: the network (eval mode, fp32), its tokenizer, its shape and its training record."""

    name: str
    model: TransformerLM
    tokenizer: Tokenizer
    config: ModelConfig
    info: dict[str, Any]

    @property
    def eot_id(self) -> int:
        """The id of ``<|endoftext|>``, which separates the stories the model was trained on."""
        return self.tokenizer.special_ids[EOT]


def pretrained_dir(name: str) -> Path:
    """The folder of the shipped model ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"unknown pretrained model {name!r}; the course ships {', '.join(NAMES)}")
    return Path(__file__).resolve().parent / name


def load_pretrained(
    name: str = "base", directory: str | Path | None = None, device: torch.device | str = "cpu"
) -> PretrainedModel:
    """Load the shipped model ``name`` (or the one saved in ``directory`` by :func:`save_pretrained`).

    Raises ``FileNotFoundError`` naming the missing file and the command that rebuilds it.
    """
    from safetensors.torch import load_file

    folder = Path(directory) if directory is not None else pretrained_dir(name)
    for file in _FILES:
        if not (folder / file).is_file():
            raise FileNotFoundError(f"{folder / file} is missing; rebuild the course models with `course pretrain`")
    config = ModelConfig.from_dict(json.loads((folder / "config.json").read_text(encoding="utf-8")))
    model = TransformerLM.from_config(config)
    state = load_file(folder / "model.safetensors")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{folder / 'model.safetensors'} does not match {folder / 'config.json'}: {exc}") from exc
    tokenizer = Tokenizer.from_files(folder / "vocab.json", folder / "merges.txt", [EOT])
    if tokenizer.vocab_size != config.vocab_size:
        raise ValueError(f"{folder}: the tokenizer has {tokenizer.vocab_size} ids, the model {config.vocab_size}")
    info = json.loads((folder / "train_log.json").read_text(encoding="utf-8"))
    return PretrainedModel(name, model.to(device).eval(), tokenizer, config, info)


def save_pretrained(
    directory: str | Path, model: TransformerLM, tokenizer_dir: str | Path, info: dict[str, Any]
) -> Path:
    """Write ``model`` (weights as safetensors, config as JSON), the tokenizer files found in
    ``tokenizer_dir`` and the training record ``info`` into ``directory``; returns the folder."""
    from safetensors.torch import save_file

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, folder / "model.safetensors", metadata={"format": "course-pretrained-v1"})
    (folder / "config.json").write_text(json.dumps(model.config.to_dict(), indent=1) + "\n", encoding="utf-8")
    for file in ("vocab.json", "merges.txt"):
        (folder / file).write_bytes((Path(tokenizer_dir) / file).read_bytes())
    (folder / "train_log.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return folder
