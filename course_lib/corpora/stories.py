"""A seeded generator of simple children's stories in the style of TinyStories.

Each story has a hero (a child or an animal, with a name and consistent pronouns), a friend, a
parent, a treasured object, a home and a favourite pastime, and follows one of twenty plot
templates (a lost object, a broken toy, a trip, a new friend, a rainy day, learning to share, a
scary noise, helping at home, a garden, baking, a race, a birthday present, an animal in trouble, a
picnic, getting lost, a school show, a snowy day, a wish, a new pet, a treasure hunt), sometimes
followed by a second adventure with the same characters. Short scenes (dialogue, what the hero
sees and hears) are inserted between the plot's beats, so lengths vary from 80 to 400 words.

Templates hold slots such as ``{He}``, ``{a_toy}`` or ``{hobby_ed}``. Story-wide slots are fixed
when the story starts (so names, pronouns and objects recur); the others draw a fresh word from the
lists in ``course_lib.corpora.words``, early entries more often than late ones (a Zipf-like skew),
and are inflected there (articles, plurals, past tense, -ing, comparatives).

Everything is driven by one ``random.Random`` through ``Random.random()`` only, whose sequence is
the same on every platform and Python version, by IEEE arithmetic without ``pow``, and by explicit
ordered tuples: the same seed gives the same stories everywhere.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

from course_lib.corpora import words as W

__all__ = ["generate_story", "iter_stories"]

Slot = Callable[[random.Random, dict[str, str]], str]


def _skewed(u: float, skew: float) -> float:
    """A uniform ``u`` in [0, 1) bent towards 0, roughly ``u ** skew`` for ``skew`` in [1, 3].

    Built from IEEE multiplications and additions only (``**`` calls the platform's ``pow``, which
    may round differently on another machine), so every platform gets the same bits.
    """
    if skew <= 2.0:
        return u * ((2.0 - skew) + (skew - 1.0) * u)
    return u * u * ((3.0 - skew) + (skew - 2.0) * u)


def _pick(rng: random.Random, seq: tuple, skew: float = 2.0):  # noqa: ANN202 - any tuple element
    """An element of ``seq``; with ``skew > 1`` early elements are likelier (a Zipf-like skew)."""
    return seq[int(len(seq) * _skewed(rng.random(), skew))]


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: random.Random, ctx: dict[str, str]) -> str:
    """Replace every ``{slot}`` in ``template``: story-wide values from ``ctx``, else a fresh draw.

    A slot written with a capital first letter (``{He}``, ``{A_toy}``) gives the value capitalised.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ctx:
            return ctx[name]
        lower = name[0].lower() + name[1:]
        if lower in ctx:
            value = ctx[lower]
        elif lower in _SLOTS:
            value = _SLOTS[lower](rng, ctx)
        else:
            raise KeyError(f"unknown story slot {{{name}}} in template {template!r}")
        return value[0].upper() + value[1:] if name[0].isupper() else value

    return _SLOT.sub(replace, template)


# --- random slots: a fresh draw at every use ----------------------------------------------------

_EXCLAIM = (
    "Wow",
    "Look",
    "Oh no",
    "Yay",
    "Hooray",
    "Oh",
    "Hello",
    "Hi",
    "Come on",
    "Oh dear",
    "Yippee",
    "Hmm",
    "Uh-oh",
    "Goodness",
    "Oops",
    "Hey",
    "Whee",
    "Ouch",
    "Good morning",
    "Oh my",
    "Ta-da",
    "Wait",
    "Listen",
    "Quick",
    "Hurray",
    "Gosh",
    "Golly",
    "Psst",
    "Aha",
    "Look out",
    "Surprise",
)
_ASKED = ("asked", "asked", "wondered", "whispered", "called", "said", "cried")
_FAMILY = (
    "mom and dad",
    "mom",
    "dad",
    "grandma",
    "grandpa",
    "family",
    "big sister",
    "big brother",
    "little sister",
    "little brother",
    "aunt",
    "uncle",
    "grandparents",
    "two cousins",
    "baby brother",
    "baby sister",
    "twin brother",
    "twin sister",
    "great-grandma",
    "three sisters",
)
_PARENTS = (
    ("Mom", "she"),
    ("Dad", "he"),
    ("Grandma", "she"),
    ("Grandpa", "he"),
    ("Mama", "she"),
    ("Papa", "he"),
    ("Nana", "she"),
    ("Aunt May", "she"),
    ("Uncle Joe", "he"),
    ("Granny", "she"),
    ("Aunt Rosa", "she"),
    ("Uncle Sam", "he"),
    ("Mother", "she"),
    ("Father", "he"),
)
_NUMBERS = (
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "a hundred",
)
_AGES = ("three", "four", "five", "six", "seven", "eight", "nine", "ten")
_HOMES = (
    "house",
    "cottage",
    "hut",
    "cabin",
    "farmhouse",
    "apartment",
    "tree house",
    "burrow",
    "nest",
    "houseboat",
    "windmill",
    "lighthouse",
    "caravan",
    "bungalow",
    "castle",
    "igloo",
    "den",
    "barn",
    "log cabin",
    "tower",
    "mill",
    "palace",
    "shack",
    "tent",
)
_HOME_LOOKS = (
    "small",
    "little",
    "big",
    "cozy",
    "old",
    "new",
    "pretty",
    "tiny",
    "tall",
    "warm",
    "wooden",
    "stone",
    "crooked",
    "quiet",
    "busy",
    "bright",
    "snug",
    "lovely",
    "tidy",
    "messy",
    "round",
)
_NATURE_LOOKS = (
    "tall",
    "green",
    "old",
    "big",
    "small",
    "shady",
    "leafy",
    "wet",
    "pretty",
    "bright",
    "quiet",
    "huge",
    "tiny",
    "thick",
    "wild",
    "lovely",
    "dry",
    "prickly",
    "soft",
    "bumpy",
    "mossy",
    "golden",
)
_ATE = ("ate", "shared", "munched on", "nibbled", "gobbled up", "tasted", "enjoyed", "finished", "devoured")


def _some_food(rng: random.Random, ctx: dict[str, str]) -> str:
    if _chance(rng, 0.5):
        return "some " + _pick(rng, W.MASS_FOODS)
    return "some " + W.plural(_pick(rng, W.COUNT_FOODS))


def _hobby(rng: random.Random, ctx: dict[str, str], their: bool = False) -> str:
    local = dict(ctx, his="their") if their else ctx
    return _fill(_pick(rng, W.HOBBIES, 1.5), rng, local)


def _described(rng: random.Random, noun: str) -> str:
    """``noun`` with a colour or a look: "red kite", "fluffy kite"."""
    return (_pick(rng, W.COLORS) if _chance(rng, 0.35) else _pick(rng, W.LOOKS)) + " " + noun


def _described_animal(rng: random.Random, animal: str) -> str:
    """``animal`` with a colour, a trait or a look that suits animals: "curious owl", "spotted fawn"."""
    u = rng.random()
    word = _pick(rng, W.COLORS) if u < 0.2 else _pick(rng, W.TRAITS) if u < 0.55 else _pick(rng, W.ANIMAL_LOOKS)
    return word + " " + animal


def _town(rng: random.Random) -> str:
    return _pick(rng, W.NAME_STARTS, 1.0) + _pick(rng, W.TOWN_ENDS, 1.0)


def _noise(rng: random.Random, form: Callable[[str], str]) -> str:
    animal, call = _pick(rng, W.ANIMAL_NOISES, 1.5)
    return f"{W.article(animal)} {form(call)}"


def _nature_move(rng: random.Random, form: Callable[[str], str]) -> str:
    return f"the {W.plural(_pick(rng, W.PLANTS))} {form(_pick(rng, W.NATURE_VERBS))}"


_SLOTS: dict[str, Slot] = {
    "adj": lambda r, c: _pick(r, W.LOOKS),
    "a_adj": lambda r, c: W.article(_pick(r, W.LOOKS)),
    "color": lambda r, c: _pick(r, W.COLORS),
    "a_color": lambda r, c: W.article(_pick(r, W.COLORS)),
    "trait": lambda r, c: _pick(r, W.TRAITS),
    "good": lambda r, c: _pick(r, W.FEELINGS_GOOD),
    "bad": lambda r, c: _pick(r, W.FEELINGS_BAD),
    "adv": lambda r, c: _pick(r, W.ADVERBS),
    "sound": lambda r, c: _pick(r, W.SOUNDS),
    "weather": lambda r, c: _pick(r, W.WEATHER),
    "time": lambda r, c: _pick(r, W.TIMES),
    "said": lambda r, c: _pick(r, W.SAID, 2.5),
    "asked": lambda r, c: _pick(r, _ASKED, 1.0),
    "exclaim": lambda r, c: _pick(r, _EXCLAIM),
    "then": lambda r, c: _pick(r, W.CONNECTORS, 1.5),
    "number": lambda r, c: _pick(r, _NUMBERS),
    "name": lambda r, c: _pick(r, W.GIRL_NAMES if _chance(r, 0.5) else W.BOY_NAMES, 1.3),
    "animal": lambda r, c: _pick(r, W.ANIMALS, 1.5),
    "animals": lambda r, c: W.plural(_pick(r, W.ANIMALS, 1.5)),
    "a_animal": lambda r, c: W.article(_pick(r, W.ANIMALS, 1.5)),
    "a_adj_animal": lambda r, c: W.article(_described_animal(r, _pick(r, W.ANIMALS, 1.5))),
    "adj_animals": lambda r, c: W.plural(_described_animal(r, _pick(r, W.ANIMALS, 1.5))),
    "noise_ed": lambda r, c: _noise(r, W.past),
    "noise_ing": lambda r, c: _noise(r, W.ing),
    "nature_moved": lambda r, c: _nature_move(r, W.past),
    "toy": lambda r, c: _pick(r, W.TOYS),
    "a_toy": lambda r, c: W.article(_described(r, _pick(r, W.TOYS)) if _chance(r, 0.5) else _pick(r, W.TOYS)),
    "toys": lambda r, c: W.plural(_pick(r, W.TOYS)),
    "a_kite": lambda r, c: W.article(_pick(r, W.COLORS) + " kite"),
    "thing": lambda r, c: _pick(r, W.THINGS, 1.5),
    "a_thing": lambda r, c: W.article(_pick(r, W.THINGS, 1.5)),
    "a_adj_thing": lambda r, c: W.article(_described(r, _pick(r, W.THINGS, 1.5))),
    "things": lambda r, c: W.plural(_pick(r, W.THINGS, 1.5)),
    "clothes": lambda r, c: _pick(r, W.CLOTHES),
    "nature": lambda r, c: _pick(r, W.NATURE_THINGS),
    "a_nature": lambda r, c: W.article(_pick(r, W.NATURE_THINGS)),
    "natures": lambda r, c: W.plural(_pick(r, W.NATURE_THINGS)),
    "food": lambda r, c: _pick(r, W.COUNT_FOODS),
    "a_food": lambda r, c: W.article(_pick(r, W.COUNT_FOODS)),
    "foods": lambda r, c: W.plural(_pick(r, W.COUNT_FOODS)),
    "mass_food": lambda r, c: _pick(r, W.MASS_FOODS),
    "some_food": _some_food,
    "ate": lambda r, c: _pick(r, _ATE),
    "place": lambda r, c: _pick(r, W.OUTINGS, 1.5)[0],
    "motion": lambda r, c: _pick(r, W.MOTIONS),
    "motion_ed": lambda r, c: W.past(_pick(r, W.MOTIONS)),
    "motion_ing": lambda r, c: W.ing(_pick(r, W.MOTIONS)),
    "hobby_r": lambda r, c: _hobby(r, c),
    "hobby_r_ing": lambda r, c: W.ing(_hobby(r, c)),
    "they_hobby_ed": lambda r, c: W.past(_hobby(r, c, their=True)),
    "they_hobby": lambda r, c: _hobby(r, c, their=True),
    "help": lambda r, c: _pick(r, W.HELPERS),
    "help_ed": lambda r, c: W.past(_pick(r, W.HELPERS)),
    "help_ing": lambda r, c: W.ing(_pick(r, W.HELPERS)),
    "job": lambda r, c: _pick(r, W.JOBS),
    "a_job": lambda r, c: W.article(_pick(r, W.JOBS)),
    "jobs": lambda r, c: W.plural(_pick(r, W.JOBS)),
    "family": lambda r, c: _pick(r, _FAMILY),
    "a_home_adj": lambda r, c: W.article(_pick(r, W.COLORS) if _chance(r, 0.3) else _pick(r, _HOME_LOOKS)),
    "home_adj": lambda r, c: _pick(r, _HOME_LOOKS),
    "a_pocket_find": lambda r, c: W.article(_pick(r, W.POCKET_FINDS)),
    "eyes_adj": lambda r, c: _pick(
        r,
        (
            "big",
            "round",
            "kind",
            "sad",
            "shiny",
            "curious",
            "sleepy",
            "bright",
            "wide",
            "gentle",
            "tiny",
            "happy",
            "dark",
            "twinkling",
        ),
    ),
    "town": lambda r, c: _town(r),
    "neighbor": lambda r, c: (
        ("Mr. " if _chance(r, 0.5) else "Mrs. ") + _pick(r, W.NAME_STARTS, 1.0) + _pick(r, W.SURNAME_ENDS, 1.0)
    ),
    "action_ed": lambda r, c: W.past(_pick(r, W.ACTIONS, 1.5)),
    "action_ing": lambda r, c: W.ing(_pick(r, W.ACTIONS, 1.5)),
    "sup": lambda r, c: W.superlative(_pick(r, W.GRADABLE, 1.5)),
    "comp": lambda r, c: W.comparative(_pick(r, W.GRADABLE, 1.5)),
    "animal_adj": lambda r, c: _pick(r, W.TRAITS) if _chance(r, 0.5) else _pick(r, W.ANIMAL_LOOKS),
    "plant": lambda r, c: _pick(r, W.PLANTS),
    "a_plant": lambda r, c: W.article(_pick(r, W.PLANTS)),
    "nature_adj": lambda r, c: _pick(r, _NATURE_LOOKS),
    "voice_adj": lambda r, c: _pick(
        r, ("soft", "strong", "sweet", "loud", "bright", "gentle", "steady", "high", "warm", "happy")
    ),
    "cake_adj": lambda r, c: _pick(
        r, ("flat", "lopsided", "burnt", "crooked", "squishy", "messy", "wobbly", "small", "dry")
    ),
}


# --- story-wide slots: fixed for the whole story --------------------------------------------------

_LAND_CREATURES = tuple(c for c in W.CREATURES if c not in ("seal", "dolphin", "whale", "octopus", "crab", "penguin"))

_PRONOUNS = {
    "he": {"he": "he", "him": "him", "his": "his", "himself": "himself"},
    "she": {"he": "she", "him": "her", "his": "her", "himself": "herself"},
}


def _character(rng: random.Random, prefix: str, exclude: str = "") -> dict[str, str]:
    """A named child or animal with pronouns. With prefix "f": fhe, fhim, fhis, fkind, a_fkind, ..."""
    girl = _chance(rng, 0.5)
    name = exclude
    while name == exclude:
        name = _pick(rng, W.GIRL_NAMES if girl else W.BOY_NAMES, 1.3)
    if _chance(rng, 0.55):
        kind = (
            ("little girl" if _chance(rng, 0.4) else "girl") if girl else ("little boy" if _chance(rng, 0.4) else "boy")
        )
    else:
        kind = _pick(rng, W.CREATURES, 1.5)
        if _chance(rng, 0.4):
            kind = _pick(rng, ("little", "young", "small", "big", "baby", "fluffy", "tiny", "old")) + " " + kind
    out = {"name": name, "kind": kind, "a_kind": W.article(kind)}
    out.update(_PRONOUNS["she" if girl else "he"])
    out["a_trait_kind"] = W.article(_pick(rng, W.TRAITS) + " " + kind)
    return {(k.replace("kind", prefix + "kind") if "kind" in k else prefix + k): v for k, v in out.items()}


def _context(rng: random.Random) -> dict[str, str]:
    ctx = _character(rng, "")
    ctx["H"] = ctx.pop("name")
    friend = _character(rng, "f", exclude=ctx["H"])
    ctx["F"] = friend.pop("fname")
    ctx.update(friend)
    parent, pronoun = _pick(rng, _PARENTS, 1.5)
    ctx.update(
        P=parent, phe=pronoun, phim="her" if pronoun == "she" else "him", phis="her" if pronoun == "she" else "his"
    )
    obj = _pick(rng, W.TOYS + W.THINGS, 1.5)
    ctx.update(obj=obj, objdesc=_described(rng, obj))
    ctx["a_objdesc"] = W.article(ctx["objdesc"])
    toy = _pick(rng, W.TOYS)
    ctx.update(toy0=toy, toydesc=_described(rng, toy))
    ctx["wear"] = _pick(rng, W.COLORS) + " " + _pick(rng, W.CLOTHES)
    habitat, prep = _pick(rng, W.HABITATS, 1.5)
    ctx.update(habitat=habitat, at_habitat=f"{prep} the {habitat}", home=_pick(rng, _HOMES, 1.5))
    place2, prep2 = _pick(rng, W.OUTINGS, 1.5)
    ctx.update(place2=place2, at_place2=f"{prep2} the {place2}", field=_pick(rng, W.FIELDS, 1.0))
    hobby = _fill(_pick(rng, W.HOBBIES, 1.5), rng, ctx)
    ctx.update(hobby=hobby, hobby_ing=W.ing(hobby), hobby_ed=W.past(hobby), hobby_s=W.third_person(hobby))
    ctx["hometown"] = _town(rng)
    ctx.update(fav_foods=W.plural(_pick(rng, W.COUNT_FOODS)), age=_pick(rng, _AGES, 1.0))
    ctx.update(pet=_pick(rng, W.PETS, 1.5), petname=_pick(rng, W.GIRL_NAMES + W.BOY_NAMES))
    animal2 = _pick(rng, _LAND_CREATURES, 1.5)
    ctx.update(animal2=animal2, a_animal2=W.article(animal2))
    return ctx


# --- templates: a beat is a tuple of alternatives, the story takes one ------------------------------

_INTRO = (
    "Once upon a time, there was {a_trait_kind} named {H}.",
    "Once upon a time, there was {a_kind} named {H}. {He} was very {trait}.",
    "Once upon a time, {at_habitat}, there lived {a_kind} named {H}.",
    "{H} was {a_trait_kind} who loved to {hobby}.",
    "One {weather} {time}, {a_kind} named {H} woke up early.",
    "There once was {a_trait_kind} called {H}.",
    "{H} was {a_kind}. {He} was {age} years old, and {he} loved to {hobby}.",
    "In {a_home_adj} {home} {at_habitat}, there lived {a_trait_kind}. {His} name was {H}.",
    "Once there was {a_kind} named {H} who lived {at_habitat}.",
    "Long ago, {at_habitat}, there was {a_trait_kind} named {H}.",
    "{H} the {kind} lived in {a_home_adj} {home} {at_habitat}.",
    "Once upon a time, in a little town called {hometown}, there lived {a_trait_kind} named {H}.",
    "In the {home_adj} village of {hometown}, there was {a_kind} named {H}.",
    "Everyone in {hometown} knew {H}, the {trait} {kind} who loved to {hobby}.",
    "Every {time}, {H} {hobby_s}. {He} is {a_trait_kind}, and this is {his} story.",
)

_MEET_FRIEND = "{His} best friend was {a_fkind} named {F}."

_DESCRIBE = (
    "{He} lived in {a_home_adj} {home} with {his} {family}.",
    "{He} loved to {hobby} every day.",
    "{He} had {a_objdesc} that {he} loved very much.",
    _MEET_FRIEND,
    "Every {time}, {he} liked to {hobby}.",
    "{H} liked {fav_foods} more than anything.",
    "{His} favorite color was {color}.",
    "{He} had a pet {pet} named {petname}.",
    "{He} wanted to be {a_job} when {he} grew up.",
    "{H} was good at {hobby_ing}, but {he} was not good at {hobby_r_ing}.",
    "{His} {objdesc} went everywhere with {him}.",
    "{H} and {his} friend {F} often played near {his} {home}.",
    "{He} always wore {his} {wear}, even when it was {weather}.",
    "{His} {family} said {he} was the most {trait} {kind} they knew.",
    "{He} lived in the town of {hometown}.",
    "{His} teacher, {neighbor}, said {he} was the {sup} {kind} in the class.",
    "Next door lived {neighbor}, {a_job} with {a_adj_animal}.",
)

# Short scenes that can go between any two beats: they add length, detail and dialogue.
_EPISODES = (
    "{He} saw {a_adj_animal} {motion_ing} near {a_nature}.",
    '"Look at that {animal}!" {said} {H}.',
    "The {plant} was {nature_adj} and {nature_adj}.",
    "{He} felt {good}.",
    "{F} {motion_ed} {adv} over to {H}.",
    "They {motion_ed} all the way to the {nature}.",
    "{He} found {a_adj_thing} under {a_nature}.",
    "Together, they {they_hobby_ed}.",
    '"{Exclaim}! Do you want to {hobby_r} with me?" {asked} {H}. "Yes, please!" {said} {F}.',
    "The sun was warm, and the sky was {color}.",
    "{H} {ate} {some_food} and smiled.",
    "{A_adj_animal} {motion_ed} past them.",
    "{He} heard {sound} and looked around.",
    '"I like your {thing}," {said} {F}. "Thank you!" {said} {H}.',
    "{F} told {H} a story about {a_adj_animal} who lived in {a_adj} {place}.",
    "{He} counted {number} {animals} and {number} {natures}.",
    "They stopped to {they_hobby} for a while.",
    "{Then}, {he} {motion_ed} {adv} back to the {nature}.",
    "{H} laughed, and {F} laughed too.",
    "{He} put on {his} {wear} and went outside.",
    "Soon, it was time for lunch, and they ate {some_food}.",
    "The wind blew, and {nature_moved}.",
    "{H} waved at {a_job} who was walking by.",
    '"Can we {hobby_r} after this?" {asked} {H}. "Maybe," {said} {P}.',
    "Somewhere far away, {noise_ed}.",
    "{He} could hear {noise_ing} in the distance.",
    "{Then}, {nature_moved} in the breeze.",
    "{H} thought about {his} {objdesc} and smiled.",
    "{F} had {a_adj_thing}, and {fhe} showed it to {H}.",
    '"Do you like {foods}?" {asked} {F}. "I love them!" {said} {H}.',
    '"What is your favorite animal?" {asked} {F}. "{A_animal}," {said} {H}, "because {animals} are {animal_adj}."',
    "{H} was a little {bad}, but {he} did not give up.",
    "{He} took a deep breath and counted to {number}.",
    '{P} called, "{H}, be careful!" "I will!" {he} {said}.',
    "On the way, they passed {a_adj} {place} full of {adj_animals}.",
    "{He} picked up {a_pocket_find} and put it in {his} pocket.",
    "They sang a song about {animals} and {foods}.",
    '"{Exclaim}!" {said} {F}. "This is so much fun!"',
    "{H} whispered a secret to {F}, and they both giggled.",
    "{A_job} smiled at them and gave them {some_food}.",
    "The {animal} looked at {H} with {eyes_adj} eyes.",
    "{He} felt the {adj} grass under {his} feet.",
    "{H} wished {he} could {hobby_r} all day long.",
    '{Then}, {he} remembered what {P} always said: "Be kind, and be brave."',
    "Everyone was {good}, even the {animal}.",
    "It was {weather} and {weather}, but nobody minded.",
    '"Race you to the {nature}!" {said} {F}, and off they went.',
    "{H} drew a picture of {a_adj_animal} holding {a_thing}.",
    "They sat under {a_plant} and watched the {animals}.",
    '{H}\'s tummy rumbled. "I am hungry," {he} said.',
    "{He} waved at {neighbor}, the {job}.",
    '{Neighbor} the {job} smiled and said, "Hello there, {H}!"',
    "{H} {action_ed} the {thing} {adv}.",
    "{F} was {action_ing} {a_thing} by the {nature}.",
    "It was the {sup} {animal} {he} had ever seen.",
    "{F}'s {toy} was {comp} than {H}'s, but {H} did not mind.",
    '"This is the {sup} day ever!" {said} {H}.',
    "{He} wanted to be {comp} and {comp}, just like {P}.",
    "Far away, in the town of {town}, {a_job} named {neighbor} was {action_ing} {a_thing}.",
    "The people of {hometown} came out to watch.",
    "{H} got a letter from {neighbor}, who lived in {town}.",
    "{Neighbor} from {town} came by with {a_adj_animal} on a leash.",
    '"Have you ever been to {town}?" {asked} {F}. "No, but {neighbor} told me about it," {said} {H}.',
    '"My cousin lives in {town}," {said} {F}. "They have {adj_animals} there."',
    "On the road to {town}, they met {neighbor}, who was {action_ing} {a_thing}.",
    "{F} said that {animals} are {comp} than {animals}. {H} was not so sure.",
)

_PLOTS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (  # a lost object
        (
            "One day, {H} could not find {his} {objdesc}.",
            "One {time}, {H} looked for {his} {objdesc}, but it was gone.",
        ),
        (
            "{He} looked under the bed. {He} looked behind the {thing}. It was not there.",
            "{He} searched the whole {home}, but {he} could not find it anywhere.",
        ),
        ('{H} felt {bad}. "Where is my {obj}?" {he} {asked}.', "{H} began to cry. {He} felt very {bad}."),
        (
            '{P} came in and hugged {him}. "Let\'s look together," {phe} said.',
            '{F} came to help. "Don\'t worry, we will find it," {said} {F}.',
        ),
        (
            "They went outside and looked everywhere.",
            "They looked in the kitchen, in the garden and under the {thing}.",
        ),
        (
            "At last, {F} saw something {color} under {a_nature}. It was the {obj}!",
            "Then {H} saw it. The {obj} was sitting next to {a_nature}!",
            "Just then, {a_animal2} came out holding the {obj}. It had wanted to play with it.",
        ),
        ('{H} was so {good}. "Thank you!" {he} {said}.', "{H} held the {obj} close and smiled."),
        ("From then on, {H} always put {his} {obj} in a safe place.", "{H} learned to take good care of {his} things."),
    ),
    (  # a broken toy, fixed
        ("One day, {H} was playing with {his} {toydesc}.", "{H} took {his} {toydesc} outside to play."),
        ("Suddenly, the {toy0} fell and broke!", "Oh no! {He} dropped the {toy0}, and it broke into {number} pieces."),
        ("{H} was very {bad}. {He} did not know what to do.", '"My {toy0}!" {said} {H}. {He} felt {bad}.'),
        (
            '{P} saw {him} and said, "Don\'t be sad. We can fix it."',
            '{F} had an idea. "Let\'s fix it with some glue," {said} {F}.',
        ),
        (
            "They worked {adv}. They used glue, tape and {a_adj} piece of string.",
            "They got some glue and put the pieces back together, one by one.",
        ),
        ("Soon, the {toy0} was as good as new.", "It was not perfect, but the {toy0} worked again."),
        ("{H} learned that broken things can be fixed with patience.", '{H} said, "Thank you! You are the best."'),
    ),
    (  # a trip
        (
            "One {weather} {time}, {H} and {his} {family} went on a trip to the {place2}.",
            'One {time}, {P} said, "We are going to visit the {place2} in {town}!"',
            '{P} said, "Today we are going to the {place2}!" {H} jumped with joy.',
        ),
        ("{He} packed {his} {objdesc}, {some_food} and {a_thing}.", "{He} put on {his} {wear} and got ready."),
        (
            "The trip was long. {H} looked out of the window and saw {animals} and {natures}.",
            "On the way, they saw {a_adj_animal} and {a_job}.",
        ),
        (
            "{At_place2}, {he} saw {a_adj_thing} and {a_adj_animal}.",
            "When they got to the {place2}, {H} {motion_ed} around {adv}.",
        ),
        (
            "{He} met {a_fkind} named {F}. They played together all day.",
            "{He} wanted to {hobby_r}, so {he} did, and it was fun.",
        ),
        ("When the sun went down, it was time to go home.", "Soon, the sky turned {color}, and it was time to leave."),
        ('{H} said, "That was the best trip ever!"', "{H} fell asleep on the way home, dreaming about the {place2}."),
    ),
    (  # a new friend
        ("One day, {H} saw {a_fkind} sitting alone {at_place2}.", "One {time}, a new {fkind} came to the {place2}."),
        ("The {fkind} looked {bad}.", "{Fhe} did not have anyone to play with."),
        (
            '{H} walked over and said, "Hi! I am {H}. What is your name?"',
            '{H} wanted to help. "Hello! Do you want to play?" {he} {asked}.',
        ),
        ('"My name is {F}," said the {fkind} {adv}.', '"I am {F}," {said} the {fkind}. "I am new here."'),
        (
            "{H} and {F} played together. They liked to {they_hobby}.",
            "They decided to {they_hobby}. It was so much fun.",
        ),
        ("{F} smiled for the first time that day.", "Soon, {F} was not {bad} anymore."),
        ("From that day on, {H} and {F} were best friends.", "{H} learned that a kind word can make a new friend."),
    ),
    (  # a rainy day
        ("One {time}, it was raining outside.", "It was a rainy {time}. Big drops fell on the window."),
        (
            "{H} wanted to {hobby}, but {he} could not go outside.",
            '{H} was {bad}. "I want to play outside," {he} said.',
        ),
        (
            '{P} had an idea. "Let\'s build a fort with blankets!" {phe} said.',
            '{P} said, "We can play inside today. Let\'s make something!"',
        ),
        ("They used pillows, chairs and {a_adj_thing}.", "They made a fort and put {a_toy} inside it."),
        (
            "{H} pretended to be {a_job}. {P} pretended to be {a_animal}.",
            "Inside the fort, they read a book about {a_adj_animal}.",
        ),
        (
            "When the rain stopped, there was a big rainbow in the sky.",
            "Later, the sun came out, and {H} jumped in the puddles.",
        ),
        ("{H} learned that a rainy day can be fun too.", '"Rainy days are the best!" {said} {H}.'),
    ),
    (  # learning to share
        ("One day, {H} had {some_food}.", "{H} got {a_toy} as a present."),
        ('{F} came and asked, "Can I have some too?"', "{F} wanted to play with it too."),
        ('"No, it is mine!" {said} {H}.', "{H} did not want to share. {He} held it close."),
        ("{F} was {bad} and walked away.", "{F} looked {bad}. {Fhe} went to sit by {a_nature}."),
        ("{H} felt {bad}. It was no fun to be alone.", "Soon, {H} did not feel happy anymore."),
        (
            '{He} went to {F} and said, "I am sorry. Let\'s share."',
            '{H} ran after {F}. "Wait! We can share," {he} said.',
        ),
        ("They shared and played together, and they were both {good}.", "{F} smiled. Sharing made them both {good}."),
        (
            "{H} learned that sharing is better than keeping things to yourself.",
            "From then on, {H} always shared with {his} friends.",
        ),
    ),
    (  # a scary noise
        ("One night, {H} heard {sound}.", "Late one evening, there was {sound} outside {H}'s window."),
        ('{He} was {bad}. "What was that?" {he} {asked}.', "{H} hid under {his} blanket. {He} felt {bad}."),
        (
            "{He} took {his} {objdesc} and a flashlight and went to look.",
            "{He} called {P}. {P} came and held {his} hand.",
        ),
        ("They walked {adv} to the window.", "They went outside {adv}, step by step."),
        ("It was only {a_adj_animal}! It was {motion_ing} in the garden.", "It was just {a_animal2} looking for food."),
        ('{H} laughed. "You scared me!" {he} said.', "{H} was not scared anymore. {He} waved at it."),
        (
            "{H} learned that things are not always as scary as they seem.",
            "Then {H} went back to bed and slept {adv} until morning.",
        ),
    ),
    (  # helping at home
        ("One day, {P} was very busy.", "{P} had a lot of work to do at home."),
        ('"Can I help?" {asked} {H}.', '{H} wanted to help. {He} asked, "What can I do?"'),
        (
            '{P} smiled. "You can {help}," {phe} said.',
            '"Yes, please {help}," said {P}.',
            '"{Neighbor} is coming for tea. You can {help}," said {P}.',
        ),
        (
            "{H} worked hard. {He} was {help_ing} and singing a song.",
            "{H} did it {adv}. Then {he} helped {P} {help} too.",
        ),
        ("It was not easy, but {H} did not give up.", "At first it was hard, but soon {he} got better."),
        (
            "When they were done, {P} gave {him} a big hug and {some_food}.",
            '"Thank you, {H}. You are a great helper," said {P}.',
        ),
        ("{H} felt {good}. Helping others made {him} happy.", "{H} learned that helping is a kind thing to do."),
    ),
    (  # a garden
        ("One {weather} {time}, {H} found a little seed.", "{P} gave {H} some seeds to plant."),
        ("{He} dug a small hole near {his} {home} and put the seed in it.", "{He} planted the seeds in {a_color} pot."),
        ("Every day, {he} gave the seed some water.", "{He} watered it every {time} and waited."),
        ("{H} was {bad} because nothing happened.", '"When will it grow?" {H} {asked}. "Be patient," said {P}.'),
        ("Then one day, a tiny green leaf came out!", "After many days, {he} saw a little plant."),
        (
            "The plant grew and grew. Soon it had {a_adj} {color} flower.",
            "Soon the plant was tall, and it had {number} {foods} on it.",
        ),
        ("{H} learned that good things take time.", '{H} showed the plant to {F}. "I grew it myself!" {he} said.'),
    ),
    (  # baking
        ("One day, {H} and {P} decided to bake a cake.", "{H} wanted to bake a surprise for {F}."),
        ("They got flour, eggs, sugar and {some_food}.", "{He} put on an apron and washed {his} hands."),
        ("{H} mixed everything in a big bowl. It was messy!", "{He} stirred {adv}. Some flour landed on {his} nose."),
        ("They put it in the oven and waited.", "The kitchen smelled sweet and warm."),
        (
            '"Is it ready yet?" {asked} {H}. "Not yet," said {P}.',
            "{H} waited and waited. {He} looked at the oven {number} times.",
        ),
        (
            "At last, the cake was ready. It was {adj} and smelled wonderful.",
            "Finally, the cake came out. It was a little {cake_adj}, but it smelled great.",
        ),
        (
            "They shared the cake with {F}, and everyone was {good}.",
            '{F} took a bite. "Yum! This is the best cake!" {fhe} said.',
        ),
    ),
    (  # a race
        ("One day, there was a big race in the {field}.", "{H} and {F} wanted to see who was faster."),
        (
            "Everyone lined up. {H} was nervous, but {he} was ready.",
            '"Ready, set, go!" shouted {a_job}.',
            '{Neighbor}, the {job} from {town}, blew a whistle. "Go!"',
        ),
        ("{H} ran as fast as {he} could.", "They ran past {natures} and {animals}."),
        ("Then {F} tripped and fell.", "Suddenly, {F} fell down and hurt {fhis} knee."),
        ("{H} stopped and helped {F} get up.", "{H} did not keep running. {He} went back to help."),
        ("They finished the race together, holding hands.", "They walked to the finish line together."),
        (
            "They did not win, but everyone cheered for them.",
            "{H} learned that being kind is more important than winning.",
        ),
    ),
    (  # a birthday present
        ("Tomorrow was {F}'s birthday.", "It was almost {F}'s birthday, and {H} wanted to give {fhim} a gift."),
        ("{H} did not have any money.", "{H} thought and thought. What could {he} give?"),
        ("Then {he} had an idea. {He} would make {a_thing}!", "{He} decided to draw a picture of {a_adj_animal}."),
        ("{He} used {color} paper, glue and {number} buttons.", "{He} worked all afternoon, {adv} and carefully."),
        ("At the party, {H} gave {F} the gift.", "On the big day, {H} gave {fhim} the present."),
        ('{F} loved it! "Thank you, {H}! It is perfect," {fhe} said.', "{F} smiled a big smile and hugged {H}."),
        ("{H} learned that the best gifts come from the heart.", "They ate cake and played games until the evening."),
    ),
    (  # an animal in trouble
        ("One {time}, {H} was {hobby_ing} near {his} {home}.", "{H} was walking home {at_habitat}."),
        ("{He} heard {sound}. It came from behind {a_nature}.", "{He} saw {a_animal2} that looked {bad}."),
        ("It was a little {animal2}. Its leg was stuck under a log.", "The little {animal2} could not find its mom."),
        ('"Don\'t worry, I will help you," {said} {H} {adv}.', '{H} knelt down. "Are you okay?" {he} {asked}.'),
        ("{He} helped the {animal2} very carefully.", "{He} called {F}, and they helped the {animal2} together."),
        (
            "The {animal2} was free! It {motion_ed} around {adv}.",
            "Soon the {animal2}'s mom came, and they were together again.",
        ),
        ("{H} felt {good}. {He} had made a new friend.", "After that day, the {animal2} visited {H} every {time}."),
    ),
    (  # a picnic
        (
            "One {weather} {time}, {H} and {F} went on a picnic {at_place2}.",
            '{P} packed a basket with {some_food} and {some_food}. "Let\'s have a picnic!" {phe} said.',
        ),
        ("They spread {a_color} blanket on the grass.", "They found a good spot under {a_nature}."),
        ("{H} ate {a_food}, and {F} ate {a_food}.", "They ate {some_food} and drank {mass_food}."),
        ("Then {a_animal2} came and took the last {food}!", "Suddenly, a line of ants marched toward the basket."),
        (
            '"Hey! That is ours!" {said} {H}. Then {he} laughed. The {animal2} looked so hungry.',
            '{F} giggled. "They are hungry too," {fhe} said.',
        ),
        ("So they left a little food for their new guests.", "They shared a few crumbs and moved the blanket."),
        ("It was the nicest picnic they ever had.", "{H} learned that there is always enough to share."),
    ),
    (  # getting lost
        ("One day, {H} went for a walk {at_habitat} with {his} {objdesc}.", "{H} wanted to explore the woods alone."),
        ("{He} followed {a_adj_animal} down a long path.", "{He} walked past {natures} and {natures}."),
        ("Soon, {he} did not know where {he} was.", "After a while, everything looked strange. {H} was lost!"),
        ("{H} felt {bad}. {He} sat down on a rock.", '"{Exclaim}! Which way is home?" {he} {asked}.'),
        (
            'Then {he} remembered what {P} said: "If you are lost, stay where you are and call for help."',
            "{He} looked up and saw the tall {nature} near {his} {home}.",
        ),
        ("{He} called out loudly, and soon {P} found {him}.", "{He} followed it, step by step, all the way home."),
        ('{P} hugged {him} tight. "I was so worried," {phe} said.', "{H} was safe at home again."),
        (
            "{H} learned to always stay close and never wander off alone.",
            "After that, {H} never went exploring without a grown-up.",
        ),
    ),
    (  # a show
        ("{H}'s class was putting on a show.", "There was going to be a big show {at_place2}, and {H} had a part."),
        ("{He} had to sing a song about {animals}.", "{He} was going to play {a_adj_animal} in the play."),
        (
            "{H} practiced every day. {He} sang for {P}, for {F} and for {his} pet {pet}.",
            "Every {time}, {he} practiced in front of the mirror.",
        ),
        (
            "On the day of the show, {H} felt {bad}. {His} knees were shaking.",
            "When {he} saw all the people, {H} wanted to hide.",
        ),
        ('{F} squeezed {his} hand. "You can do it," {fhe} whispered.', "{P} waved from the front row and smiled."),
        (
            "{H} took a deep breath and began. {His} voice was {voice_adj} and clear.",
            "{H} stepped on the stage and did {his} best.",
        ),
        ("Everyone clapped and cheered!", 'When {he} finished, the crowd clapped and shouted, "Bravo!"'),
        (
            "{H} learned that being brave means doing something even when you feel scared.",
            "{H} was so proud. {He} could not stop smiling.",
        ),
    ),
    (  # a snowy day
        ("One winter morning, {H} looked out of the window. Everything was white!", "It had snowed all night."),
        ("{He} put on {his} {wear}, boots and mittens.", "{H} could not wait to go outside."),
        (
            "{He} and {F} built a big snowman. They gave it {a_color} scarf and {a_food} for a nose.",
            "They made snow angels and threw snowballs.",
        ),
        ("Then {F}'s hands got cold, and {fhe} started to cry.", "After a while, {F} was cold and {bad}."),
        ('{H} gave {fhim} {his} mittens. "Here, take these," {he} said.', "{H} took {F} inside to warm up."),
        ("{P} made them hot cocoa with marshmallows.", "They sat by the fire and drank warm {mass_food}."),
        ("It was a cold day, but their hearts were warm.", "{H} learned that caring for a friend keeps everyone warm."),
    ),
    (  # a wish
        ("One day, {H} found {a_adj_thing} that sparkled in the sun.", "{H} found an old lamp {at_place2}."),
        (
            'When {he} touched it, a tiny voice said, "I can grant you one wish."',
            'Out came a little fairy with {color} wings. "Make a wish," said the fairy.',
        ),
        (
            "{H} thought about {toys}, about {fav_foods} and about being {a_job}.",
            "{H} could wish for {some_food} or {a_adj_thing}.",
        ),
        (
            "But then {he} thought about {F}, who was sick in bed.",
            "Then {he} remembered that {F} was {bad} and lonely.",
        ),
        ('"I wish for {F} to feel better," {said} {H}.', '"Please make {F} happy again," {H} said.'),
        (
            "The next day, {F} was well again and ran outside to play.",
            "The next morning, {F} came over with a big smile.",
        ),
        (
            "{H} did not get anything for {himself}, but {he} was the happiest {kind} in the world.",
            "{H} learned that making others happy is the best wish of all.",
        ),
    ),
    (  # a new pet
        ("One day, {P} came home with a box. Inside was a little {pet}!", "{H} wanted a pet more than anything."),
        (
            '"Can I keep it?" {asked} {H}. "Only if you take care of it," said {P}.',
            '{P} said, "A pet is a big job. Are you ready?"',
        ),
        ("{H} named the {pet} {petname}.", "{H} called {his} new {pet} {petname}."),
        (
            "Every day, {H} fed {petname}, gave it water and played with it.",
            "{He} made {petname} a bed from {a_thing}.",
        ),
        (
            "One day, {petname} ran away {at_habitat}!",
            "But one day, {H} forgot to feed {petname}, and it looked {bad}.",
        ),
        (
            "{H} looked everywhere and found {petname} hiding behind {a_nature}.",
            "{H} said sorry and gave it {some_food}.",
        ),
        ("From then on, {H} never forgot to take care of {petname}.", "{H} and {petname} were best friends forever."),
    ),
    (  # a treasure hunt
        (
            "{H} found an old map in the attic.",
            "One day, {F} showed {H} a secret map.",
            "{Neighbor} gave {H} an old map of {hometown}.",
        ),
        ("The map had a big red X next to {a_nature}.", 'It said: "Walk ten steps from the {nature}, then dig."'),
        ("They took a shovel and walked {at_habitat}.", "They followed the map past {natures} and {adj_animals}."),
        ("They dug and dug. Then the shovel hit something hard!", "At first they found only rocks and worms."),
        ("It was a box full of {things}!", "Inside the box was {a_adj_thing} and a note."),
        ('The note said: "The real treasure is a good friend."', '"We found the treasure!" shouted {H}.'),
        (
            "{H} and {F} laughed and shared everything they found.",
            "They decided to hide the box again for someone else to find.",
        ),
    ),
)

_ENDINGS = (
    "From that day on, {H} always remembered that day.",
    "That night, {H} went to bed {good} and dreamed about {animals}.",
    "{H} smiled. It was the best day ever.",
    "And they all lived happily ever after.",
    "{H} could not wait to tell {his} {family} all about it.",
    "The end.",
    "It was a day {H} would never forget.",
    '{H} hugged {P} and said, "I love you."',
    "Then they went home and ate {some_food}.",
    "And every {time} after that, {H} and {F} would {they_hobby} together.",
    "Everyone in {hometown} heard about it, and they were all very proud of {H}.",
)

_SEQUEL = (
    "The next day, something else happened.",
    "A few days later, {H} had another adventure.",
    "But that was not the end of the story.",
    "The next {time}, {H} and {F} met again.",
    "Later that week, there was a new surprise.",
)

_MIN_WORDS, _MAX_WORDS = 80, 400


def _words(sentences: list[str]) -> int:
    return sum(s.count(" ") + 1 for s in sentences)


def generate_story(rng: random.Random) -> str:
    """One story of 80-400 words: two to five paragraphs joined by a blank line, no outer whitespace."""
    ctx = _context(rng)
    intro = [_fill(_pick(rng, _INTRO, 1.0), rng, ctx)]
    describe = list(range(len(_DESCRIBE)))
    for _ in range(int(rng.random() * 4)):  # 0-3 distinct description sentences
        intro.append(_fill(_DESCRIBE[describe.pop(int(rng.random() * len(describe)))], rng, ctx))
    plot = int(rng.random() * len(_PLOTS))
    beats = [_fill(_pick(rng, alternatives, 1.0), rng, ctx) for alternatives in _PLOTS[plot]]
    sequel: list[str] = []
    if _chance(rng, 0.2):  # a second adventure with the same characters
        other = (plot + 1 + int(rng.random() * (len(_PLOTS) - 1))) % len(_PLOTS)
        sequel = [_fill(_pick(rng, _SEQUEL, 1.0), rng, ctx)]
        sequel += [_fill(_pick(rng, alternatives, 1.0), rng, ctx) for alternatives in _PLOTS[other]]
        if _words(intro + beats + sequel) > _MAX_WORDS - 20:
            sequel = []
    ending = [_fill(_pick(rng, _ENDINGS, 1.0), rng, ctx)] if _chance(rng, 0.6) else []
    # distinct episodes between beats: how many varies a lot, so story length does too
    episodes = list(range(len(_EPISODES)))
    wanted = int(_skewed(rng.random(), 1.5) * 12)
    while episodes and (wanted > 0 or _words(intro + beats + sequel + ending) < _MIN_WORDS):
        episode = _fill(_EPISODES[episodes.pop(int(rng.random() * len(episodes)))], rng, ctx)
        if _words(intro + beats + sequel + ending) + episode.count(" ") + 1 > _MAX_WORDS - 10:  # 10: _MEET_FRIEND
            break
        beats.insert(1 + int(rng.random() * (len(beats) - 1)), episode)
        wanted -= 1
    if ctx["F"] not in " ".join(intro) and ctx["F"] in " ".join(beats + sequel + ending):
        intro.append(_fill(_MEET_FRIEND, rng, ctx))  # introduce the friend before the plot needs them
    paragraphs = [intro]
    cuts = sorted({1 + int(rng.random() * (len(beats) - 1)) for _ in range(int(rng.random() * 3))})
    for start, stop in zip([0, *cuts], [*cuts, len(beats)]):
        paragraphs.append(beats[start:stop])
    if sequel:
        paragraphs.append(sequel)
    paragraphs[-1] = paragraphs[-1] + ending
    return "\n\n".join(" ".join(p) for p in paragraphs)


def iter_stories(seed: int | str) -> Iterator[str]:
    """An endless, deterministic stream of stories from ``random.Random(seed)``."""
    rng = random.Random(seed)
    while True:
        yield generate_story(rng)
