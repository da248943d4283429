"""A bad checkpoint or tokenizer file is a clear error that names the file and the problem."""

from __future__ import annotations

import io
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


def _trained(seed: int) -> tuple[TransformerLM, torch.optim.Optimizer, torch.Generator]:
    torch.manual_seed(seed)
    model = TransformerLM.from_config(TINY)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.zeros(1, 4, dtype=torch.long)).sum().backward()
    optimizer.step()
    return model, optimizer, torch.Generator().manual_seed(seed)


def _same_state(a: tuple, b: tuple) -> bool:
    (model_a, opt_a, gen_a), (model_b, opt_b, gen_b) = a, b
    params = zip(model_a.parameters(), model_b.parameters(), strict=True)
    return torch.equal(gen_a.get_state(), gen_b.get_state()) and all(
        torch.equal(p, q) and torch.equal(opt_a.state[p]["exp_avg"], opt_b.state[q]["exp_avg"]) for p, q in params
    )


@pytest.mark.parametrize("target", ["path", "str", "open_file", "bytes_io"])
def test_paths_and_binary_file_objects_round_trip(tmp_path: Path, target: str) -> None:
    """Like torch.save/torch.load: a path (Path or str) or a file object opened in binary mode."""
    saved, loaded = _trained(0), _trained(1)
    assert not _same_state(saved, loaded)
    file = tmp_path / "ckpt.pt"
    if target in ("path", "str"):
        where = file if target == "path" else str(file)
        assert save_checkpoint(where, saved[0], saved[1], step=5, generators={"g": saved[2]}) == file
        info = load_checkpoint(where, loaded[0], loaded[1], generators={"g": loaded[2]})
    elif target == "open_file":
        with open(file, "wb") as f:
            assert save_checkpoint(f, saved[0], saved[1], step=5, generators={"g": saved[2]}) is f
        with open(file, "rb") as f:
            info = load_checkpoint(f, loaded[0], loaded[1], generators={"g": loaded[2]})
    else:
        buffer = io.BytesIO()
        save_checkpoint(buffer, saved[0], saved[1], step=5, generators={"g": saved[2]})
        buffer.seek(0)
        info = load_checkpoint(buffer, loaded[0], loaded[1], generators={"g": loaded[2]})
        buffer.seek(0)
        assert load_model(buffer)[1].step == 5
    assert info.step == 5 and info.model_config == TINY
    assert _same_state(saved, loaded)


def test_a_text_mode_file_is_refused_by_name(tmp_path: Path, good: Path) -> None:
    model = TransformerLM.from_config(TINY)
    with open(tmp_path / "out.pt", "w") as f, pytest.raises(ValueError, match=r"out.pt is open in text mode.*'wb'"):
        save_checkpoint(f, model)
    with open(good) as f, pytest.raises(ValueError, match=r"good.pt is open in text mode.*'rb'"):
        load_checkpoint(f, model)
    with pytest.raises(ValueError, match=r"StringIO object is open in text mode"):
        load_model(io.StringIO("not a checkpoint"))


def test_a_file_open_the_wrong_way_is_named(tmp_path: Path, good: Path) -> None:
    model = TransformerLM.from_config(TINY)
    with open(tmp_path / "out.pt", "wb") as f, pytest.raises(ValueError, match="out.pt is not open for reading"):
        load_checkpoint(f, model)
    with open(good, "rb") as f, pytest.raises(ValueError, match="good.pt is not open for writing"):
        save_checkpoint(f, model)
    with pytest.raises(ValueError, match="expected a path or a binary file object, got int"):
        load_checkpoint(3, model)  # type: ignore[arg-type]


def test_a_missing_path_and_an_empty_file_object_are_named(tmp_path: Path) -> None:
    model = TransformerLM.from_config(TINY)
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*nowhere.pt"):
        load_checkpoint(str(tmp_path / "nowhere.pt"), model)
    with pytest.raises(ValueError, match="BytesIO object is empty"):
        load_checkpoint(io.BytesIO(), model)
    (tmp_path / "empty.pt").touch()
    with open(tmp_path / "empty.pt", "rb") as f, pytest.raises(ValueError, match="empty.pt is empty"):
        load_model(f)


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
