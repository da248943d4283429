"""Word lists and English inflection for the story generator (``course_lib.corpora.stories``).

Every list is an explicit, ordered tuple: the generator indexes into them with a seeded
``random.Random``, so their order is part of the corpus definition. Lists are ordered roughly from
common to rare; the generator draws early entries more often (a Zipf-like skew), as real text does.
Inflection is rule-based with explicit exception tables, enough for the words listed here.
"""

from __future__ import annotations

__all__ = [
    "GIRL_NAMES", "BOY_NAMES", "CREATURES", "ANIMALS", "TOYS", "THINGS", "NATURE_THINGS", "PLACES",
    "COUNT_FOODS", "MASS_FOODS", "LOOKS", "COLORS", "TRAITS", "FEELINGS_GOOD", "FEELINGS_BAD",
    "ADVERBS", "SOUNDS", "WEATHER", "TIMES", "SAID", "MOTIONS", "HOBBIES", "HELPERS", "JOBS",
    "article", "plural", "past", "ing", "third_person",
]

GIRL_NAMES = (
    "Lily", "Sue", "Mia", "Anna", "Lucy", "Emma", "Sara", "Amy", "Ella", "Zoe", "Ruby", "Rosie",
    "Molly", "Daisy", "Grace", "Chloe", "Sophie", "Olivia", "Ava", "Isla", "Maya", "Nora", "Hannah",
    "Lila", "Kate", "Jane", "Ellie", "Poppy", "Ivy", "Hazel", "Luna", "Stella", "Clara", "Alice",
    "Bella", "Leah", "Nina", "Tina", "Julia", "Emily", "Abby", "Jenny", "Megan", "Holly", "Fiona",
    "Penny", "Rita", "Wendy", "Polly", "Greta", "Heidi", "Iris", "Jade", "Kira", "Lena", "Mabel",
    "Nell", "Opal", "Pia", "Quinn", "Rose", "Tess", "Uma", "Vera", "Willa", "Yara", "Zara", "Aria",
    "Beth", "Cora", "Dora", "Edith", "Flora", "Gemma", "Hope", "Ada", "Joy", "Kelly", "Lola",
    "Mara", "Nadia", "Olive", "Pearl", "Rachel", "Sadie", "Tara", "Una", "Violet", "Winnie", "Amara",
    "Bonnie", "Celia", "Delia", "Esme", "Freya", "Gwen", "Harriet", "Ines", "Josie", "Keira", "Lottie",
    "Maisie", "Naomi", "Orla", "Phoebe", "Rhea", "Sienna", "Thea", "Valerie", "Wren", "Xena",
    "Yasmin", "Zelda", "Anya", "Bea", "Carmen", "Dina", "Eva", "Fatima", "Gloria", "Hana", "Imani",
    "June", "Kaya", "Layla", "Mina", "Noor", "Priya", "Rina", "Sofia", "Talia", "Ursula", "Vivian",
    "Aisha", "Elsa", "Ingrid", "Lucia", "Marta", "Paula", "Sonia", "Tamara", "Ayla", "Mei", "Suki",
    "Leila", "Camila", "Daniela", "Elena", "Gabriela", "Isabel", "Juliet", "Katie", "Lauren", "Matilda",
    "Natalie", "Paige", "Robin", "Scarlett", "Tilly", "Audrey", "Bridget", "Cecily", "Dottie", "Evie",
)

BOY_NAMES = (
    "Tom", "Ben", "Max", "Sam", "Jack", "Tim", "Leo", "Finn", "Jake", "Bob", "Joe", "Ned", "Noah",
    "Liam", "Oliver", "Lucas", "Henry", "Oscar", "Charlie", "Theo", "Jacob", "Adam", "Ethan", "Owen",
    "Danny", "Billy", "Peter", "Paul", "Mark", "Luke", "Jim", "Ted", "Rex", "Ollie", "Freddie",
    "Harry", "George", "Arthur", "Alfie", "Archie", "Teddy", "Toby", "Milo", "Hugo", "Felix",
    "Jasper", "Louis", "Albert", "Eli", "Ezra", "Isaac", "Jonah", "Kai", "Levi", "Mason", "Nate",
    "Omar", "Pablo", "Reggie", "Simon", "Victor", "Wyatt", "Zack", "Aaron", "Bruno", "Caleb",
    "Dylan", "Eddie", "Frank", "Gus", "Hank", "Ivan", "Jonny", "Kevin", "Lenny", "Mike", "Nico",
    "Otto", "Pete", "Rafi", "Ravi", "Seth", "Tony", "Umar", "Vince", "Walter", "Yusuf", "Zane",
    "Amir", "Barney", "Cody", "Dexter", "Elliot", "Fred", "Gabe", "Harvey", "Idris", "Jay",
    "Kofi", "Lars", "Malik", "Nils", "Ozzy", "Percy", "Ronan", "Stanley", "Tariq", "Viktor",
    "Wesley", "Xavier", "Yuri", "Zeke", "Andy", "Benny", "Chris", "Derek", "Emil", "Fergus",
    "Gordon", "Hector", "Ian", "Jamal", "Kenji", "Lionel", "Marco", "Neil", "Oren", "Patrick",
    "Rudy", "Stefan", "Tobias", "Ulysses", "Vernon", "Warren", "Yosef", "Arlo", "Bodhi", "Cyrus",
    "Diego", "Enzo", "Flynn", "Gideon", "Hamish", "Jude", "Koa", "Luca", "Mateo", "Niall", "Rory",
    "Silas", "Tristan", "Ansel", "Basil", "Cedric", "Desmond", "Ernest", "Floyd", "Gilbert",
)

# Creatures that can be the hero of a story ("a little fox named Pip").
CREATURES = (
    "dog", "cat", "bunny", "bear", "fox", "mouse", "bird", "duck", "frog", "puppy", "kitten",
    "rabbit", "squirrel", "owl", "pig", "lion", "elephant", "monkey", "turtle", "deer", "hedgehog",
    "pony", "lamb", "chick", "penguin", "tiger", "giraffe", "panda", "koala", "otter", "raccoon",
    "dragon", "unicorn", "dinosaur", "horse", "cow", "goat", "beaver", "badger", "mole", "robin",
    "parrot", "seal", "dolphin", "whale", "zebra", "hippo", "kangaroo", "camel", "llama", "bee",
    "butterfly", "ladybug", "snail", "caterpillar", "crab", "octopus", "goose", "swan", "hamster",
)

ANIMALS = CREATURES + (
    "ant", "spider", "worm", "fish", "sheep", "wolf", "moose", "firefly", "beetle", "cricket",
    "grasshopper", "dragonfly", "sparrow", "crow", "pigeon", "seagull", "peacock", "flamingo",
    "pelican", "eagle", "hawk", "woodpecker", "hummingbird", "bat", "lizard", "snake", "toad",
    "newt", "salmon", "starfish", "jellyfish", "lobster", "shark", "walrus", "polar bear",
    "reindeer", "rooster", "hen", "donkey", "mule", "ox", "buffalo", "bison", "gorilla", "chimpanzee",
    "lemur", "sloth", "armadillo", "porcupine", "skunk", "weasel", "ferret", "chipmunk", "gopher",
    "alpaca", "yak", "panther", "leopard", "cheetah", "jaguar", "hyena", "rhino", "crocodile",
    "alligator", "tortoise", "iguana", "chameleon", "gecko", "mosquito", "moth", "wasp", "tadpole",
    "goldfish", "puffin", "ostrich", "heron", "stork", "kingfisher", "magpie", "wren", "finch",
    "canary", "turkey", "guinea pig", "mouse", "goose",
)

TOYS = (
    "ball", "kite", "doll", "teddy bear", "toy car", "toy train", "boat", "balloon", "drum",
    "puzzle", "robot", "block", "yo-yo", "jump rope", "spinning top", "puppet", "marble",
    "toy truck", "rocket", "airplane", "whistle", "rubber duck", "pinwheel", "rag doll",
    "toy soldier", "music box", "jigsaw", "dollhouse", "rocking horse", "beach ball", "frisbee",
    "bubble wand", "hula hoop", "tambourine", "xylophone", "kazoo", "harmonica", "toy dinosaur",
    "stuffed rabbit", "wooden horse", "paper boat", "sailboat", "race car", "fire truck",
    "tractor", "bulldozer", "scooter", "tricycle", "wagon", "sled", "skateboard", "snow globe",
)

THINGS = (
    "hat", "book", "box", "cup", "bag", "shoe", "sock", "coat", "scarf", "mitten", "blanket",
    "pillow", "key", "map", "shell", "stone", "feather", "flower", "basket", "bucket", "spoon",
    "bowl", "plate", "lamp", "clock", "bell", "crayon", "pencil", "paintbrush", "notebook",
    "letter", "picture", "umbrella", "necklace", "ring", "crown", "wand", "cape", "mask", "coin",
    "sticker", "ribbon", "button", "bottle", "jar", "backpack", "lantern", "flashlight", "candle",
    "rope", "ladder", "shovel", "tent", "bike", "camera", "telescope", "compass", "glove", "boot",
    "dress", "sweater", "jacket", "apron", "bracelet", "brooch", "locket", "purse", "wallet",
    "mirror", "comb", "brush", "towel", "soap", "toothbrush", "cushion", "quilt", "rug", "chair",
    "table", "stool", "bench", "shelf", "drawer", "cupboard", "teapot", "kettle", "pan", "pot",
    "fork", "knife", "napkin", "envelope", "postcard", "stamp", "drawing", "painting", "photo",
    "guitar", "violin", "flute", "trumpet", "piano", "banjo", "cello", "harp", "triangle",
    "watering can", "wheelbarrow", "rake", "hammer", "saw", "nail", "screw", "bolt", "wrench",
    "paper", "glue", "scissors", "string", "yarn", "needle", "thread", "bead", "pebble", "crystal",
    "gem", "trophy", "medal", "badge", "flag", "banner", "sign", "poster", "calendar", "diary",
    "journal", "recipe", "ticket", "invitation", "present", "gift", "card", "candle holder",
    "birdhouse", "fishbowl", "birdcage", "nest", "seashell", "sandcastle", "snowman", "treasure chest",
)

NATURE_THINGS = (
    "tree", "flower", "rock", "puddle", "bush", "log", "hill", "stream", "pond", "leaf", "cloud",
    "rainbow", "sunflower", "daisy", "tulip", "rose", "oak tree", "pine tree", "willow", "mushroom",
    "acorn", "pinecone", "stick", "branch", "vine", "fern", "moss", "berry bush", "apple tree",
    "meadow", "nest", "burrow", "waterfall", "boulder", "tree stump", "lily pad", "seed", "weed",
    "dandelion", "clover", "reed", "cattail", "pumpkin", "hedge", "thorn", "icicle", "snowflake",
)

# place -> preposition used for "in/at/on the place"
PLACES = (
    ("park", "in"), ("garden", "in"), ("forest", "in"), ("beach", "at"), ("lake", "by"),
    ("river", "by"), ("farm", "on"), ("zoo", "at"), ("school", "at"), ("library", "in"),
    ("playground", "at"), ("meadow", "in"), ("hill", "on"), ("mountain", "on"), ("cave", "in"),
    ("village", "in"), ("town", "in"), ("city", "in"), ("market", "at"), ("bakery", "at"),
    ("toy shop", "at"), ("castle", "in"), ("barn", "in"), ("backyard", "in"), ("kitchen", "in"),
    ("attic", "in"), ("museum", "at"), ("circus", "at"), ("fair", "at"), ("harbor", "at"),
    ("jungle", "in"), ("desert", "in"), ("valley", "in"), ("orchard", "in"), ("woods", "in"),
    ("island", "on"), ("pond", "by"), ("field", "in"), ("bridge", "on"), ("lighthouse", "by"),
    ("train station", "at"), ("swimming pool", "at"), ("hospital", "at"), ("post office", "at"),
    ("pet shop", "at"), ("ice cream shop", "at"), ("campsite", "at"), ("treehouse", "in"),
    ("greenhouse", "in"), ("sandbox", "in"), ("vegetable patch", "in"), ("flower shop", "at"),
    ("bookshop", "at"), ("aquarium", "at"), ("airport", "at"), ("seaside", "at"), ("cottage", "in"),
    ("swamp", "in"), ("canyon", "in"), ("rainforest", "in"), ("glacier", "on"), ("volcano", "near"),
)

COUNT_FOODS = (
    "apple", "banana", "cookie", "cake", "pie", "sandwich", "carrot", "pear", "grape",
    "strawberry", "cherry", "orange", "muffin", "cupcake", "pancake", "waffle", "egg", "plum",
    "peach", "lemon", "cracker", "pretzel", "donut", "biscuit", "tart", "bun", "bagel", "candy",
    "lollipop", "cucumber", "tomato", "potato", "pumpkin", "melon", "watermelon", "mango",
    "pineapple", "coconut", "blueberry", "raspberry", "apricot", "kiwi", "radish", "onion",
    "pepper", "sausage", "meatball", "dumpling", "noodle", "taco", "pickle", "walnut", "peanut",
    "almond", "chestnut", "hazelnut", "gingerbread man", "cinnamon roll", "jelly bean",
)

MASS_FOODS = (
    "soup", "bread", "cheese", "milk", "juice", "honey", "ice cream", "popcorn", "pizza", "rice",
    "porridge", "jam", "butter", "yogurt", "lemonade", "cocoa", "tea", "spaghetti", "salad",
    "cereal", "oatmeal", "corn", "broccoli", "spinach", "chocolate", "pudding", "custard",
    "toast", "stew", "pasta", "syrup", "fudge", "cream", "water", "applesauce", "jelly",
)

LOOKS = (
    "big", "small", "little", "tiny", "huge", "shiny", "soft", "fluffy", "bright", "old", "new",
    "pretty", "colorful", "round", "long", "short", "tall", "fuzzy", "smooth", "sparkly", "warm",
    "cozy", "special", "beautiful", "lovely", "strange", "funny", "magic", "giant", "wooden",
    "golden", "silver", "striped", "spotted", "dusty", "muddy", "wet", "dry", "heavy", "light",
    "shaggy", "bumpy", "squishy", "crunchy", "sticky", "slimy", "prickly", "tangled", "crooked",
    "wobbly", "dented", "faded", "glittery", "velvet", "woolly", "plastic", "paper", "glass",
    "rusty", "precious", "ordinary", "mysterious", "enormous", "gigantic", "miniature", "polished",
    "painted", "patched", "broken", "cracked", "torn", "secret", "ancient", "shimmering", "glowing",
    "speckled", "checkered", "frilly", "lumpy", "dazzling", "gleaming", "tattered", "delicate",
    "sturdy", "elegant", "peculiar", "curious", "handmade", "homemade", "brand-new", "favorite",
)

COLORS = (
    "red", "blue", "green", "yellow", "pink", "purple", "orange", "white", "black", "brown",
    "gray", "gold", "silver", "teal", "violet", "turquoise", "crimson", "scarlet", "lavender",
    "lilac", "navy", "beige", "cream", "peach", "mint", "lime", "amber", "ruby", "emerald",
    "indigo", "maroon", "magenta", "coral", "olive", "tan", "ivory", "bronze", "copper",
)

TRAITS = (
    "kind", "happy", "brave", "curious", "shy", "clever", "friendly", "gentle", "funny", "smart",
    "silly", "cheerful", "helpful", "polite", "playful", "quiet", "loud", "busy", "lazy", "bold",
    "careful", "clumsy", "generous", "honest", "patient", "proud", "stubborn", "thoughtful",
    "adventurous", "creative", "energetic", "caring", "cheeky", "chatty", "grumpy", "jolly",
    "mischievous", "sensible", "timid", "wise", "loyal", "hardworking", "imaginative", "bouncy",
    "dreamy", "fearless", "forgetful", "gentle", "greedy", "humble", "nosy", "restless", "sleepy",
)

FEELINGS_GOOD = (
    "happy", "glad", "excited", "proud", "calm", "cheerful", "thankful", "joyful", "delighted",
    "relieved", "hopeful", "amazed", "pleased", "grateful", "content", "thrilled", "safe", "warm",
    "peaceful", "giddy", "overjoyed", "satisfied", "confident",
)

FEELINGS_BAD = (
    "sad", "scared", "worried", "angry", "upset", "lonely", "tired", "grumpy", "nervous",
    "confused", "frustrated", "afraid", "unhappy", "jealous", "disappointed", "embarrassed",
    "miserable", "anxious", "cross", "gloomy", "uneasy", "shy", "restless",
)

ADVERBS = (
    "quickly", "slowly", "carefully", "happily", "quietly", "softly", "gently", "loudly",
    "suddenly", "slowly", "proudly", "sadly", "bravely", "eagerly", "kindly", "politely",
    "nervously", "patiently", "cheerfully", "calmly", "curiously", "excitedly", "gladly",
    "quietly", "sleepily", "shyly", "wisely", "boldly", "hungrily", "gracefully", "clumsily",
    "playfully", "thoughtfully", "anxiously", "merrily", "busily", "lazily", "grumpily",
    "carelessly", "secretly", "proudly", "tenderly", "warmly", "briskly", "sheepishly",
)

SOUNDS = (
    "a loud bang", "a soft knock", "a little squeak", "a funny noise", "a strange sound",
    "a tiny cry", "a loud crash", "a gentle tapping", "a buzzing sound", "a quiet whimper",
    "a rumbling noise", "a splash", "a rustle in the leaves", "a whistle", "a giggle",
    "a thud", "a crackle", "a creak", "a hoot", "a sniffle", "a chirp", "a growl", "a howl",
    "a jingle", "a thump", "a clatter", "a pitter-patter", "a honk", "a meow", "a bark",
)

WEATHER = (
    "sunny", "rainy", "windy", "cloudy", "snowy", "foggy", "stormy", "hot", "cold", "chilly",
    "bright", "gray", "misty", "breezy", "warm", "frosty", "drizzly", "muggy", "crisp",
)

TIMES = (
    "morning", "afternoon", "evening", "day", "night", "Saturday", "Sunday", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "summer day", "winter morning", "spring afternoon",
    "autumn evening", "holiday", "weekend",
)

SAID = (
    "said", "asked", "shouted", "whispered", "cried", "replied", "called", "yelled", "exclaimed",
    "answered", "laughed", "giggled", "sighed", "added", "murmured", "cheered", "explained",
    "admitted", "announced", "mumbled", "squealed", "gasped", "suggested", "promised",
)

# Intransitive motions (base form); inflected by the rules below.
MOTIONS = (
    "run", "jump", "hop", "skip", "dance", "swim", "climb", "fly", "walk", "crawl", "roll",
    "spin", "slide", "march", "race", "wander", "tiptoe", "stomp", "waddle", "gallop", "dash",
    "zoom", "float", "bounce", "sneak", "stroll", "scurry", "scamper", "leap", "glide", "paddle",
    "trot", "hurry", "creep", "wiggle", "twirl", "splash", "stumble", "shuffle", "skate",
)

# Hobbies: base-form verb phrases whose first word is the verb.
HOBBIES = (
    "play with {a_toy}", "read books", "draw pictures", "paint", "sing songs", "play outside",
    "build towers with blocks", "dig in the sand", "fly {a_kite}", "ride {his} bike",
    "bake cookies", "pick flowers", "look at the stars", "splash in puddles", "play tag",
    "play hide and seek", "collect shells", "collect stones", "climb trees", "chase butterflies",
    "watch the birds", "make mud pies", "jump rope", "play the drum", "play the piano",
    "tell jokes", "help in the garden", "feed the ducks", "go to the park", "swim in the lake",
    "make paper boats", "blow bubbles", "build sandcastles", "count the clouds", "visit the library",
    "ride {his} scooter", "dress up", "make new friends", "explore the woods", "learn new words",
    "plant seeds", "play the violin", "write stories", "bake bread", "make necklaces",
    "roll down the hill", "skate on the pond", "sled down the hill", "catch snowflakes",
    "go fishing", "look for bugs", "knit scarves", "fold paper animals", "sort {his} crayons",
    "hum little tunes", "play catch", "stack cups", "watch the trains", "listen to the rain",
)

# Ways to help (base-form phrases).
HELPERS = (
    "carry the basket", "sweep the floor", "wash the dishes", "water the plants", "feed the cat",
    "fold the clothes", "set the table", "pick up the toys", "bake a cake", "fix the fence",
    "paint the door", "clean the window", "rake the leaves", "plant the seeds", "stir the soup",
    "hang the laundry", "tidy the room", "make the bed", "dust the shelves", "mop the floor",
    "peel the potatoes", "polish the shoes", "mend the net", "stack the wood", "build a shelf",
)

JOBS = (
    "baker", "farmer", "doctor", "teacher", "firefighter", "police officer", "mail carrier",
    "painter", "sailor", "pilot", "builder", "nurse", "gardener", "fisherman", "cook", "vet",
    "librarian", "dentist", "astronaut", "clown", "magician", "zookeeper", "shopkeeper",
    "carpenter", "tailor", "musician", "scientist", "dancer", "singer", "inventor", "mechanic",
)

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
    "mouse": "mice", "sheep": "sheep", "fish": "fish", "child": "children", "goose": "geese",
    "wolf": "wolves", "leaf": "leaves", "knife": "knives", "shelf": "shelves", "loaf": "loaves",
    "scarf": "scarves", "potato": "potatoes", "tomato": "tomatoes", "hero": "heroes",
    "deer": "deer", "moose": "moose", "ox": "oxen", "foot": "feet", "tooth": "teeth",
    "person": "people", "man": "men", "woman": "women", "bison": "bison", "buffalo": "buffaloes",
    "salmon": "salmon", "scissors": "scissors", "woods": "woods", "yak": "yaks", "volcano": "volcanoes",
    "cactus": "cacti", "octopus": "octopuses", "walrus": "walruses", "platypus": "platypuses",
}


def plural(noun: str) -> str:
    """Plural of a (possibly multi-word) noun: ``plural("teddy bear") == "teddy bears"``."""
    head, _, last = noun.rpartition(" ")
    prefix = head + " " if head else ""
    if last in _PLURALS:
        return prefix + _PLURALS[last]
    if last.endswith(("s", "x", "z", "ch", "sh")):
        return prefix + last + "es"
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        return prefix + last[:-1] + "ies"
    return prefix + last + "s"


_PAST = {
    "run": "ran", "swim": "swam", "fly": "flew", "go": "went", "see": "saw", "eat": "ate",
    "find": "found", "make": "made", "take": "took", "give": "gave", "get": "got", "come": "came",
    "sing": "sang", "ride": "rode", "read": "read", "draw": "drew", "build": "built", "dig": "dug",
    "catch": "caught", "tell": "told", "write": "wrote", "hold": "held", "sit": "sat",
    "stand": "stood", "think": "thought", "bring": "brought", "buy": "bought", "feel": "felt",
    "know": "knew", "grow": "grew", "throw": "threw", "blow": "blew", "fall": "fell",
    "leave": "left", "lose": "lost", "keep": "kept", "sleep": "slept", "sweep": "swept",
    "creep": "crept", "leap": "leapt", "spin": "spun", "slide": "slid", "hide": "hid",
    "say": "said", "pay": "paid", "lay": "laid", "hear": "heard", "win": "won", "begin": "began",
    "drink": "drank", "wear": "wore", "tear": "tore", "shake": "shook", "wake": "woke",
    "break": "broke", "speak": "spoke", "steal": "stole", "choose": "chose", "bite": "bit",
    "shine": "shone", "meet": "met", "feed": "fed", "lead": "led", "hang": "hung", "stick": "stuck",
    "swing": "swung", "sting": "stung", "fight": "fought", "teach": "taught", "sell": "sold",
    "have": "had", "do": "did", "be": "was", "put": "put", "cut": "cut", "let": "let",
    "set": "set", "hit": "hit", "shut": "shut", "knit": "knitted", "mend": "mended",
    "bend": "bent", "send": "sent", "spend": "spent", "lend": "lent", "light": "lit",
    "sew": "sewed", "fold": "folded", "forget": "forgot", "understand": "understood",
}

# One-syllable (or final-stressed) verbs that double their last consonant: stop -> stopped.
_DOUBLE = frozenset((
    "stop", "hop", "skip", "clap", "hug", "dig", "jog", "swim", "run", "sit", "get", "hit",
    "drop", "plan", "shop", "nap", "tap", "grab", "wag", "rub", "spin", "trip", "chop", "step",
    "slip", "drip", "pat", "beg", "hum", "nod", "zip", "wrap", "flip", "knit", "pet", "tug",
    "stir", "begin", "win", "put", "cut", "set", "let", "shut", "forget", "stab", "scrub",
    "hem", "plop", "pop", "mop", "sip", "dip", "rip", "bat", "chat", "spot", "trot",
))


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
