"""The course's own benchmark: cloze questions with known answers, cut from held-out stories.

Two tasks, both answerable only by reading the story so far:

* ``names`` (4 choices): the story breaks off just before a character's name comes back;
  the choices are that name and three names introduced in other stories (drawn as often as they
  occur, so the right answer is not the more frequent or the shorter name).
* ``pronouns`` (2 choices): the story breaks off after a sentence about the hero, just before the
  next sentence starts with the hero's pronoun; the choices are `` He`` and `` She``.

Items come from the validation split of the embedded corpus (``embedded_corpus("validation", 0.8)``),
which no course model trains on, and are the same on every machine.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from course_lib.corpora import embedded_corpus, iter_documents
from course_lib.evaluation.multiple_choice import MultipleChoiceItem

__all__ = ["TASKS", "story_benchmark", "name_items", "pronoun_items", "item_text"]

TASKS = ("names", "pronouns")

_NAMED = re.compile(r"\bnamed ([A-Z][a-z]+)\b")
_MAX_CONTEXT_CHARS = 700


def _stories(validation_megabytes: float) -> list[str]:
    return [doc.strip() for doc in iter_documents(embedded_corpus("validation", validation_megabytes)) if doc.strip()]


def name_items(stories: Iterable[str], seed: int = 0) -> list[MultipleChoiceItem]:
    """One ``names`` item per story where a character introduced as "named X" comes back at the
    start of a sentence (within the first ``_MAX_CONTEXT_CHARS`` characters)."""
    stories = list(stories)
    # Distractors are drawn from every introduction in the stories, so a frequent name is as likely to be
    # a distractor as to be the answer: a model that ignores the context scores chance, whatever the
    # names' lengths.
    introductions = [m for s in stories for m in _NAMED.findall(s)]
    rng = random.Random(seed)
    items = []
    for story in stories:
        introduced = _NAMED.findall(story[:_MAX_CONTEXT_CHARS])
        if not introduced:
            continue
        cast = set(_NAMED.findall(story)) | set(re.findall(r"\b[A-Z][a-z]+\b", story))
        best = None
        for name in dict.fromkeys(introduced):
            first = story.index(f"named {name}") + len("named ") + len(name)
            again = re.compile(rf"(?<=[.!?] )(?={name}\b)").search(story, first)
            if again and again.start() <= _MAX_CONTEXT_CHARS and (best is None or again.start() < best[1]):
                best = (name, again.start())
        if best is None:
            continue
        name, cut = best
        distractors: list[str] = []
        while len(distractors) < 3:
            candidate = introductions[int(rng.random() * len(introductions))]
            if candidate not in cast and candidate not in distractors:
                distractors.append(candidate)
        choices = [f" {name}"] + [f" {d}" for d in distractors]
        rng.shuffle(choices)
        items.append(MultipleChoiceItem(story[: cut - 1], tuple(choices), choices.index(f" {name}")))
    return items


_HERO_THEN_PRONOUN = re.compile(r"(?<=[.!?] )(?P<name>[A-Z][a-z]+) [^.!?\"]*[.!?] (?P<pronoun>He|She) ")


def pronoun_items(stories: Iterable[str]) -> list[MultipleChoiceItem]:
    """One ``pronouns`` item per story where a sentence starting with the hero's name (the first
    "named X") is followed by one starting with He or She (within ``_MAX_CONTEXT_CHARS``)."""
    items = []
    for story in stories:
        hero = _NAMED.search(story)
        if hero is None:
            continue
        for m in _HERO_THEN_PRONOUN.finditer(story, hero.end()):
            if m.group("name") != hero.group(1) or m.start("pronoun") > _MAX_CONTEXT_CHARS:
                continue
            gold = m.group("pronoun")
            items.append(MultipleChoiceItem(story[: m.start("pronoun") - 1], (" He", " She"), 0 if gold == "He" else 1))
            break
    return items


def story_benchmark(
    task: str, num_items: int | None = None, *, validation_megabytes: float = 0.8, seed: int = 0
) -> list[MultipleChoiceItem]:
    """The first ``num_items`` items (all when ``None``) of ``task`` (``"names"`` or ``"pronouns"``)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: expected one of {TASKS}")
    stories = _stories(validation_megabytes)
    items = name_items(stories, seed) if task == "names" else pronoun_items(stories)
    if num_items is not None:
        if num_items > len(items):
            raise ValueError(f"asked for {num_items} {task} items, the stories give only {len(items)}")
        items = items[:num_items]
    return items


def item_text(item: MultipleChoiceItem) -> str:
    """The item as a document: its context followed by the right answer."""
    return item.context + item.choices[item.gold]
