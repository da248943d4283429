"""Benchmark: course_lib.tokenization against HF tokenizers (training) and tiktoken (encoding).

One run measures four corpora, each reported separately, with one vocabulary size (10,000):

- ``stories``: the embedded stories (``embedded_corpus``), 5 MB by default;
- ``english-docs``, ``python-code``, ``multilingual``: real text that is already installed
  (``course_lib.corpora.installed``): the Python documentation and the standard library's
  docstrings; the standard library's source; babel's CLDR locale data (about 1,100 locales, dozens
  of scripts) and CPython's CJK test texts. Up to 5 MB each.

On each corpus:

- training time: ``course_lib.tokenization.train_bpe`` (pre-tokenization on every core; it and the
  merge loop in C where the accelerators are built) against HF tokenizers' ``BpeTrainer`` with the
  byte-level pre-tokenizer (Rust, every core), interleaved; beside it, ``train_bpe`` with the
  pure-Python code (``backend="python"``) and the default pre-tokenization alone;
- encoding throughput on the same text: our ``Tokenizer.encode`` against a tiktoken ``Encoding``
  built from the same merges (one thread), cold (a fresh tokenizer, empty caches, per call) and
  warm (the same tokenizer again), and the pure-Python encoder cold beside them; the ids (of both
  backends) must be identical to tiktoken's and to HF tokenizers'.

Then the pathological case, one word of 300,000 letters without a space (taken from the English
docs): encoding time against tiktoken's, and how training and encoding time grow from a 30,000- to
a 300,000-letter word (linear time: 10x the length should take about 10x the time, not 100x).
Finally, for the stories only, peak memory of each library in a fresh process (proportional set
size of the process and its workers, sampled every 10 ms, above the level before the work starts).

Targets, on every corpus: training at most 1.0x HF's time, cold encoding at least 0.5x tiktoken's
throughput; the long word encodes within 10x tiktoken's time. The load (``os.getloadavg``) is
printed at the start and the end: the figures are only as idle as the machine was.

    python benchmarks/tokenization.py [--megabytes 5] [--vocab-size 10000] [--repeats 3] [--corpora stories,...]
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
LONG_WORD_TARGET = 10.0


def train_ours(path: Path, vocab_size: int, backend: str = "auto"):
    from course_lib.tokenization import train_bpe

    return train_bpe(path, vocab_size, [EOT], backend=backend)


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
        job = (
            (lambda: tokenizer.encode(text))
            if kind == "encode-ours"
            else (lambda: encoding.encode(text, allowed_special="all"))
        )
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
    command = [
        sys.executable,
        __file__,
        "--memory-job",
        kind,
        "--path",
        str(path),
        "--vocab-size",
        str(vocab_size),
        "--tables",
        str(tables),
    ]
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


CORPORA = ("stories", "english-docs", "python-code", "multilingual")


def corpus_path(name: str, megabytes: float) -> Path:
    from course_lib.corpora import embedded_corpus
    from course_lib.corpora.installed import installed_corpus

    return embedded_corpus("train", megabytes=megabytes) if name == "stories" else installed_corpus(name, megabytes)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} core(s)"


def measure_corpus(name: str, path: Path, vocab_size: int, repeats: int) -> dict[str, float]:
    """Training and encoding ratios on one corpus; prints the details, returns the ratios."""
    from course_lib.bench import compare, time_fn
    from course_lib.tokenization import Tokenizer
    from course_lib.tokenization.interop import to_hf, to_tiktoken
    from course_lib.tokenization.pretokenize import count_pretokens_in_file

    size_mb = path.stat().st_size / 1e6
    training = compare(
        lambda: train_ours(path, vocab_size), lambda: train_hf(path, vocab_size), warmup=1, repeats=repeats
    )
    python_training = time_fn(lambda: train_ours(path, vocab_size, "python"), warmup=0, repeats=repeats)
    pretokenizing = time_fn(lambda: count_pretokens_in_file(path, [EOT]), warmup=0, repeats=repeats)  # default backend
    vocab, merges = train_ours(path, vocab_size)
    text = path.read_text(encoding="utf-8")
    tokenizer = Tokenizer(vocab, merges, [EOT])
    encoding = to_tiktoken(tokenizer)
    ours_ids = Tokenizer(vocab, merges, [EOT]).encode(text)
    if ours_ids != encoding.encode(text, allowed_special="all"):
        raise SystemExit(f"FAILED: course_lib's ids differ from tiktoken's on {name}")
    if ours_ids != to_hf(tokenizer).encode(text).ids:
        raise SystemExit(f"FAILED: course_lib's ids differ from HF tokenizers' on {name}")
    if Tokenizer(vocab, merges, [EOT], backend="python").encode(text) != ours_ids:
        raise SystemExit(f"FAILED: the pure-Python encoder's ids differ from the default's on {name}")
    tiktoken_encode = lambda: encoding.encode(text, allowed_special="all")  # noqa: E731
    cold = compare(lambda: Tokenizer(vocab, merges, [EOT]).encode(text), tiktoken_encode, warmup=1, repeats=repeats)
    warm_tokenizer = Tokenizer(vocab, merges, [EOT])
    warm = compare(lambda: warm_tokenizer.encode(text), tiktoken_encode, warmup=1, repeats=repeats)
    python_cold = time_fn(
        lambda: Tokenizer(vocab, merges, [EOT], backend="python").encode(text), warmup=0, repeats=repeats
    )
    print(
        f"[{name}] {path.name}: {size_mb:.1f} MB, {len(ours_ids):,} tokens ({len(text.encode()) / len(ours_ids):.2f} bytes/token), "
        f"ids identical to tiktoken's and HF's"
    )
    print(f"  training  course_lib {training.a}  HF {training.b}  -> {training.ratio:.2f}x the time")
    print(
        f"            pure Python (backend='python') {python_training} -> {python_training.median / training.b.median:.2f}x HF's time; "
        f"pre-tokenization alone {pretokenizing.median:.2f} s"
    )
    for label, comparison in (("cold", cold), ("warm", warm)):
        print(
            f"  encoding  {label}: course_lib {size_mb / comparison.a.median:5.1f} MB/s, tiktoken {size_mb / comparison.b.median:5.1f} MB/s"
            f" -> {comparison.speedup:.2f}x the throughput"
        )
    python_cold_ratio = cold.b.median / python_cold.median
    print(
        f"            pure Python, cold: {size_mb / python_cold.median:5.1f} MB/s -> {python_cold_ratio:.2f}x tiktoken's throughput"
    )
    return {
        "train": training.ratio,
        "train_python": python_training.median / training.b.median,
        "cold": cold.speedup,
        "cold_python": python_cold_ratio,
        "warm": warm.speedup,
    }


def measure_long_word(vocab_size: int, repeats: int) -> dict[str, float]:
    """One word without spaces: encoding against tiktoken, and the growth of training and encoding
    time from 30,000 to 300,000 letters."""
    from course_lib.bench import time_fn
    from course_lib.tokenization import Tokenizer, train_bpe_from_counts
    from course_lib.tokenization.interop import to_tiktoken

    docs = corpus_path("english-docs", 5.0).read_text(encoding="utf-8")
    letters = "".join(c for c in docs[:3_000_000] if c.isascii() and c.isalpha())
    vocab, merges = train_ours(corpus_path("english-docs", 5.0), vocab_size)
    tokenizer_ids = lambda word: Tokenizer(vocab, merges).encode(word)  # noqa: E731  (a fresh tokenizer: no cache)
    encoding = to_tiktoken(Tokenizer(vocab, merges))
    short, long = letters[:30_000], letters[:300_000]
    if tokenizer_ids(long) != encoding.encode(long):
        raise SystemExit("FAILED: course_lib's ids differ from tiktoken's on the long word")
    ours = {
        n: time_fn(lambda w=w: tokenizer_ids(w), warmup=0, repeats=repeats).median
        for n, w in ((30, short), (300, long))
    }
    theirs = time_fn(lambda: encoding.encode(long), warmup=1, repeats=repeats).median
    train = {
        n: time_fn(lambda w=w: train_bpe_from_counts({w.encode(): 1}, 2000), warmup=0, repeats=1).median
        for n, w in ((30, short), (300, long))
    }
    print(
        f"[long word] {len(long):,} letters without a space: course_lib {ours[300]:.2f} s, tiktoken {theirs:.3f} s "
        f"-> {ours[300] / theirs:.1f}x the time"
    )
    print(
        f"  30,000 -> 300,000 letters: encoding {ours[30]:.3f} -> {ours[300]:.3f} s ({ours[300] / ours[30]:.1f}x), "
        f"training 2,000 merges {train[30]:.2f} -> {train[300]:.2f} s ({train[300] / train[30]:.1f}x)"
    )
    return {"encode": ours[300] / theirs, "encode_growth": ours[300] / ours[30], "train_growth": train[300] / train[30]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--megabytes", type=float, default=5.0, help="size of each corpus (the English docs have about 2.3 MB)"
    )
    parser.add_argument("--vocab-size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated subset of " + ", ".join(CORPORA))
    parser.add_argument("--no-long-word", action="store_true", help="skip the 300,000-letter word")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument(
        "--memory-job", choices=("train-ours", "train-hf", "encode-ours", "encode-tiktoken"), help=argparse.SUPPRESS
    )
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tables", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_job:
        run_memory_job(args.memory_job, args.path, args.vocab_size, args.tables)
        return 0
    names = [n.strip() for n in args.corpora.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CORPORA))
    if unknown:
        parser.error(f"unknown corpora {unknown}; choose from {', '.join(CORPORA)}")

    import pickle
    import tempfile

    from course_lib.tokenization.accelerate import built
    from course_lib.tokenization.pretokenize import default_num_workers

    start = time.perf_counter()
    print(f"vocabulary size {args.vocab_size}; {default_num_workers()} core(s); at the start: {_load()}")
    print("C accelerators built: " + ", ".join(f"{part} {'yes' if ok else 'NO'}" for part, ok in built().items()))
    results = {
        name: measure_corpus(name, corpus_path(name, args.megabytes), args.vocab_size, args.repeats) for name in names
    }
    long_word = None if args.no_long_word else measure_long_word(args.vocab_size, args.repeats)

    if not args.no_memory and "stories" in names:
        path = corpus_path("stories", args.megabytes)
        from course_lib.tokenization import train_bpe

        vocab, merges = train_bpe(path, args.vocab_size, [EOT])
        with tempfile.TemporaryDirectory() as tmp:
            tables = Path(tmp) / "tables.pkl"
            tables.write_bytes(pickle.dumps((vocab, merges)))
            memory = {
                kind: memory_in_fresh_process(kind, path, args.vocab_size, tables)
                for kind in ("train-ours", "train-hf", "encode-ours", "encode-tiktoken")
            }
        fmt = lambda mib: "n/a (needs Linux /proc)" if mib is None else f"{mib:.0f} MiB"  # noqa: E731
        print(
            f"[stories] peak memory above baseline: training course_lib {fmt(memory['train-ours'])}, HF {fmt(memory['train-hf'])}; "
            f"encoding course_lib {fmt(memory['encode-ours'])}, tiktoken {fmt(memory['encode-tiktoken'])}"
        )

    print()
    print(
        f"{'corpus':<14} {'train / HF':>11} {'(pure Python)':>16} {'cold enc / tiktoken':>20} {'(pure Python)':>16} "
        f"{'warm enc / tiktoken':>20}"
    )
    missed = 0
    for name, r in results.items():
        ok_train, ok_cold = r["train"] <= TRAIN_TARGET, r["cold"] >= ENCODE_TARGET
        missed += (not ok_train) + (not ok_cold)
        print(
            f"{name:<14} {r['train']:>10.2f}x {r['train_python']:>15.2f}x {r['cold']:>19.2f}x {r['cold_python']:>15.2f}x "
            f"{r['warm']:>19.2f}x   "
            f"training {'OK' if ok_train else 'MISSED'}, cold encoding {'OK' if ok_cold else 'MISSED'}"
        )
    print(
        f"targets: training (default backend) <= {TRAIN_TARGET:.1f}x HF's time; cold encoding >= {ENCODE_TARGET:.1f}x tiktoken's throughput (one thread)"
    )
    if long_word is not None:
        ok = long_word["encode"] <= LONG_WORD_TARGET
        missed += not ok
        print(
            f"long word: encoding {long_word['encode']:.1f}x tiktoken's time (target <= {LONG_WORD_TARGET:.0f}x) {'OK' if ok else 'MISSED'}; "
            f"10x longer: encoding {long_word['encode_growth']:.1f}x, training {long_word['train_growth']:.1f}x the time"
        )
    print(f"{time.perf_counter() - start:.0f} s in all; at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
