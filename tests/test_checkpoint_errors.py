"""A bad checkpoint or tokenizer file is a clear error that names the file and the problem."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from course_lib.model import ModelConfig, TransformerLM
from course_lib.tokenization.files import read_vocab_merges
from course_lib.training import load_checkpoint, load_model, save_checkpoint

TINY = ModelConfig(vocab_size=64, context_length=16, d_model=16, num_layers=1, num_heads=2, d_ff=32)
OTHER = ModelConfig(vocab_size=64, context_length=16, d_model=32, num_layers=1, num_heads=2, d_ff=32)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(tmp_path / "good.pt", TransformerLM.from_config(TINY), step=3)


def test_a_good_checkpoint_loads(good: Path) -> None:
    model, info = load_model(good)
    assert info.step == 3 and model.config == TINY


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda data: b"", "is empty"),
        (lambda data: data[: len(data) // 2], "is not a readable checkpoint"),
        (lambda data: os.urandom(len(data)), "is not a readable checkpoint"),
    ],
    ids=["empty", "truncated", "random_bytes"],
)
def test_a_damaged_file_is_named(good: Path, make, problem: str) -> None:  # noqa: ANN001
    bad = good.with_name("bad.pt")
    bad.write_bytes(make(good.read_bytes()))
    with pytest.raises(ValueError, match=f"bad.pt {problem}"):
        load_model(bad)
    with pytest.raises(ValueError, match=f"bad.pt {problem}"):
        load_checkpoint(bad, TransformerLM.from_config(TINY))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*nowhere.pt"):
        load_model(tmp_path / "nowhere.pt")


def test_metadata_that_contradicts_the_tensors_is_named(good: Path) -> None:
    blob = torch.load(good, weights_only=True)
    meta = json.loads(blob["metadata"])
    meta["model_config"]["d_model"] = 32  # the tensors are 16 wide
    torch.save({"metadata": json.dumps(meta), "tensors": blob["tensors"]}, good.with_name("lies.pt"))
    with pytest.raises(ValueError, match=r"lies.pt: its weights do not fit.*another shape.*metadata contradicts"):
        load_model(good.with_name("lies.pt"))
    torch.save({"metadata": "{not json", "tensors": blob["tensors"]}, good.with_name("garbled.pt"))
    with pytest.raises(ValueError, match="garbled.pt: the checkpoint's metadata is not valid JSON"):
        load_model(good.with_name("garbled.pt"))


def test_a_checkpoint_of_another_configuration_is_named(good: Path) -> None:
    with pytest.raises(ValueError, match=r"good.pt: its weights do not fit the model.*another shape"):
        load_checkpoint(good, TransformerLM.from_config(OTHER))


def test_someone_elses_pickle_is_not_a_course_checkpoint(tmp_path: Path) -> None:
    torch.save({"weight": torch.zeros(2)}, tmp_path / "state.pt")
    with pytest.raises(ValueError, match="state.pt is not a course checkpoint"):
        load_model(tmp_path / "state.pt")


def test_tokenizer_file_with_a_duplicate_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": 1, "a": 2}', encoding="utf-8")
    (tmp_path / "merges.txt").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match=r"vocab.json: the token 'a' appears twice \(ids 0 and 2\)"):
        read_vocab_merges(tmp_path / "vocab.json", tmp_path / "merges.txt")


@pytest.mark.parametrize("which", ["vocab.json", "merges.txt"])
def test_undecodable_tokenizer_file_is_named(tmp_path: Path, which: str) -> None:
    (tmp_path / "vocab.json").write_text('{"a": 0}', encoding="utf-8")
    (tmp_path / "merges.txt").write_text("", encoding="utf-8")
    (tmp_path / which).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match=f"{which} is not UTF-8 text"):
        read_vocab_merges(tmp_path / "vocab.json", tmp_path / "merges.txt")
