"""A seeded generator of simple children's stories in the style of TinyStories.

Each story has a hero (a child or an animal, with a name and consistent pronouns), often a friend
and a parent, a treasured object, a home place and a favourite pastime, and follows one of several
plot templates (a lost object, a broken thing fixed, a trip, a new friend, a rainy day, learning to
share, a scary noise, helping at home, a garden, baking, a race, a birthday, an animal in trouble).
Templates hold slots such as ``{He}``, ``{a_toy}`` or ``{hobby_ed}``; story-wide slots are fixed when
the story starts (so the same name, pronoun and object recur), other slots draw a fresh word from the
lists in ``course_lib.corpora.words``, early entries more often than late ones (a Zipf-like skew).

Everything is driven by one ``random.Random`` through ``Random.random()`` only, whose sequence is
the same on every platform and Python version, and by explicit ordered tuples: the same seed gives
the same stories everywhere.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

from course_lib.corpora import words as W

__all__ = ["generate_story", "iter_stories"]

Slot = Callable[[random.Random, dict[str, str]], str]


def _pick(rng: random.Random, seq: tuple, skew: float = 2.0):  # noqa: ANN202 - any tuple element
    """An element of ``seq``; with ``skew > 1`` early elements are likelier (index ~ len * u**skew)."""
    return seq[int(len(seq) * rng.random() ** skew)]


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


# --- random slots ------------------------------------------------------------------------------

_EXCLAIM = (
    "Wow", "Look", "Oh no", "Yay", "Hooray", "Oh", "Hello", "Hi", "Come on", "Oh dear", "Yippee",
    "Hmm", "Uh-oh", "Goodness", "Oops", "Hey", "Whee", "Ouch", "Good morning", "Oh my", "Ta-da",
)
_ASKED = ("asked", "asked", "wondered", "whispered", "called", "said")
_FAMILY = (
    "mom and dad", "mom", "dad", "grandma", "grandpa", "family", "big sister", "big brother",
    "little sister", "little brother", "aunt", "uncle", "grandparents", "two cousins",
)
_PARENTS = (("Mom", "she"), ("Dad", "he"), ("Grandma", "she"), ("Grandpa", "he"), ("Mama", "she"),
            ("Papa", "he"), ("Nana", "she"), ("Aunt May", "she"), ("Uncle Joe", "he"))
_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty")
_HOMES = ("small house", "little house", "big house", "cozy cottage", "blue house", "farmhouse",
          "apartment", "tree house", "house by the sea", "house on a hill", "yellow house", "burrow",
          "nest", "cabin in the woods", "houseboat", "red house", "tall building", "little hut")
_ACTIVE_FOOD = ("ate", "shared", "munched on", "nibbled", "gobbled up", "tasted", "enjoyed")


def _some_food(rng: random.Random, ctx: dict[str, str]) -> str:
    if _chance(rng, 0.5):
        return "some " + _pick(rng, W.MASS_FOODS)
    return "some " + W.plural(_pick(rng, W.COUNT_FOODS))


def _hobby(rng: random.Random, ctx: dict[str, str], their: bool = False) -> str:
    local = dict(ctx, his="their") if their else ctx
    return _fill(_pick(rng, W.HOBBIES, 1.5), rng, local)


def _a_adj(rng: random.Random, noun: str) -> str:
    word = _pick(rng, W.COLORS) if _chance(rng, 0.35) else _pick(rng, W.LOOKS)
    return W.article(word + " " + noun)


_SLOTS: dict[str, Slot] = {
    "adj": lambda r, c: _pick(r, W.LOOKS),
    "a_adj": lambda r, c: W.article(_pick(r, W.LOOKS)),
    "color": lambda r, c: _pick(r, W.COLORS),
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
    "number": lambda r, c: _pick(r, _NUMBERS),
    "name": lambda r, c: _pick(r, W.GIRL_NAMES if _chance(r, 0.5) else W.BOY_NAMES, 1.3),
    "animal": lambda r, c: _pick(r, W.ANIMALS, 1.5),
    "animals": lambda r, c: W.plural(_pick(r, W.ANIMALS, 1.5)),
    "a_animal": lambda r, c: W.article(_pick(r, W.ANIMALS, 1.5)),
    "a_adj_animal": lambda r, c: _a_adj(r, _pick(r, W.ANIMALS, 1.5)),
    "toy": lambda r, c: _pick(r, W.TOYS),
    "a_toy": lambda r, c: _a_adj(r, _pick(r, W.TOYS)) if _chance(r, 0.5) else W.article(_pick(r, W.TOYS)),
    "toys": lambda r, c: W.plural(_pick(r, W.TOYS)),
    "a_kite": lambda r, c: W.article(_pick(r, W.COLORS) + " kite"),
    "thing": lambda r, c: _pick(r, W.THINGS, 1.5),
    "a_thing": lambda r, c: W.article(_pick(r, W.THINGS, 1.5)),
    "a_adj_thing": lambda r, c: _a_adj(r, _pick(r, W.THINGS, 1.5)),
    "things": lambda r, c: W.plural(_pick(r, W.THINGS, 1.5)),
    "nature": lambda r, c: _pick(r, W.NATURE_THINGS),
    "a_nature": lambda r, c: W.article(_pick(r, W.NATURE_THINGS)),
    "natures": lambda r, c: W.plural(_pick(r, W.NATURE_THINGS)),
    "food": lambda r, c: _pick(r, W.COUNT_FOODS),
    "a_food": lambda r, c: W.article(_pick(r, W.COUNT_FOODS)),
    "foods": lambda r, c: W.plural(_pick(r, W.COUNT_FOODS)),
    "mass_food": lambda r, c: _pick(r, W.MASS_FOODS),
    "some_food": _some_food,
    "ate": lambda r, c: _pick(r, _ACTIVE_FOOD),
    "place": lambda r, c: _pick(r, W.PLACES)[0],
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
    "family": lambda r, c: _pick(r, _FAMILY),
    "home": lambda r, c: _pick(r, _HOMES),
}


# --- story-wide context --------------------------------------------------------------------------

_PRONOUNS = {
    "he": {"he": "he", "him": "him", "his": "his", "himself": "himself"},
    "she": {"he": "she", "him": "her", "his": "her", "himself": "herself"},
}


def _character(rng: random.Random, prefix: str, exclude: str = "") -> dict[str, str]:
    """A named character: a child or an animal, with pronouns. Keys get ``prefix`` ('' or 'f')."""
    girl = _chance(rng, 0.5)
    name = exclude
    while name == exclude:
        name = _pick(rng, W.GIRL_NAMES if girl else W.BOY_NAMES, 1.3)
    if _chance(rng, 0.55):
        kind = ("little girl" if _chance(rng, 0.4) else "girl") if girl else ("little boy" if _chance(rng, 0.4) else "boy")
    else:
        kind = _pick(rng, W.CREATURES, 1.5)
        if _chance(rng, 0.4):
            kind = _pick(rng, ("little", "young", "small", "big", "baby", "fluffy", "tiny", "old")) + " " + kind
    out = {"name": name, "kind": kind, "a_kind": W.article(kind)}
    out.update(_PRONOUNS["she" if girl else "he"])
    trait = _pick(rng, W.TRAITS)
    out["a_trait_kind"] = W.article(trait + " " + kind)
    # the friend's keys: fhe, fhim, fhis, fkind, a_fkind, a_trait_fkind, fname
    return {(k.replace("kind", prefix + "kind") if "kind" in k else prefix + k): v for k, v in out.items()}


def _context(rng: random.Random) -> dict[str, str]:
    ctx = _character(rng, "")
    ctx["H"] = ctx.pop("name")
    friend = _character(rng, "f", exclude=ctx["H"])
    friend["F"] = friend.pop("fname")
    ctx.update(friend)
    parent, parent_pronoun = _pick(rng, _PARENTS, 1.5)
    ctx["P"] = parent
    ctx["phe"] = parent_pronoun
    ctx["phis"] = "her" if parent_pronoun == "she" else "his"
    obj = _pick(rng, W.TOYS + W.THINGS, 1.5)
    obj_adj = _pick(rng, W.COLORS) if _chance(rng, 0.5) else _pick(rng, W.LOOKS)
    ctx.update(obj=obj, objdesc=f"{obj_adj} {obj}", a_objdesc=W.article(f"{obj_adj} {obj}"))
    place, prep = _pick(rng, W.PLACES, 1.5)
    ctx.update(place0=place, at_place0=f"{prep} the {place}")
    place2, prep2 = place, prep
    while place2 == place:
        place2, prep2 = _pick(rng, W.PLACES, 1.5)
    ctx.update(place2=place2, at_place2=f"{prep2} the {place2}")
    hobby = _fill(_pick(rng, W.HOBBIES, 1.5), rng, ctx)
    ctx.update(hobby=hobby, hobby_ing=W.ing(hobby), hobby_ed=W.past(hobby), hobby_s=W.third_person(hobby))
    ctx["fav_foods"] = W.plural(_pick(rng, W.COUNT_FOODS))
    ctx["pet"] = _pick(rng, W.CREATURES, 1.5)
    ctx["petname"] = _pick(rng, W.GIRL_NAMES + W.BOY_NAMES)
    return ctx


# --- templates -----------------------------------------------------------------------------------
# A beat is a tuple of alternative templates; the story takes one of them.

_INTRO = (
    "Once upon a time, there was {a_trait_kind} named {H}.",
    "Once upon a time, there was {a_kind} named {H}. {He} was very {trait}.",
    "Once upon a time, {at_place0}, there lived {a_kind} named {H}.",
    "{H} was {a_trait_kind} who loved to {hobby}.",
    "One {weather} {time}, {a_kind} named {H} woke up early.",
    "There once was {a_trait_kind} called {H}.",
    "{H} was {a_kind}. {He} was {number} years old, and {he} loved to {hobby}.",
    "In {a_adj} {home} near the {place0}, there lived {a_trait_kind}. {His} name was {H}.",
    "Once there was {a_kind} named {H} who lived {at_place0}.",
)

_DESCRIBE = (
    "{He} lived in {a_adj} {home} with {his} {family}.",
    "{He} loved to {hobby} every day.",
    "{He} had {a_objdesc} that {he} loved very much.",
    "{His} best friend was {a_fkind} named {F}.",
    "Every {time}, {he} liked to {hobby}.",
    "{H} liked {fav_foods} more than anything.",
    "{His} favorite color was {color}.",
    "{He} had a pet {pet} named {petname}.",
    "{He} wanted to be {a_job} when {he} grew up.",
    "{H} was good at {hobby_ing}, but {he} was not good at {hobby_r_ing}.",
    "{His} {objdesc} went everywhere with {him}.",
    "{H} and {his} friend {F} often played {at_place0}.",
)

_EPISODES = (
    "{He} saw {a_animal} {motion_ing} near {a_nature}.",
    "\"Look at that {animal}!\" {said} {H}.",
    "The {nature} was {adj} and {adj}.",
    "{He} felt {good}.",
    "{F} {motion_ed} {adv} over to {H}.",
    "They {motion_ed} all the way to the {nature}.",
    "{He} found {a_adj_thing} under {a_nature}.",
    "Together, they {they_hobby_ed}.",
    "\"{Exclaim}! Do you want to {hobby_r} with me?\" {asked} {H}. \"Yes, please!\" {said} {F}.",
    "The sun was warm and the sky was {color}.",
    "{H} {ate} {some_food} and smiled.",
    "A {adj} {animal} {motion_ed} past them.",
    "{He} heard {sound} and looked around.",
    "\"I like your {thing},\" {said} {F}. \"Thank you!\" {said} {H}.",
    "{F} told {H} a story about {a_adj_animal} who lived in {a_adj} {place}.",
    "{He} counted {number} {animals} and {number} {natures}.",
    "They stopped to {they_hobby} for a while.",
    "Then {he} {motion_ed} {adv} back home.",
    "{H} laughed, and {F} laughed too.",
    "{He} put on {his} {color} {thing} and went outside.",
    "Soon, it was time for lunch, and they ate {some_food}.",
    "The wind blew, and the {natures} danced.",
    "{H} waved at {a_job} who was walking by.",
    "\"Can we {hobby_r} after this?\" {asked} {H}. \"Maybe,\" {said} {P}.",
)

_PLOTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "lost_object": (
        ("One day, {H} could not find {his} {objdesc}.", "One {time}, {H} looked for {his} {objdesc}, but it was gone."),
        ("{He} looked under the bed. {He} looked behind the {thing}. It was not there.",
         "{He} searched the whole house, but {he} could not find it anywhere."),
        ("{H} felt {bad}. \"Where is my {obj}?\" {he} {asked}.", "{H} began to cry. {He} felt very {bad}."),
        ("{P} came in and hugged {him}. \"Let's look together,\" {phe} said.",
         "{F} came to help. \"Don't worry, we will find it,\" {said} {F}."),
        ("They went {at_place0} and looked everywhere.", "They looked in the kitchen, in the garden and in the {thing}."),
        ("At last, {F} saw something {color} {at_place0}. It was the {obj}!",
         "Then {H} saw it. The {obj} was sitting next to {a_nature}!",
         "Just then, {a_animal} came out holding the {obj}."),
        ("{H} was so {good}. \"Thank you!\" {he} {said}.", "{H} hugged the {obj} and smiled."),
    ),
    "broken_thing": (
        ("One day, {H} was {hobby_ing} with {his} {objdesc}.", "{H} took {his} {objdesc} {at_place0}."),
        ("Suddenly, the {obj} fell and broke!", "Oh no! {He} dropped the {obj} and it broke into {number} pieces."),
        ("{H} was very {bad}. {He} did not know what to do.", "\"My {obj}!\" {said} {H}. {He} felt {bad}."),
        ("{P} saw {him} and said, \"Don't be sad. We can fix it.\"",
         "{F} had an idea. \"Let's fix it with some glue,\" {said} {F}."),
        ("They worked {adv}. They used glue, tape and a {adj} piece of string.",
         "They got some glue and put the pieces back together, one by one."),
        ("Soon, the {obj} was as good as new.", "It was not perfect, but the {obj} worked again."),
        ("{H} learned that broken things can be fixed with patience.", "{H} said, \"Thank you! You are the best.\""),
    ),
    "trip": (
        ("One {weather} {time}, {H} and {his} {family} went on a trip to the {place2}.",
         "{P} said, \"Today we are going to the {place2}!\" {H} jumped with joy."),
        ("{He} packed {his} {objdesc}, {some_food} and {a_thing}.", "{He} put on {his} {color} {thing} and got ready."),
        ("The trip was long. {H} looked out of the window and saw {animals} and {natures}.",
         "On the way, they saw {a_adj_animal} and {a_job}."),
        ("{At_place2}, {he} saw {a_adj_thing} and {a_adj_animal}.",
         "When they got to the {place2}, {H} {motion_ed} around {adv}."),
        ("{He} met {a_fkind} named {F}. They played together all day.",
         "{He} wanted to {hobby_r}, so {he} did, and it was fun."),
        ("When the sun went down, it was time to go home.", "Soon, the sky turned {color}, and it was time to leave."),
        ("{H} said, \"That was the best trip ever!\"", "{H} fell asleep in the car, dreaming about the {place2}."),
    ),
    "friendship": (
        ("One day, {H} saw {a_fkind} sitting alone {at_place0}.", "One {time}, a new {fkind} came to the {place0}."),
        ("The {fkind} looked {bad}.", "{Fhe} did not have anyone to play with."),
        ("{H} walked over and said, \"Hi! I am {H}. What is your name?\"",
         "{H} wanted to help. \"Hello! Do you want to play?\" {he} {asked}."),
        ("\"My name is {F},\" said the {fkind} {adv}.", "\"I am {F},\" {said} the {fkind}. \"I am new here.\""),
        ("{H} and {F} played together. They liked to {they_hobby}.",
         "They decided to {they_hobby}. It was so much fun."),
        ("{F} smiled for the first time that day.", "Soon, {F} was not {bad} anymore."),
        ("From that day on, {H} and {F} were best friends.",
         "{H} learned that a kind word can make a new friend."),
    ),
    "rainy_day": (
        ("One {time}, it was raining outside.", "It was a rainy {time}. Big drops fell on the window."),
        ("{H} wanted to {hobby}, but {he} could not go outside.", "{H} was {bad}. \"I want to play outside,\" {he} said."),
        ("{P} had an idea. \"Let's build a fort with blankets!\" {phe} said.",
         "{P} said, \"We can play inside today. Let's make something!\""),
        ("They used pillows, chairs and {a_adj_thing}.", "They made a fort and put {a_toy} inside it."),
        ("{H} pretended to be {a_job}. {F} pretended to be {a_animal}.",
         "Inside the fort, they read a book about {a_adj_animal}."),
        ("When the rain stopped, there was a big rainbow in the sky.",
         "Later, the sun came out, and {H} jumped in the puddles."),
        ("{H} learned that a rainy day can be fun too.", "\"Rainy days are the best!\" {said} {H}."),
    ),
    "sharing": (
        ("One day, {H} had {some_food}.", "{H} got {a_objdesc} as a present."),
        ("{F} came and asked, \"Can I have some too?\"", "{F} wanted to play with it too."),
        ("\"No, it is mine!\" {said} {H}.", "{H} did not want to share. {He} held it close."),
        ("{F} was {bad} and walked away.", "{F} looked {bad}. {Fhe} went to sit by {a_nature}."),
        ("{H} felt {bad}. It was no fun to be alone.", "Soon, {H} did not feel happy anymore."),
        ("{He} went to {F} and said, \"I am sorry. Let's share.\"",
         "{H} ran after {F}. \"Wait! You can have half,\" {he} said."),
        ("They shared and played together, and they were both {good}.",
         "{F} smiled. Sharing made them both {good}."),
        ("{H} learned that sharing is better than keeping things to yourself.",
         "From then on, {H} always shared with {his} friends."),
    ),
    "scary_noise": (
        ("One night, {H} heard {sound}.", "Late one evening, there was {sound} outside {H}'s window."),
        ("{He} was {bad}. \"What was that?\" {he} {asked}.", "{H} hid under {his} blanket. {He} felt {bad}."),
        ("{He} took {his} {objdesc} and a flashlight and went to look.",
         "{He} called {P}. {P} came and held {his} hand."),
        ("They walked {adv} to the window.", "They went outside {adv}, step by step."),
        ("It was only {a_adj_animal}! It was {motion_ing} in the garden.",
         "It was just {a_animal} looking for food."),
        ("{H} laughed. \"You scared me!\" {he} said.", "{H} was not scared anymore. {He} waved at it."),
        ("{H} learned that things are not always as scary as they seem.",
         "Then {H} went back to bed and slept {adv} until morning."),
    ),
    "helping": (
        ("One day, {P} was very busy.", "{P} had a lot of work to do {at_place0}."),
        ("\"Can I help?\" {asked} {H}.", "{H} wanted to help. {He} asked, \"What can I do?\""),
        ("{P} smiled. \"You can {help},\" {phe} said.", "\"Yes, please {help},\" said {P}."),
        ("{H} worked hard. {He} was {help_ing} and singing a song.",
         "{H} did it {adv}. Then {he} helped {F} {help} too."),
        ("It was not easy, but {H} did not give up.", "At first it was hard, but soon {he} got better."),
        ("When they were done, {P} gave {him} a big hug and {some_food}.",
         "\"Thank you, {H}. You are a great helper,\" said {P}."),
        ("{H} felt {good}. Helping others made {him} happy.", "{H} learned that helping is a kind thing to do."),
    ),
    "garden": (
        ("One {weather} {time}, {H} found a little seed.", "{P} gave {H} some seeds to plant."),
        ("{He} dug a small hole {at_place0} and put the seed in it.", "{He} planted the seeds in a {color} pot."),
        ("Every day, {he} gave the seed some water.", "{He} watered it every {time} and waited."),
        ("{H} was {bad} because nothing happened.", "\"When will it grow?\" {H} {asked}. \"Be patient,\" said {P}."),
        ("Then one day, a tiny green leaf came out!", "After many days, {he} saw a little plant."),
        ("The plant grew and grew. Soon it had {a_adj} {color} flower.",
         "Soon the plant was tall, and it had {number} {foods} on it."),
        ("{H} learned that good things take time.", "{H} showed the plant to {F}. \"I grew it myself!\" {he} said."),
    ),
    "baking": (
        ("One day, {H} and {P} decided to bake {a_food} cake.", "{H} wanted to make a surprise for {F}."),
        ("They got flour, eggs, sugar and {some_food}.", "{He} put on {his} apron and washed {his} hands."),
        ("{H} mixed everything in a big bowl. It was messy!", "{He} stirred {adv}. Some flour landed on {his} nose."),
        ("They put it in the oven and waited.", "The kitchen smelled sweet and warm."),
        ("\"Is it ready yet?\" {asked} {H}. \"Not yet,\" said {P}.",
         "{H} waited and waited. {He} looked at the oven {number} times."),
        ("At last, the cake was ready. It was {adj} and {good} looking.",
         "Finally, the cake came out. It was a little {adj}, but it smelled great."),
        ("They shared the cake with {F}, and everyone was {good}.", "{F} took a bite. \"Yum! This is the best cake!\" {fhe} said."),
    ),
    "race": (
        ("One day, there was a big race {at_place2}.", "{H} and {F} wanted to see who was faster."),
        ("Everyone lined up. {H} was {bad}, but {he} was ready.", "\"Ready, set, go!\" shouted {a_job}."),
        ("{H} ran as fast as {he} could.", "They {motion_ed} past {natures} and {animals}."),
        ("Then {F} tripped and fell.", "Suddenly, {F} fell down and hurt {fhis} knee."),
        ("{H} stopped and helped {F} get up.", "{H} did not keep running. {He} went back to help."),
        ("They finished the race together, holding hands.", "They walked to the finish line together."),
        ("They did not win, but everyone cheered for them.", "{H} learned that being kind is more important than winning."),
    ),
    "birthday": (
        ("Tomorrow was {F}'s birthday.", "It was almost {F}'s birthday, and {H} wanted to give {fhim} a gift."),
        ("{H} did not have any money.", "{H} thought and thought. What could {he} give?"),
        ("Then {he} had an idea. {He} would make {a_thing}!", "{He} decided to draw a picture of {a_adj_animal}."),
        ("{He} used {color} paper, glue and {some_food} for decoration.", "{He} worked all afternoon, {adv} and carefully."),
        ("At the party, {H} gave {F} the gift.", "On the big day, {H} gave {fhim} the present."),
        ("{F} loved it! \"Thank you, {H}! It is perfect,\" {fhe} said.", "{F} smiled a big smile and hugged {H}."),
        ("{H} learned that the best gifts come from the heart.", "They ate cake and played games until the evening."),
    ),
    "animal_help": (
        ("One {time}, {H} was {hobby_ing} {at_place0}.", "{H} was walking home {at_place0}."),
        ("{He} heard {sound}. It came from behind {a_nature}.", "{He} saw {a_kind2} that looked {bad}."),
        ("It was a little {animal2}. Its leg was stuck under {a_nature}.", "A tiny {animal2} could not find its mom."),
        ("\"Don't worry, I will help you,\" {said} {H} {adv}.", "{H} knelt down. \"Are you okay?\" {he} {asked}."),
        ("{He} helped the {animal2} very carefully.", "{He} called {F}, and they helped the {animal2} together."),
        ("The {animal2} was free! It {motion_ed} around {adv}.", "Soon the {animal2}'s mom came, and they were together again."),
        ("{H} felt {good}. {He} had made a new friend.", "After that day, the {animal2} visited {H} every {time}."),
    ),
}

_ENDINGS = (
    "From that day on, {H} always remembered that day.",
    "That night, {H} went to bed {good} and dreamed about {animals}.",
    "{H} smiled. It was the best day ever.",
    "And they all lived happily ever after.",
    "{H} could not wait to tell {his} {family} all about it.",
    "The end.",
    "It was a day {H} would never forget.",
    "{H} hugged {P} and said, \"I love you.\"",
    "Then they went home and ate {some_food}.",
)


def generate_story(rng: random.Random) -> str:
    """One story (roughly 80-400 words): paragraphs joined by a blank line, no leading/trailing space."""
    ctx = _context(rng)
    animal2 = _pick(rng, W.CREATURES, 1.5)
    ctx.update(animal2=animal2, a_kind2=W.article(animal2))
    plot = _PLOTS[_pick(rng, _PLOT_NAMES, 1.0)]
    first = [_fill(_pick(rng, _INTRO, 1.0), rng, ctx)]
    for _ in range(1 + int(rng.random() * 3)):
        first.append(_fill(_pick(rng, _DESCRIBE, 1.0), rng, ctx))
    paragraphs = [first]
    n_extra = int(rng.random() ** 1.3 * 10)  # extra episodes, inserted at random beats
    beats: list[str] = []
    for alternatives in plot:
        beats.append(_fill(_pick(rng, alternatives, 1.0), rng, ctx))
        if n_extra and _chance(rng, 0.4):
            n_extra -= 1
            beats.append(_fill(_pick(rng, _EPISODES, 1.0), rng, ctx))
    split = 2 + int(rng.random() * (len(beats) - 3))
    paragraphs += [beats[:split], beats[split:]]
    if _chance(rng, 0.7):
        paragraphs[-1].append(_fill(_pick(rng, _ENDINGS, 1.0), rng, ctx))
    return "\n\n".join(" ".join(p) for p in paragraphs)


_PLOT_NAMES = tuple(_PLOTS)


def iter_stories(seed: int | str) -> Iterator[str]:
    """An endless, deterministic stream of stories from ``random.Random(seed)``."""
    rng = random.Random(seed)
    while True:
        yield generate_story(rng)
