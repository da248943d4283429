"""Synthetic instruction data with known answers, sized for the course's small story model.

Three kinds of instruction, all in the stories' vocabulary:

* ``story``: a two-sentence story and a question about it ("Lily has a red ball. Tom has a blue
  kite. What color is the kite?" -> "blue"): reading and copying.
* ``arithmetic``: "What is 3 plus 4?" -> "7": a fact to know, checkable exactly (the verifiable task).
* ``format``: "Say dog three times." -> "dog dog dog": following an instruction's form.

Every example renders to a prompt in the course's instruction template and a response that ends
with ``<|endoftext|>`` (the end-of-turn token), and has a programmatic :func:`judge`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from course_lib.alignment._interop import EOT

__all__ = [
    "KINDS",
    "Example",
    "format_prompt",
    "make_examples",
    "extract_answer",
    "judge",
    "exact_match_reward",
    "word_count_reward",
    "preference_pairs",
]

KINDS = ("story", "arithmetic", "format")
TEMPLATE = "Q: {question}\nA:"
NAMES = ("Lily", "Tom", "Ben", "Mia", "Sam", "Anna", "Max", "Sue")
THINGS = ("ball", "hat", "kite", "cat", "dog", "box", "cake", "car")
COLORS = ("red", "blue", "green", "yellow", "pink", "brown")
COUNTS = ("one", "two", "three", "four")


@dataclass(frozen=True)
class Example:
    """One instruction: its ``kind``, the ``question`` and the reference ``answer`` (plain text)."""

    kind: str
    question: str
    answer: str

    @property
    def prompt(self) -> str:
        return format_prompt(self.question)

    @property
    def response(self) -> str:
        """The target response: a space, the answer, the end-of-turn token."""
        return f" {self.answer}{EOT}"


def format_prompt(question: str) -> str:
    """The instruction template: ``"Q: {question}\\nA:"``; the response follows the colon."""
    return TEMPLATE.format(question=question)


def _story(rng: random.Random) -> Example:
    (n1, n2), (t1, t2), (c1, c2) = rng.sample(NAMES, 2), rng.sample(THINGS, 2), rng.sample(COLORS, 2)
    story = f"{n1} has a {c1} {t1}. {n2} has a {c2} {t2}."
    i = rng.randrange(2)
    name, thing, color = (n1, t1, c1) if i == 0 else (n2, t2, c2)
    question, answer = rng.choice(
        [(f"What color is the {thing}?", color), (f"Who has the {thing}?", name), (f"What does {name} have?", thing)]
    )
    return Example("story", f"{story} {question}", answer)


def _arithmetic(rng: random.Random, max_operand: int = 9) -> Example:
    a, b = rng.randint(0, max_operand), rng.randint(0, max_operand)
    return Example("arithmetic", f"What is {a} plus {b}?", str(a + b))


def _format(rng: random.Random) -> Example:
    word, n = rng.choice(THINGS), rng.randrange(len(COUNTS))
    times = "time" if n == 0 else "times"
    return Example("format", f"Say {word} {COUNTS[n]} {times}.", " ".join([word] * (n + 1)))


def make_examples(n: int, seed: int = 0, kinds: Sequence[str] = KINDS) -> list[Example]:
    """``n`` examples drawn evenly (round robin) from ``kinds``, deterministically from ``seed``."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {list(kinds)}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    makers = {"story": _story, "arithmetic": _arithmetic, "format": _format}
    return [makers[kinds[i % len(kinds)]](rng) for i in range(n)]


def extract_answer(response: str) -> str:
    """The answer part of a generated response: up to the end-of-turn token or a newline, stripped."""
    return response.split(EOT)[0].split("\n")[0].strip()


def judge(example: Example, response: str) -> float:
    """The programmatic judge: 1 for the exact answer; 0.5 for the right answer followed by more
    words (right but not following the format); 0 otherwise."""
    answer = extract_answer(response)
    if answer == example.answer:
        return 1.0
    if answer.startswith(example.answer + " ") and example.kind != "format":
        return 0.5
    return 0.0


def exact_match_reward(response: str, answer: str) -> float:
    """The verifiable reward: 1 when the extracted answer equals ``answer`` exactly, else 0."""
    return float(extract_answer(response) == answer)


def word_count_reward(response: str, answer: str) -> float:
    """A misspecified proxy for the ``format`` task: how many times the asked-for word appears (the
    first word of ``answer``), divided by the number asked for. Saying it more often scores higher:
    a reward that can be hacked."""
    words = answer.split()
    if not words:
        raise ValueError("answer is empty")
    return extract_answer(response).split().count(words[0]) / len(words)


def _wrong_answer(example: Example, rng: random.Random) -> str:
    if example.kind == "arithmetic":
        value = int(example.answer)
        return str(rng.choice([v for v in range(max(0, value - 3), value + 4) if v != value]))
    if example.kind == "format":
        words = example.answer.split()
        n = rng.choice([k for k in range(1, 6) if k != len(words)])
        return " ".join([words[0]] * n)
    pool = next(p for p in (COLORS, NAMES, THINGS) if example.answer in p)
    return rng.choice([w for w in pool if w != example.answer])


def preference_pairs(examples: Sequence[Example], seed: int = 0) -> list[tuple[str, str, str]]:
    """``(prompt, chosen, rejected)`` for each example: the judge scores the reference response and a
    corrupted one (a wrong answer, or the right one rambling on), and the higher-scored is chosen."""
    rng = random.Random(seed)
    pairs = []
    for ex in examples:
        wrong = _wrong_answer(ex, rng) if ex.kind == "format" or rng.random() < 0.8 else f"{ex.answer} {ex.answer}"
        a, b = ex.response, f" {wrong}{EOT}"
        sa, sb = judge(ex, a), judge(ex, b)
        if sa == sb:
            raise RuntimeError(f"the judge cannot separate {a!r} and {b!r} for {ex}")
        pairs.append((ex.prompt, a, b) if sa > sb else (ex.prompt, b, a))
    return pairs
