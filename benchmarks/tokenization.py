"""Benchmark: course_lib.tokenization against HF tokenizers (training) and tiktoken (encoding).

One run, one corpus (the embedded stories, 10 MB by default), one vocabulary size (10,000):

- training time: ``course_lib.tokenization.train_bpe`` (pre-tokenization on every core) against HF
  tokenizers' ``BpeTrainer`` with the byte-level pre-tokenizer (Rust, every core), interleaved;
- encoding throughput on the same text: our ``Tokenizer.encode`` (a fresh tokenizer each time, so
  its cache starts empty) against a tiktoken ``Encoding`` built from the same merges (one thread);
  the ids must be identical;
- peak memory of each, measured in a fresh process (proportional set size of the process and its
  workers, sampled every 10 ms, above the level before the work starts).

Targets: training at most 1.0x HF's time, encoding at least 0.5x tiktoken's throughput.

    python benchmarks/tokenization.py [--megabytes 10] [--vocab-size 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

EOT = "<|endoftext|>"
TRAIN_TARGET = 1.0
ENCODE_TARGET = 0.5


def train_ours(path: Path, vocab_size: int):
    from course_lib.tokenization import train_bpe

    return train_bpe(path, vocab_size, [EOT])


def train_hf(path: Path, vocab_size: int):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train([str(path)], trainer)
    return tokenizer


def _pss_kib(pid: int) -> int:
    """Proportional set size of a process (shared pages split among their users), in KiB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    children = [int(c) for c in f.read().split()]
                found.extend(children)
                stack.extend(children)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def _tree_pss_kib() -> int:
    me = os.getpid()
    return sum(_pss_kib(pid) for pid in [me, *_descendants(me)])


def run_memory_job(kind: str, path: Path, vocab_size: int, tables: Path | None) -> None:
    """Run one job in this fresh process; print its memory (PSS) after the imports, before the work.

    The parent samples this process and its workers from outside (a sampling thread in here would
    change what is measured: with two threads, train_bpe would not fork its workers directly).
    """
    import pickle

    if kind.startswith("encode"):
        from course_lib.tokenization import Tokenizer
        from course_lib.tokenization.interop import to_tiktoken

        vocab, merges = pickle.loads(tables.read_bytes())
        text = path.read_text(encoding="utf-8")
        tokenizer = Tokenizer(vocab, merges, [EOT])
        encoding = to_tiktoken(tokenizer)
        job = (lambda: tokenizer.encode(text)) if kind == "encode-ours" else (lambda: encoding.encode(text, allowed_special="all"))
    else:
        import tokenizers  # noqa: F401  (both libraries imported before the baseline)

        import course_lib.tokenization  # noqa: F401

        job = (lambda: train_ours(path, vocab_size)) if kind == "train-ours" else (lambda: train_hf(path, vocab_size))
    print(json.dumps({"baseline_kib": _tree_pss_kib()}), flush=True)
    time.sleep(0.1)  # let the parent take a sample at the baseline
    job()


def memory_in_fresh_process(kind: str, path: Path, vocab_size: int, tables: Path) -> float | None:
    """Peak PSS (MiB) of a fresh process running one job, and of its workers, above its baseline."""
    if not Path("/proc/self/smaps_rollup").exists():
        return None
    command = [sys.executable, __file__, "--memory-job", kind, "--path", str(path), "--vocab-size", str(vocab_size), "--tables", str(tables)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    baseline = json.loads(child.stdout.readline())["baseline_kib"]
    peak = baseline
    while child.poll() is None:
        peak = max(peak, sum(_pss_kib(pid) for pid in [child.pid, *_descendants(child.pid)]))
        time.sleep(0.01)
    child.stdout.close()
    if child.returncode != 0:
        raise RuntimeError(f"memory job {kind} failed with exit status {child.returncode}")
    return (peak - baseline) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--vocab-size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-job", choices=("train-ours", "train-hf", "encode-ours", "encode-tiktoken"), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tables", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_job:
        run_memory_job(args.memory_job, args.path, args.vocab_size, args.tables)
        return 0

    import pickle
    import tempfile

    from course_lib.bench import compare
    from course_lib.corpora import embedded_corpus
    from course_lib.tokenization import Tokenizer
    from course_lib.tokenization.interop import to_tiktoken
    from course_lib.tokenization.pretokenize import default_num_workers

    path = embedded_corpus("train", megabytes=args.megabytes)
    size_mb = path.stat().st_size / 1e6
    print(f"corpus: {path.name}, {size_mb:.1f} MB; vocabulary size {args.vocab_size}; {default_num_workers()} core(s)")

    training = compare(lambda: train_ours(path, args.vocab_size), lambda: train_hf(path, args.vocab_size), warmup=1, repeats=args.repeats)
    vocab, merges = train_ours(path, args.vocab_size)
    hf_size = train_hf(path, args.vocab_size).get_vocab_size()
    print(f"training  course_lib {training.a}")
    print(f"          HF         {training.b}   (vocabularies: {len(vocab)} and {hf_size} ids)")

    text = path.read_text(encoding="utf-8")
    encoding = to_tiktoken(Tokenizer(vocab, merges, [EOT]))
    ours_ids = Tokenizer(vocab, merges, [EOT]).encode(text)
    if ours_ids != encoding.encode(text, allowed_special="all"):
        raise SystemExit("FAILED: course_lib's ids differ from tiktoken's on the corpus")
    # A fresh Tokenizer per call: its cache starts empty, so no call profits from an earlier one.
    encode = compare(lambda: Tokenizer(vocab, merges, [EOT]).encode(text), lambda: encoding.encode(text, allowed_special="all"), warmup=1, repeats=args.repeats)
    warm_tokenizer = Tokenizer(vocab, merges, [EOT])
    warm = compare(lambda: warm_tokenizer.encode(text), lambda: encoding.encode(text, allowed_special="all"), warmup=1, repeats=args.repeats)
    mb_per_s = lambda seconds: size_mb / seconds  # noqa: E731
    print(f"encoding  course_lib {mb_per_s(encode.a.median):.1f} MB/s (cache empty at start), {mb_per_s(warm.a.median):.1f} MB/s (cache warm)")
    print(f"          tiktoken   {mb_per_s(encode.b.median):.1f} MB/s (one thread); ids identical ({len(ours_ids):,} tokens, {len(text.encode()) / len(ours_ids):.2f} bytes/token)")

    with tempfile.TemporaryDirectory() as tmp:
        tables = Path(tmp) / "tables.pkl"
        tables.write_bytes(pickle.dumps((vocab, merges)))
        memory = {kind: memory_in_fresh_process(kind, path, args.vocab_size, tables) for kind in ("train-ours", "train-hf", "encode-ours", "encode-tiktoken")}
    fmt = lambda mib: "n/a (needs Linux /proc)" if mib is None else f"{mib:.0f} MiB"  # noqa: E731
    print(f"peak memory above baseline: training course_lib {fmt(memory['train-ours'])}, HF {fmt(memory['train-hf'])}; "
          f"encoding course_lib {fmt(memory['encode-ours'])}, tiktoken {fmt(memory['encode-tiktoken'])}")

    train_ratio = training.ratio
    encode_ratio = encode.speedup
    print()
    print(f"training time   course_lib / HF tokenizers = {train_ratio:.2f}x  (target <= {TRAIN_TARGET:.1f}x)  {'OK' if train_ratio <= TRAIN_TARGET else 'MISSED'}")
    print(f"encoding speed  course_lib / tiktoken      = {encode_ratio:.2f}x  (target >= {ENCODE_TARGET:.1f}x)  {'OK' if encode_ratio >= ENCODE_TARGET else 'MISSED'}"
          f"  [warm cache: {warm.speedup:.2f}x]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
