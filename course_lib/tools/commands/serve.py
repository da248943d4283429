"""`course serve`: an OpenAI-compatible completions server over the continuous-batching engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "serve"
HELP = "serve a course model over HTTP (OpenAI-compatible /v1/completions, continuous batching)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="base", help="a shipped model: base or draft (default: base)")
    parser.add_argument(
        "--checkpoint", type=Path, help="serve a `course train` checkpoint instead (e.g. runs/tiny/model.pt)"
    )
    parser.add_argument(
        "--tokenizer", type=Path, help="with --checkpoint: folder with vocab.json + merges.txt (default: next to it)"
    )
    parser.add_argument(
        "--served-model-name", help="the model id clients send (default: --model, or the checkpoint's run folder)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--num-blocks", type=int, default=512, help="KV cache blocks (default: 512)")
    parser.add_argument("--block-size", type=int, default=16, help="tokens per KV cache block (default: 16)")
    parser.add_argument("--max-batch-size", type=int, default=16, help="requests decoded together (default: 16)")
    parser.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: PyTorch's choice)")


def run(args: argparse.Namespace) -> int:
    import torch
    import uvicorn

    from course_lib.inference.server import create_app

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.checkpoint is not None:
        from course_lib.training import load_model, load_tokenizer

        tokenizer_dir = args.tokenizer or args.checkpoint.parent / "tokenizer"
        for path, what in ((args.checkpoint, "checkpoint"), (tokenizer_dir / "vocab.json", "tokenizer")):
            if not path.is_file():
                print(f"error: no {what} at {path}", file=sys.stderr)
                return 2
        model, _ = load_model(args.checkpoint, "cpu")
        tokenizer = load_tokenizer(tokenizer_dir)
        name = args.served_model_name or args.checkpoint.parent.name
    else:
        from course_lib.pretrained import load_pretrained

        try:
            pretrained = load_pretrained(args.model)
        except (ValueError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        model, tokenizer = pretrained.model, pretrained.tokenizer
        name = args.served_model_name or args.model
    try:
        app = create_app(
            model.eval(),
            tokenizer,
            name,
            num_blocks=args.num_blocks,
            block_size=args.block_size,
            max_batch_size=args.max_batch_size,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
