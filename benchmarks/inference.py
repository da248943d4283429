"""Inference speed: course_lib's cached ``generate`` against Hugging Face ``generate``, and what the
serving tricks buy, all on the course base model (``load_pretrained("base")``), in one run.

Run: ``python benchmarks/inference.py [--threads N] [--repeats N]``.

Prompts are the first 128 tokens of held-out stories (the embedded corpus's validation split, which
the base model never trained on).

1. *Greedy decoding vs HF.* The same weights exported by ``course_lib.model.to_hf_llama``
   (``LlamaForCausalLM``, SDPA attention, its default dynamic KV cache), batch 1 and batch 8,
   128-token prompts, 256 new tokens, no early stop. Timed alternately (``course_lib.bench.compare``);
   prints tokens/s of each, the ratio (target: >= 2x HF) and whether the greedy ids are identical.
2. *Continuous batching.* 16 requests (prompt 128, 128 new tokens) served together by the
   ``Engine`` against the same 16 served one after another by ``generate`` (batch 1).
3. *Speculative decoding.* Greedy, 128 new tokens, against plain greedy ``generate``: the draft
   model (``load_pretrained("draft")``, k = 4) and prompt lookup (k = 4).
4. *int8 weight-only.* ``quantize_model(base, 8)`` against fp32: weight bytes, held-out perplexity of
   the 16 prompts, greedy decoding speed at batch 1 and 8.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402

from course_lib.bench import compare, time_fn  # noqa: E402
from course_lib.corpora import EOT, embedded_corpus  # noqa: E402
from course_lib.inference import (  # noqa: E402
    Engine,
    PromptLookup,
    SamplingParams,
    generate,
    quantize_model,
    speculative_generate,
    weight_bytes,
)
from course_lib.model import to_hf_llama  # noqa: E402
from course_lib.pretrained import load_pretrained  # noqa: E402

PROMPT_LEN, NEW_TOKENS = 128, 256


def heldout_prompts(tokenizer, n: int, length: int) -> torch.Tensor:
    """(n, length) int64: ``<|endoftext|>`` then the start of each of the first n long-enough held-out stories."""
    text = embedded_corpus("validation", 0.2).read_text(encoding="utf-8")
    eot = tokenizer.special_ids[EOT]
    rows = []
    for story in text.split(EOT):
        ids = [eot] + tokenizer.encode(story.strip())
        if len(ids) >= length:
            rows.append(ids[:length])
        if len(rows) == n:
            return torch.tensor(rows)
    raise ValueError(f"fewer than {n} held-out stories have {length} tokens")


def vs_hf(model, hf, prompts: torch.Tensor, repeats: int) -> None:
    print(f"\n1. greedy decoding, prompt {PROMPT_LEN}, {NEW_TOKENS} new tokens: course_lib generate vs HF generate")
    for batch in (1, 8):
        ids = prompts[:batch]

        def run_hf() -> torch.Tensor:
            with torch.inference_mode():
                return hf.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=NEW_TOKENS,
                    min_new_tokens=NEW_TOKENS,
                    do_sample=False,
                    eos_token_id=None,
                    pad_token_id=0,
                )

        def run_ours() -> torch.Tensor:
            return generate(model, ids, NEW_TOKENS, temperature=0.0)

        same = torch.equal(run_ours(), run_hf())
        c = compare(run_ours, run_hf, warmup=1, repeats=repeats)
        tokens = batch * NEW_TOKENS
        print(
            f"   batch {batch}: course_lib {tokens / c.a.median:8.0f} tok/s | HF {tokens / c.b.median:8.0f} tok/s | "
            f"ratio {c.b.median / c.a.median:5.2f}x | identical greedy ids: {same}"
        )


def engine_vs_sequential(model, prompts: torch.Tensor) -> None:
    rows = prompts.tolist()
    new = 128
    print(f"\n2. continuous batching: {len(rows)} requests (prompt {PROMPT_LEN}, {new} new tokens)")
    greedy = SamplingParams(temperature=0.0)
    engine = Engine(model, num_blocks=len(rows) * (PROMPT_LEN + new) // 16 + 16, block_size=16, max_batch_size=16)
    start = time.perf_counter()
    together = engine.generate(rows, new, greedy)
    t_engine = time.perf_counter() - start
    start = time.perf_counter()
    one_by_one = [generate(model, [r], new, temperature=0.0)[0][PROMPT_LEN:] for r in rows]
    t_seq = time.perf_counter() - start
    tokens = len(rows) * new
    print(
        f"   engine {tokens / t_engine:8.0f} tok/s | one by one {tokens / t_seq:8.0f} tok/s | "
        f"speedup {t_seq / t_engine:5.2f}x | identical ids: {sum(a == b for a, b in zip(together, one_by_one))}/{len(rows)}"
    )


def speculative(model, draft, prompts: torch.Tensor) -> None:
    new, k = 128, 4
    print(f"\n3. speculative decoding, greedy, {new} new tokens, k={k}, {len(prompts)} prompts one at a time")
    rows = prompts.tolist()
    plain = time_fn(lambda: [generate(model, [r], new, temperature=0.0) for r in rows], warmup=1, repeats=1).median
    refs = [generate(model, [r], new, temperature=0.0)[0][PROMPT_LEN:] for r in rows]
    for name, proposer in (("draft model", draft), ("prompt lookup", PromptLookup())):
        results = []
        start = time.perf_counter()
        for r in rows:
            results.append(speculative_generate(model, proposer, r, new, k=k, temperature=0.0))
        elapsed = time.perf_counter() - start
        accepted, examined = sum(x.accepted for x in results), sum(x.accepted + x.rejected for x in results)
        same = sum(x.tokens == ref for x, ref in zip(results, refs))
        print(
            f"   {name:13s}: speedup {plain / elapsed:5.2f}x | acceptance {accepted / max(examined, 1):.2f} | "
            f"tokens per target pass {len(rows) * new / sum(x.target_calls for x in results):.2f} | identical ids: {same}/{len(rows)}"
        )


def _perplexity(model, ids: torch.Tensor) -> float:
    with torch.inference_mode():
        logits = model(ids[:, :-1])
    return math.exp(torch.nn.functional.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten()).item())


def int8(model, prompts: torch.Tensor, repeats: int) -> None:
    quant = quantize_model(model, 8)
    print(
        f"\n4. int8 weight-only: weights {weight_bytes(model) / 1e6:.2f} MB -> {weight_bytes(quant) / 1e6:.2f} MB, "
        f"held-out perplexity {_perplexity(model, prompts):.3f} -> {_perplexity(quant, prompts):.3f}"
    )
    for batch in (1, 8):
        ids = prompts[:batch]
        c = compare(
            lambda: generate(quant, ids, NEW_TOKENS, temperature=0.0),
            lambda: generate(model, ids, NEW_TOKENS, temperature=0.0),
            warmup=1,
            repeats=repeats,
        )
        print(
            f"   batch {batch}: int8 {batch * NEW_TOKENS / c.a.median:8.0f} tok/s | fp32 {batch * NEW_TOKENS / c.b.median:8.0f} tok/s | "
            f"speedup {c.b.median / c.a.median:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads for both sides (default 1)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base, draft = load_pretrained("base"), load_pretrained("draft")
    model = base.model
    hf = to_hf_llama(model).eval()
    prompts = heldout_prompts(base.tokenizer, 16, PROMPT_LEN)
    print(
        f"course base model: {model.num_parameters() / 1e6:.2f}M parameters, {base.config.num_layers} layers, "
        f"GQA {base.config.num_heads}/{base.config.kv_heads} heads; torch {torch.__version__}, {args.threads} thread(s), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    vs_hf(model, hf, prompts, args.repeats)
    engine_vs_sequential(model, prompts)
    speculative(model, draft.model, prompts[:4])
    int8(model, prompts, args.repeats)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
