"""Checkpoints that resume bit-exactly and load without executing pickled code.

One file holds a dict of plain tensors and one JSON string, written with ``torch.save`` and read with
``torch.load(weights_only=True)``, whose unpickler only accepts tensors and built-in containers
(no arbitrary code). Like ``torch.save``/``torch.load``, both functions take a path or a file object
opened in binary mode (``open(path, "wb")``, ``io.BytesIO()``). Contents:

* ``model.<state-dict name>``: the model's parameters;
* ``optim.<parameter name>.<key>``: the optimizer's per-parameter tensors (AdamW's moments);
* ``rng.<name>``: states of ``torch.Generator`` objects (e.g. the batch sampler's);
* the JSON ``metadata``: step, model config, the optimizer's hyperparameters and its non-tensor
  state (AdamW's per-parameter step count), and any ``extra`` the caller adds.

Restoring all of these makes the continued run take exactly the same steps as an uninterrupted one.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import torch
from torch import nn

from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "load_model"]

FORMAT = "course-checkpoint-v1"

#: Where a checkpoint is written to or read from: a path, or a file object opened in binary mode.
FileLike = str | os.PathLike[str] | IO[bytes]


@dataclass
class Checkpoint:
    """What :func:`load_checkpoint` read besides the tensors it loaded in place."""

    step: int
    model_config: ModelConfig | None
    extra: dict[str, Any] = field(default_factory=dict)


def _param_names(model: nn.Module) -> dict[int, str]:
    return {id(p): name for name, p in model.named_parameters()}


def _describe(file: FileLike) -> str:
    """How an error message names ``file``: the path, or the file object's name."""
    if isinstance(file, (str, os.PathLike)):
        return str(file)
    name = getattr(file, "name", None)
    return str(name) if isinstance(name, (str, os.PathLike)) else f"the {type(file).__name__} object"


def _check_binary(file: IO[bytes], action: str) -> None:
    """A ValueError unless ``file`` is a binary file object that can ``action`` ("read" or "write")."""
    mode = getattr(file, "mode", "b")  # gzip's is an int; only a str mode tells text from binary
    if isinstance(file, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        wanted = "rb" if action == "read" else "wb"
        raise ValueError(f"{_describe(file)} is open in text mode: open it in binary mode ({wanted!r})")
    if not hasattr(file, action):
        raise ValueError(f"expected a path or a binary file object, got {type(file).__name__} (it has no .{action}())")
    can = getattr(file, "readable" if action == "read" else "writable", None)
    if can is not None and not can():
        raise ValueError(f"{_describe(file)} is not open for {'reading' if action == 'read' else 'writing'}")


def save_checkpoint(
    path: FileLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    step: int = 0,
    generators: dict[str, torch.Generator] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path | IO[bytes]:
    """Write model, optimizer, generator states and ``step`` to ``path`` and return it.

    ``path`` is a file path (written atomically: a temporary file renamed into place, parent
    folders created) or a binary file object, written from its current position.
    """
    tensors: dict[str, torch.Tensor] = {f"model.{k}": v.detach().cpu().clone() for k, v in model.state_dict().items()}
    meta: dict[str, Any] = {"format": FORMAT, "step": int(step), "extra": extra or {}}
    config = getattr(model, "config", None)
    meta["model_config"] = config.to_dict() if isinstance(config, ModelConfig) else None
    if optimizer is not None:
        names = _param_names(model)
        groups, scalar_state = [], {}
        for group in optimizer.param_groups:
            hyper = {k: v for k, v in group.items() if k != "params"}
            groups.append({"hyper": hyper, "params": [names[id(p)] for p in group["params"]]})
            for p in group["params"]:
                for key, value in optimizer.state.get(p, {}).items():
                    if isinstance(value, torch.Tensor):
                        tensors[f"optim.{names[id(p)]}.{key}"] = value.detach().cpu().clone()
                    else:
                        scalar_state.setdefault(names[id(p)], {})[key] = value
        meta["optimizer"] = {"type": type(optimizer).__name__, "groups": groups, "scalar_state": scalar_state}
    for name, gen in (generators or {}).items():
        tensors[f"rng.{name}"] = gen.get_state()
    blob = {"metadata": json.dumps(meta), "tensors": tensors}
    if not isinstance(path, (str, os.PathLike)):
        _check_binary(path, "write")
        torch.save(blob, path)
        return path
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(blob, tmp)
    tmp.replace(path)
    return path


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__


def _read(file: FileLike) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Metadata and tensors of a checkpoint; a ValueError naming the file for anything else."""
    path = _describe(file)
    if isinstance(file, (str, os.PathLike)):
        source: str | os.PathLike[str] | io.BytesIO = file
        if not Path(file).is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
        empty = Path(file).stat().st_size == 0
    else:
        _check_binary(file, "read")
        data = file.read()
        if not isinstance(data, bytes):
            raise ValueError(f"{path} returned {type(data).__name__}, not bytes: open it in binary mode (rb)")
        source, empty = io.BytesIO(data), not data
    if empty:
        raise ValueError(f"{path} is empty (0 bytes): not a checkpoint")
    try:
        blob = torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if "Unsupported global" in line]
        if not lines:
            raise ValueError(
                f"{path} is not a readable checkpoint (truncated, corrupt or not written by "
                f"`course train`?): {_first_line(exc)}"
            ) from None
        raise ValueError(
            f"{path} holds pickled objects other than tensors, which a weights_only load refuses "
            f"(never unpickle a file you do not trust): {lines[0]}"
        ) from None
    except Exception as exc:  # torch raises many types for a bad file: name the file and the cause
        raise ValueError(
            f"{path} is not a readable checkpoint (truncated, corrupt or not written by "
            f"`course train`?): {_first_line(exc)}"
        ) from None
    if not isinstance(blob, dict) or "metadata" not in blob or not isinstance(blob.get("tensors"), dict):
        raise ValueError(f"{path} is not a course checkpoint (no metadata and tensors)")
    try:
        meta = json.loads(blob["metadata"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: the checkpoint's metadata is not valid JSON: {_first_line(exc)}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{path}: unknown checkpoint format {found!r} (expected {FORMAT!r})")
    if not isinstance(meta.get("step"), int):
        raise ValueError(f"{path}: the checkpoint's metadata has no integer step")
    return meta, blob["tensors"]


def _load_weights(path: str, model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """``model.load_state_dict(state)``, or a ValueError naming the file and what does not fit."""
    own = model.state_dict()
    missing = sorted(own.keys() - state.keys())
    unexpected = sorted(state.keys() - own.keys())
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in sorted(own.keys() & state.keys())
        if tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or shapes:
        problems = [f"{len(missing)} missing (e.g. {missing[0]})"] if missing else []
        problems += [f"{len(unexpected)} unexpected (e.g. {unexpected[0]})"] if unexpected else []
        problems += [f"{len(shapes)} of another shape (e.g. {shapes[0]}, checkpoint vs model)"] if shapes else []
        raise ValueError(
            f"{path}: its weights do not fit the model (a checkpoint of another configuration?): {'; '.join(problems)}"
        )
    model.load_state_dict(state, strict=True)


def load_checkpoint(
    path: FileLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    generators: dict[str, torch.Generator] | None = None,
) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``,
    ``generators``) in place; returns the step and metadata. ``path`` is a path or a binary file object."""
    meta, tensors = _read(path)
    where = _describe(path)
    model_state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    _load_weights(where, model, model_state)
    if optimizer is not None:
        saved = meta.get("optimizer")
        if saved is None:
            raise ValueError(f"{where} holds no optimizer state")
        if saved["type"] != type(optimizer).__name__ or len(saved["groups"]) != len(optimizer.param_groups):
            raise ValueError(
                f"{where}: optimizer {saved['type']} with {len(saved['groups'])} groups does not match "
                f"{type(optimizer).__name__} with {len(optimizer.param_groups)}"
            )
        names = _param_names(model)
        for group, saved_group in zip(optimizer.param_groups, saved["groups"], strict=True):
            if [names[id(p)] for p in group["params"]] != saved_group["params"]:
                raise ValueError(f"{where}: the optimizer's parameter groups differ from the saved ones")
            for key, value in saved_group["hyper"].items():
                group[key] = tuple(value) if key == "betas" else value
            for p in group["params"]:
                name = names[id(p)]
                state = dict(saved["scalar_state"].get(name, {}))
                prefix = f"optim.{name}."
                for key, value in tensors.items():
                    if key.startswith(prefix):
                        state[key[len(prefix) :]] = value.to(p.device)
                if state:
                    optimizer.state[p] = state
    for name, gen in (generators or {}).items():
        if f"rng.{name}" not in tensors:
            raise ValueError(f"{where} holds no state for generator {name!r}")
        gen.set_state(tensors[f"rng.{name}"])
    config = meta.get("model_config")
    return Checkpoint(int(meta["step"]), ModelConfig.from_dict(config) if config else None, meta.get("extra", {}))


def load_model(path: FileLike, device: torch.device | str = "cpu") -> tuple[TransformerLM, Checkpoint]:
    """Build the ``TransformerLM`` a checkpoint describes (a path or a binary file object) and load its
    weights (no optimizer)."""
    meta, tensors = _read(path)
    where = _describe(path)
    if not meta.get("model_config"):
        raise ValueError(f"{where} does not record a model config")
    try:
        model = TransformerLM.from_config(ModelConfig.from_dict(meta["model_config"]))
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"{where}: the model config it records is not valid: {_first_line(exc)}") from None
    model_state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    try:
        _load_weights(where, model, model_state)
    except ValueError as exc:
        raise ValueError(f"{exc} (the checkpoint's metadata contradicts its tensors)") from None
    info = Checkpoint(int(meta["step"]), model.config, meta.get("extra", {}))
    return model.to(device), info
