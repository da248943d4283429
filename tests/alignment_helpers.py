"""Shared by the alignment tests: a small BPE tokenizer (course and HF versions of the same files),
a small course model and its HF Llama export."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import torch

from course_lib.alignment import EOT_TOKEN, make_examples
from course_lib.model import TransformerLM, to_hf_llama
from course_lib.tokenization import Tokenizer, train_bpe
from course_lib.tokenization.interop import to_hf


@functools.lru_cache(maxsize=1)
def course_tokenizer() -> Tokenizer:
    """A BPE tokenizer of up to 400 ids trained on the instruction set's own text."""
    text = EOT_TOKEN.join(e.prompt + e.response.replace(EOT_TOKEN, "") for e in make_examples(300, seed=9))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tasks.txt"
        path.write_text(text, encoding="utf-8")
        vocab, merges = train_bpe(path, 400, [EOT_TOKEN])
    return Tokenizer(vocab, merges, [EOT_TOKEN])


def hf_tokenizer():
    """The same tokenizer as a ``transformers`` fast tokenizer (no pad token: EOS pads)."""
    import transformers

    return transformers.PreTrainedTokenizerFast(tokenizer_object=to_hf(course_tokenizer()), eos_token=EOT_TOKEN)


def vocab_size() -> int:
    """The test tokenizer's number of ids (BPE may stop short of 400 merges on this small text)."""
    return course_tokenizer().vocab_size


def course_model(seed: int = 0) -> TransformerLM:
    """A small random course model over the test tokenizer's vocabulary."""
    torch.manual_seed(seed)
    return TransformerLM(
        vocab_size=vocab_size(), context_length=96, d_model=32, num_layers=2, num_heads=4, d_ff=64, num_kv_heads=2
    ).eval()


def hf_model(model: TransformerLM):
    """The course model exported to ``transformers.LlamaForCausalLM`` (same logits)."""
    return to_hf_llama(model).eval()
