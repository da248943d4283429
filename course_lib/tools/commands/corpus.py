"""`course corpus`: write a corpus to the cache (once) and print its path, size and document count."""

from __future__ import annotations

import argparse
import sys

NAME = "corpus"
HELP = "write the embedded story corpus (or a real one: tinystories, owt) to the cache and describe it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        default="embedded",
        choices=("embedded", "tinystories", "owt"),
        help="which corpus (default: embedded, generated offline)",
    )
    parser.add_argument("--split", default="train", choices=("train", "validation"))
    parser.add_argument("--megabytes", type=float, default=2.0, help="size of the embedded corpus (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the embedded corpus (default 0)")
    parser.add_argument(
        "--source", default=None, help="real corpora: a local file or folder, or a URL, instead of the public URL"
    )
    parser.add_argument("--sample", action="store_true", help="also print the first document")


MAX_MEGABYTES = 10_000.0
"""The largest embedded corpus `course corpus` writes (it is generated, so any size is possible)."""


def run(args: argparse.Namespace) -> int:
    from course_lib.corpora import CorpusDownloadError, embedded_corpus, iter_documents, real_corpus
    from course_lib.tools.argcheck import number_problem

    problem = number_problem("--megabytes", args.megabytes, above=0, maximum=MAX_MEGABYTES)
    if problem:
        print(f"course corpus: {problem}", file=sys.stderr)
        return 2

    try:
        if args.name == "embedded":
            path = embedded_corpus(args.split, args.megabytes, seed=args.seed)
        else:
            path = real_corpus(args.name, args.split, source=args.source)
    except (CorpusDownloadError, FileNotFoundError, ValueError) as e:
        print(f"course corpus: {e}", file=sys.stderr)
        return 1
    count = 0
    first = ""
    for doc in iter_documents(path):
        first = first or doc
        count += 1
    print(f"path:      {path}")
    print(f"size:      {path.stat().st_size / 1e6:.2f} MB ({path.stat().st_size:,} bytes)")
    print(f"documents: {count:,}")
    if args.sample:
        print(f"\n{first}")
    return 0
