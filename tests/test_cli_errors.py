"""Every bad command line gets one clear message on stderr and a non-zero exit, never a traceback.

One table drives `course train`, `course generate`, `course execute` and `course corpus` through
mistakes a student makes (issue 15): impossible numbers, unknown or absent devices, unwritable
folders, missing, empty, truncated or foreign checkpoints, files that are not notebooks, a kernel
that dies, a cell that times out, a corrupt archive, a size past the cap.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import nbformat
import pytest
import torch

from course_lib.corpora import EOT
from course_lib.model import ModelConfig, TransformerLM
from course_lib.tokenization.files import write_vocab_merges
from course_lib.tools.cli import main
from course_lib.training import save_checkpoint

TINY = ModelConfig(vocab_size=257, context_length=16, d_model=16, num_layers=1, num_heads=2, d_ff=32)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a good checkpoint and tokenizer, and every kind of bad file the table uses."""
    root = tmp_path_factory.mktemp("cli")
    good = root / "run"
    torch.manual_seed(0)
    save_checkpoint(good / "model.pt", TransformerLM.from_config(TINY))
    write_vocab_merges(good / "tokenizer", {i: bytes([i]) for i in range(256)} | {256: EOT.encode()}, [], [EOT])
    data = (good / "model.pt").read_bytes()
    for name, content in {"empty": b"", "truncated": data[: len(data) // 2], "random": os.urandom(4096)}.items():
        (root / name).mkdir()
        (root / name / "model.pt").write_bytes(content)
        (root / name / "tokenizer").symlink_to(good / "tokenizer")
    (root / "other").mkdir()  # a checkpoint that is not a course checkpoint: someone's state dict
    torch.save({"weight": torch.zeros(3)}, root / "other" / "model.pt")
    (root / "other" / "tokenizer").symlink_to(good / "tokenizer")
    (root / "not_a_notebook.ipynb").write_text("print('hello')\n")
    (root / "notes.txt").write_text("hello\n")
    for name, source in {
        "dies": "import os\nos._exit(1)",
        "hangs": "import time\ntime.sleep(600)",
        "fine": "print(6 * 7)",
    }.items():
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, root / f"{name}.ipynb")
    (root / "corrupt.txt.gz").write_bytes(gzip.compress(b"a story\n" * 1000)[:-40] + b"garbage!" * 4)
    return root


CASES = {
    # course train
    "train_threads_negative": (["train", "--threads", "-1", "--dry-run"], "--threads"),
    "train_device_tpu": (["train", "--device", "tpu", "--dry-run"], "--device 'tpu'"),
    "train_device_cuda_without_one": (["train", "--device", "cuda", "--dry-run"], "--device 'cuda'"),
    "train_lr_negative": (["train", "--lr", "-1", "--dry-run"], "--lr must be"),
    "train_lr_nan": (["train", "--lr", "nan", "--dry-run"], "--lr must be"),
    "train_lr_inf": (["train", "--lr", "inf", "--dry-run"], "--lr must be"),
    "train_steps_zero": (["train", "--steps", "0", "--dry-run"], "--steps must be"),
    "train_batch_zero": (["train", "--batch-size", "0", "--dry-run"], "--batch-size must be"),
    "train_out_unwritable": (["train", "--out", "/dev/null/run", "--steps", "1"], "--out /dev/null/run: cannot create"),
    "train_out_is_a_file": (["train", "--out", "{files}/notes.txt", "--steps", "1"], "--out"),
    # course generate
    "generate_temperature_nan": (
        ["generate", "--checkpoint", "{files}/run/model.pt", "--temperature", "nan"],
        "--temperature",
    ),
    "generate_top_p_zero": (["generate", "--checkpoint", "{files}/run/model.pt", "--top-p", "0"], "--top-p"),
    "generate_zero_samples": (
        ["generate", "--checkpoint", "{files}/run/model.pt", "--num-samples", "0"],
        "--num-samples",
    ),
    "generate_zero_threads": (["generate", "--checkpoint", "{files}/run/model.pt", "--threads", "0"], "--threads"),
    "generate_prompt_not_utf8": (
        ["generate", "--checkpoint", "{files}/run/model.pt", "--prompt", b"caf\xe9"],
        "--prompt is not valid UTF-8",
    ),
    "generate_missing_checkpoint": (["generate", "--checkpoint", "{files}/nowhere/model.pt"], "no checkpoint at"),
    "generate_empty_checkpoint": (["generate", "--checkpoint", "{files}/empty/model.pt"], "empty/model.pt is empty"),
    "generate_truncated_checkpoint": (
        ["generate", "--checkpoint", "{files}/truncated/model.pt"],
        "truncated/model.pt is not a readable checkpoint",
    ),
    "generate_random_checkpoint": (
        ["generate", "--checkpoint", "{files}/random/model.pt"],
        "random/model.pt is not a readable checkpoint",
    ),
    "generate_foreign_checkpoint": (
        ["generate", "--checkpoint", "{files}/other/model.pt"],
        "other/model.pt is not a course checkpoint",
    ),
    # course execute: the bad notebook is reported and the next one still runs
    "execute_missing": (["execute", "{files}/nowhere.ipynb", "{files}/fine.ipynb"], "FAILED: no notebook at"),
    "execute_not_a_notebook": (
        ["execute", "{files}/not_a_notebook.ipynb", "{files}/fine.ipynb"],
        "is not a Jupyter notebook",
    ),
    "execute_text_file": (["execute", "{files}/notes.txt"], "is not a Jupyter notebook"),
    "execute_kernel_dies": (["execute", "--no-write", "{files}/dies.ipynb", "{files}/fine.ipynb"], "the kernel died"),
    "execute_cell_timeout": (
        ["execute", "--no-write", "--cell-timeout", "2", "{files}/hangs.ipynb", "{files}/fine.ipynb"],
        "cell timeout",
    ),
    "execute_zero_timeout": (["execute", "--cell-timeout", "0", "{files}/fine.ipynb"], "--cell-timeout"),
    # course corpus
    "corpus_corrupt_gz": (["corpus", "tinystories", "--source", "{files}/corrupt.txt.gz"], "corrupt.txt.gz"),
    "corpus_megabytes_huge": (["corpus", "--megabytes", "1e9"], "--megabytes"),
    "corpus_megabytes_nan": (["corpus", "--megabytes", "nan"], "--megabytes"),
}
SLOW = {"execute_kernel_dies", "execute_cell_timeout", "execute_missing", "execute_not_a_notebook"}
GOES_ON = SLOW  # these name a bad notebook, then a good one that must still run


NEEDS_NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=[pytest.mark.slow] if c in SLOW else [NEEDS_NO_CUDA] if "without_one" in c else [])
        for c in CASES
    ],
)
def test_bad_command_line_gets_a_clear_message(
    case: str, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    argv, expected = CASES[case]
    # Python decodes an argv byte that is not UTF-8 to a lone surrogate, as main() then receives it
    args = [
        a.replace("{files}", str(files)) if isinstance(a, str) else a.decode("utf-8", "surrogateescape") for a in argv
    ]
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    try:
        status = main(args)
    except SystemExit as stop:  # argparse's own errors
        status = stop.code
    out = capfd.readouterr()
    assert status not in (0, None), f"{case}: exit 0\n{out.out}\n{out.err}"
    assert "Traceback" not in out.err + out.out, f"{case}: a traceback instead of a message:\n{out.err}"
    assert expected in out.err + out.out, f"{case}: expected {expected!r} in\n{out.out}\n{out.err}"
    if case in GOES_ON:
        assert "2 notebook(s)" in out.out and "1 failed" in out.out, out.out  # went on to the next notebook
    assert "TCP without encryption" not in out.err + out.out
