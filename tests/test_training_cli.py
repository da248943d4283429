"""`course train` / `course generate` end to end at a toy size, and the presets' printed budget."""

from __future__ import annotations

import json

import pytest

from course_lib import accounting
from course_lib.tools.cli import main
from course_lib.training import PRESETS, tokenized_corpus


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_prints_parameters_and_flop_budget(name, capsys):
    assert main(["train", "--preset", name, "--dry-run"]) == 0
    out = capsys.readouterr().out
    preset = PRESETS[name]
    assert f"{accounting.parameter_counts(preset.model).total:,}" in out
    flops = (
        accounting.training_flops(preset.model, preset.train.batch_size, preset.model.context_length)
        * preset.train.max_steps
    )
    assert f"{flops:.3g} FLOPs" in out


def test_unknown_preset_is_an_error(capsys):
    assert main(["train", "--preset", "huge", "--dry-run"]) == 2
    assert "unknown preset" in capsys.readouterr().err


@pytest.mark.slow
def test_train_then_generate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["train", "--preset", "tiny", "--steps", "2", "--batch-size", "2", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "bigram validation loss" in printed and "validation loss" in printed
    log = json.loads((out / "loss_log.json").read_text())
    assert log["step"] == 2 and len(log["loss_log"]) == 2 and log["final_val_loss"] is not None
    assert (out / "loss_curve.png").stat().st_size > 0 and (out / "tokenizer" / "merges.txt").is_file()

    corpus = tokenized_corpus(1024, 2.0)  # cached by the run above: same folder, same tokens
    assert corpus.vocab_size == 1024 and len(corpus.train) > 100_000 and int(corpus.train.max()) < 1024
    assert corpus.tokenizer.decode(corpus.val[:200].tolist()).strip()

    assert (
        main(
            [
                "generate",
                "--checkpoint",
                str(out / "model.pt"),
                "--prompt",
                "Once upon a time",
                "--max-new-tokens",
                "8",
                "--num-samples",
                "2",
            ]
        )
        == 0
    )
    samples = capsys.readouterr().out
    assert samples.count("Once upon a time") == 2
    assert main(["generate", "--checkpoint", str(tmp_path / "missing.pt")]) == 2
