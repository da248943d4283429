"""Word lists and English inflection for the story generator (``course_lib.corpora.stories``).

The lists are data, in ``course_lib/corpora/data/words.toml`` (each with a comment saying what it
holds), read here into ordered tuples: the generator indexes into them with a seeded
``random.Random``, so their order is part of the corpus definition. Lists are ordered roughly from
common to rare; the generator draws early entries more often (a Zipf-like skew), as real text does.
Inflection is rule-based with explicit exception tables, enough for the words listed here.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "GIRL_NAMES",
    "BOY_NAMES",
    "CREATURES",
    "ANIMALS",
    "TOYS",
    "THINGS",
    "NATURE_THINGS",
    "HABITATS",
    "OUTINGS",
    "FIELDS",
    "CLOTHES",
    "ANIMAL_NOISES",
    "ANIMAL_LOOKS",
    "PLANTS",
    "PETS",
    "POCKET_FINDS",
    "NATURE_VERBS",
    "CONNECTORS",
    "COUNT_FOODS",
    "MASS_FOODS",
    "LOOKS",
    "COLORS",
    "TRAITS",
    "FEELINGS_GOOD",
    "FEELINGS_BAD",
    "ADVERBS",
    "SOUNDS",
    "WEATHER",
    "TIMES",
    "SAID",
    "MOTIONS",
    "HOBBIES",
    "HELPERS",
    "JOBS",
    "NAME_STARTS",
    "TOWN_ENDS",
    "SURNAME_ENDS",
    "ACTIONS",
    "GRADABLE",
    "article",
    "plural",
    "past",
    "ing",
    "third_person",
    "comparative",
    "superlative",
]

_LISTS = tomllib.loads(files("course_lib.corpora").joinpath("data", "words.toml").read_text(encoding="utf-8"))


def _words(name: str) -> tuple[Any, ...]:
    """The list ``name`` of words.toml as a tuple (an inner list, a pair, as a tuple too)."""
    return tuple(tuple(item) if isinstance(item, list) else item for item in _LISTS[name])


GIRL_NAMES = _words("GIRL_NAMES")
BOY_NAMES = _words("BOY_NAMES")
CREATURES = _words("CREATURES")
ANIMALS = CREATURES + _words("MORE_ANIMALS")
TOYS = _words("TOYS")
THINGS = _words("THINGS")
NATURE_THINGS = _words("NATURE_THINGS")
HABITATS = _words("HABITATS")
OUTINGS = _words("OUTINGS")
FIELDS = _words("FIELDS")
CLOTHES = _words("CLOTHES")
ANIMAL_NOISES = _words("ANIMAL_NOISES")
ANIMAL_LOOKS = _words("ANIMAL_LOOKS")
PLANTS = _words("PLANTS")
PETS = _words("PETS")
POCKET_FINDS = _words("POCKET_FINDS")
NATURE_VERBS = _words("NATURE_VERBS")
CONNECTORS = _words("CONNECTORS")
COUNT_FOODS = _words("COUNT_FOODS")
MASS_FOODS = _words("MASS_FOODS")
LOOKS = _words("LOOKS")
COLORS = _words("COLORS")
TRAITS = _words("TRAITS")
FEELINGS_GOOD = _words("FEELINGS_GOOD")
FEELINGS_BAD = _words("FEELINGS_BAD")
ADVERBS = _words("ADVERBS")
SOUNDS = _words("SOUNDS")
WEATHER = _words("WEATHER")
TIMES = _words("TIMES")
SAID = _words("SAID")
MOTIONS = _words("MOTIONS")
HOBBIES = _words("HOBBIES")
HELPERS = _words("HELPERS")
JOBS = _words("JOBS")
NAME_STARTS = _words("NAME_STARTS")
TOWN_ENDS = _words("TOWN_ENDS")
SURNAME_ENDS = _words("SURNAME_ENDS")
ACTIONS = _words("ACTIONS")
GRADABLE = _words("GRADABLE")

# --- inflection ------------------------------------------------------------------------------

_AN_EXCEPTIONS = ("hour", "honest", "honor", "heir")
_A_EXCEPTIONS = ("uni", "use", "usu", "uku", "one", "once", "euro", "eu", "ewe", "u-")


def article(phrase: str) -> str:
    """``phrase`` with the right indefinite article: ``article("owl") == "an owl"``."""
    low = phrase.lower()
    if low.startswith(_AN_EXCEPTIONS):
        return "an " + phrase
    if low.startswith(_A_EXCEPTIONS):
        return "a " + phrase
    return ("an " if low[:1] in "aeiou" else "a ") + phrase


_PLURALS = {
    "mouse": "mice",
    "sheep": "sheep",
    "fish": "fish",
    "child": "children",
    "goose": "geese",
    "wolf": "wolves",
    "leaf": "leaves",
    "knife": "knives",
    "shelf": "shelves",
    "loaf": "loaves",
    "scarf": "scarves",
    "potato": "potatoes",
    "tomato": "tomatoes",
    "hero": "heroes",
    "deer": "deer",
    "moose": "moose",
    "ox": "oxen",
    "foot": "feet",
    "tooth": "teeth",
    "person": "people",
    "man": "men",
    "woman": "women",
    "bison": "bison",
    "buffalo": "buffaloes",
    "salmon": "salmon",
    "scissors": "scissors",
    "woods": "woods",
    "volcano": "volcanoes",
    "calf": "calves",
    "elf": "elves",
    "half": "halves",
    "shrimp": "shrimp",
    "squid": "squid",
    "trout": "trout",
    "tuna": "tuna",
    "dunes": "dunes",
    "mango": "mangoes",
    "cactus": "cacti",
    "octopus": "octopuses",
    "walrus": "walruses",
    "platypus": "platypuses",
}


def plural(noun: str) -> str:
    """Plural of a (possibly multi-word) noun: ``plural("teddy bear") == "teddy bears"``."""
    head, _, last = noun.rpartition(" ")
    prefix = head + " " if head else ""
    if last in _PLURALS:
        return prefix + _PLURALS[last]
    if last.endswith("fish"):  # goldfish, starfish, catfish
        return prefix + last
    if last.endswith("man"):  # snowman, fisherman
        return prefix + last[:-3] + "men"
    if last.endswith(("s", "x", "z", "ch", "sh")):
        return prefix + last + "es"
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        return prefix + last[:-1] + "ies"
    return prefix + last + "s"


_PAST = {
    "run": "ran",
    "swim": "swam",
    "fly": "flew",
    "go": "went",
    "see": "saw",
    "eat": "ate",
    "find": "found",
    "make": "made",
    "take": "took",
    "give": "gave",
    "get": "got",
    "come": "came",
    "sing": "sang",
    "ride": "rode",
    "read": "read",
    "draw": "drew",
    "build": "built",
    "dig": "dug",
    "catch": "caught",
    "tell": "told",
    "write": "wrote",
    "hold": "held",
    "sit": "sat",
    "stand": "stood",
    "think": "thought",
    "bring": "brought",
    "buy": "bought",
    "feel": "felt",
    "know": "knew",
    "grow": "grew",
    "throw": "threw",
    "blow": "blew",
    "fall": "fell",
    "leave": "left",
    "lose": "lost",
    "keep": "kept",
    "sleep": "slept",
    "sweep": "swept",
    "creep": "crept",
    "leap": "leapt",
    "spin": "spun",
    "slide": "slid",
    "hide": "hid",
    "say": "said",
    "pay": "paid",
    "lay": "laid",
    "hear": "heard",
    "win": "won",
    "begin": "began",
    "drink": "drank",
    "wear": "wore",
    "tear": "tore",
    "shake": "shook",
    "wake": "woke",
    "break": "broke",
    "speak": "spoke",
    "steal": "stole",
    "choose": "chose",
    "bite": "bit",
    "shine": "shone",
    "meet": "met",
    "feed": "fed",
    "lead": "led",
    "hang": "hung",
    "stick": "stuck",
    "swing": "swung",
    "sting": "stung",
    "fight": "fought",
    "teach": "taught",
    "sell": "sold",
    "have": "had",
    "do": "did",
    "be": "was",
    "put": "put",
    "cut": "cut",
    "let": "let",
    "set": "set",
    "hit": "hit",
    "shut": "shut",
    "knit": "knitted",
    "mend": "mended",
    "bend": "bent",
    "send": "sent",
    "spend": "spent",
    "lend": "lent",
    "light": "lit",
    "sew": "sewed",
    "fold": "folded",
    "forget": "forgot",
    "understand": "understood",
}

# One-syllable (or final-stressed) verbs that double their last consonant: stop -> stopped.
_DOUBLE = frozenset(
    (
        "stop",
        "hop",
        "skip",
        "clap",
        "hug",
        "dig",
        "jog",
        "swim",
        "run",
        "sit",
        "get",
        "hit",
        "drop",
        "plan",
        "shop",
        "nap",
        "tap",
        "grab",
        "wag",
        "rub",
        "spin",
        "trip",
        "chop",
        "step",
        "slip",
        "drip",
        "pat",
        "beg",
        "hum",
        "nod",
        "zip",
        "wrap",
        "flip",
        "knit",
        "pet",
        "tug",
        "stir",
        "begin",
        "win",
        "put",
        "cut",
        "set",
        "let",
        "shut",
        "forget",
        "stab",
        "scrub",
        "hem",
        "plop",
        "pop",
        "mop",
        "sip",
        "dip",
        "rip",
        "bat",
        "chat",
        "spot",
        "trot",
        "plod",
        "skid",
        "yip",
        "sled",
        "jam",
        "bob",
        "dab",
        "drum",
        "flap",
        "hem",
        "snap",
        "strum",
        "whip",
    )
)


_DOUBLE_ADJ = frozenset(("big", "fat", "thin", "wet", "hot", "sad", "red"))


def comparative(adjective: str) -> str:
    """``"big" -> "bigger"``, ``"happy" -> "happier"``, ``"beautiful" -> "more beautiful"``."""
    return _graded(adjective, "er", "more")


def superlative(adjective: str) -> str:
    """``"big" -> "biggest"``, ``"happy" -> "happiest"``, ``"beautiful" -> "most beautiful"``."""
    return _graded(adjective, "est", "most")


def _graded(adjective: str, ending: str, word: str) -> str:
    if adjective == "shy":
        return "shy" + ending
    core = adjective[:-1] if adjective.endswith("e") and not adjective.endswith("le") else adjective
    core = "j" + core[1:] if core.startswith("y") else core
    # syllables ~ groups of vowels (a leading y is a consonant, a final silent e is not counted)
    vowels = sum(1 for i, c in enumerate(core) if c in "aeiouy" and i > 0 and core[i - 1] not in "aeiouy")
    vowels += core[0] in "aeiou"
    if adjective in _DOUBLE_ADJ:
        return adjective + adjective[-1] + ending
    if adjective.endswith("y") and vowels <= 2:  # happy, tiny, silly
        return adjective[:-1] + "i" + ending
    if adjective.endswith("le") and vowels <= 2:  # gentle
        return adjective[:-1] + ending
    if vowels == 1 or adjective == "clever":  # big, tall, brave, quiet
        return adjective.removesuffix("e") + ending
    return f"{word} {adjective}"


def past(verb_phrase: str) -> str:
    """Simple past of a base-form verb phrase (first word is the verb): ``"fly a kite" -> "flew a kite"``."""
    verb, sep, rest = verb_phrase.partition(" ")
    if verb in _PAST:
        form = _PAST[verb]
    elif verb in _DOUBLE:
        form = verb + verb[-1] + "ed"
    elif verb.endswith("e"):
        form = verb + "d"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        form = verb[:-1] + "ied"
    elif verb.endswith("c"):
        form = verb + "ked"
    else:
        form = verb + "ed"
    return form + sep + rest


def ing(verb_phrase: str) -> str:
    """Present participle: ``"make a cake" -> "making a cake"``, ``"tie" -> "tying"``."""
    verb, sep, rest = verb_phrase.partition(" ")
    if verb == "be":
        form = "being"
    elif verb in _DOUBLE:
        form = verb + verb[-1] + "ing"
    elif verb.endswith("ie"):
        form = verb[:-2] + "ying"
    elif verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and len(verb) > 2:
        form = verb[:-1] + "ing"
    elif verb.endswith("c"):
        form = verb + "king"
    else:
        form = verb + "ing"
    return form + sep + rest


def third_person(verb_phrase: str) -> str:
    """Third person singular present: ``"fly a kite" -> "flies a kite"``."""
    verb, sep, rest = verb_phrase.partition(" ")
    special = {"have": "has", "do": "does", "go": "goes", "be": "is"}
    if verb in special:
        form = special[verb]
    elif verb.endswith(("s", "x", "z", "ch", "sh")):
        form = verb + "es"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        form = verb[:-1] + "ies"
    else:
        form = verb + "s"
    return form + sep + rest
