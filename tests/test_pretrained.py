"""The shipped course models (course_lib.pretrained): they load, they are the models their training
record describes, and `course pretrain` is deterministic."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.corpora import embedded_corpus
from course_lib.pretrained import NAMES, load_pretrained, pretrained_dir
from course_lib.training import PRESETS, evaluate


@pytest.fixture(scope="module")
def val_text() -> str:
    """Held-out stories: the validation split the models were evaluated on (never trained on)."""
    return embedded_corpus("validation", 0.8).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_shipped_model_matches_its_preset_and_record(name: str, val_text: str) -> None:
    pm = load_pretrained(name)
    assert pm.config == PRESETS[name].model
    assert pm.tokenizer.vocab_size == pm.config.vocab_size
    assert not pm.model.training
    assert pm.info["parameters"] == sum(p.numel() for p in pm.model.parameters())
    # Re-measure the validation loss the training record states, on the same held-out batches.
    ids = np.asarray(pm.tokenizer.encode(val_text), dtype=np.int64)
    torch.set_num_threads(1)
    cfg = pm.info["train_config"]
    loss = evaluate(pm.model, ids, cfg["batch_size"], pm.config.context_length, cfg["eval_batches"], cfg["seed"] + 1)
    assert loss == pytest.approx(pm.info["final_val_loss"], abs=1e-3)
    assert loss < 0.75 * pm.info["bigram_val_loss"]  # far better than counting pairs of tokens


def test_base_is_better_than_draft_and_they_share_a_tokenizer() -> None:
    base, draft = load_pretrained("base"), load_pretrained("draft")
    for file in ("vocab.json", "merges.txt"):  # speculative decoding needs one vocabulary
        assert (pretrained_dir("base") / file).read_bytes() == (pretrained_dir("draft") / file).read_bytes()
    assert base.info["final_val_loss"] < draft.info["final_val_loss"]
    text = "Once upon a time, there was a little dog named Max."
    assert base.tokenizer.decode(base.tokenizer.encode(text)) == text
    assert base.eot_id == draft.eot_id


def test_missing_or_mismatched_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown pretrained model 'huge'"):
        load_pretrained("huge")
    shutil.copytree(pretrained_dir("draft"), tmp_path / "m")
    (tmp_path / "m" / "merges.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"merges\.txt is missing.*course pretrain"):
        load_pretrained(directory=tmp_path / "m")
    shutil.copy(pretrained_dir("draft") / "merges.txt", tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "d_model": 128, "num_heads": 4}))
    with pytest.raises(ValueError, match=r"model\.safetensors does not match .*config\.json"):
        load_pretrained(directory=tmp_path / "m")


def test_pretrain_is_deterministic(tmp_path: Path) -> None:
    """Two runs with the same seed and thread count write the same bits."""
    for run in ("a", "b"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "course_lib.tools.cli",
                "pretrain",
                "--name",
                "draft",
                "--steps",
                "3",
                "--out",
                str(tmp_path / run),
                "--no-progress",
            ],
            check=True,
            capture_output=True,
        )
    a, b = (tmp_path / run / "draft" / "model.safetensors" for run in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    trained = load_pretrained(directory=tmp_path / "a" / "draft")
    assert trained.info["train_config"]["max_steps"] == 3 and "--steps 3" in trained.info["command"]
