"""Word lists and English inflection for the story generator (``course_lib.corpora.stories``).

Every list is an explicit, ordered tuple: the generator indexes into them with a seeded
``random.Random``, so their order is part of the corpus definition. Lists are ordered roughly from
common to rare; the generator draws early entries more often (a Zipf-like skew), as real text does.
Inflection is rule-based with explicit exception tables, enough for the words listed here.
"""

from __future__ import annotations

__all__ = [
    "GIRL_NAMES", "BOY_NAMES", "CREATURES", "ANIMALS", "TOYS", "THINGS", "NATURE_THINGS", "HABITATS", "OUTINGS", "FIELDS",
    "CLOTHES", "ANIMAL_NOISES", "ANIMAL_LOOKS", "PLANTS", "PETS", "POCKET_FINDS", "NATURE_VERBS", "CONNECTORS",
    "COUNT_FOODS", "MASS_FOODS", "LOOKS", "COLORS", "TRAITS", "FEELINGS_GOOD", "FEELINGS_BAD",
    "ADVERBS", "SOUNDS", "WEATHER", "TIMES", "SAID", "MOTIONS", "HOBBIES", "HELPERS", "JOBS",
    "NAME_STARTS", "TOWN_ENDS", "SURNAME_ENDS", "ACTIONS", "GRADABLE",
    "article", "plural", "past", "ing", "third_person", "comparative", "superlative",
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
    "Agnes", "Beatrix", "Coco", "Daphne", "Eliza", "Fern", "Georgia", "Hattie", "Ida", "Jasmine",
    "Kitty", "Lulu", "Millie", "Nellie", "Odette", "Petra", "Queenie", "Roxy", "Sally", "Trixie",
    "Ulla", "Vanessa", "Wilma", "Yvonne", "Zinnia", "Adele", "Blossom", "Carla", "Dolly", "Effie",
    "Frida", "Goldie", "Hilda", "Isadora", "Jemima", "Kiki", "Lorna", "Marigold", "Nova", "Ophelia",
    "Pippa", "Rosalind", "Saffron", "Tabitha", "Verity", "Winifred", "Ximena", "Zoya", "Amelie",
    "Bettina", "Cleo", "Dahlia", "Elodie", "Flavia", "Greer", "Honor", "Ilse", "Juno", "Kalani",
    "Leona", "Margot", "Nessa", "Oona", "Primrose", "Rowan", "Seraphina", "Tuesday", "Valentina",
    "Wanda", "Yoko", "Zuri", "Aurora", "Bianca", "Calla", "Diya", "Esther", "Farah", "Gigi",
    "Abigail", "Adriana", "Alma", "Amaya", "Annika", "Ariel", "Astrid", "Belle", "Brenda", "Brooke",
    "Cassie", "Charlotte", "Claudia", "Corinne", "Daisy-Mae", "Dana", "Deborah", "Elise", "Ellen",
    "Emilia", "Erin", "Estelle", "Evelyn", "Faith", "Florence", "Francesca", "Gabby", "Genevieve",
    "Gina", "Helena", "Hermione", "Heather", "Irene", "Imogen", "Jessica", "Joanna", "Jolene",
    "Katrina", "Lana", "Laurel", "Libby", "Lydia", "Madeline", "Magda", "Margaret", "Maria",
    "Marina", "Maxine", "Melody", "Miranda", "Miriam", "Nancy", "Nicole", "Noelle", "Octavia",
    "Patience", "Philippa", "Rebecca", "Renata", "Rosalie", "Rosemary", "Ruth", "Sabrina", "Selma",
    "Serena", "Shira", "Simone", "Stephanie", "Susannah", "Sylvie", "Tanya", "Theodora", "Trudy",
    "Ulrika", "Veronica", "Viola", "Whitney", "Yolanda", "Zadie", "Zinnia-Rose", "Agatha", "Blythe",
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
    "Alfred", "Bertie", "Clarence", "Dominic", "Edgar", "Franklin", "Gregory", "Horace", "Ignatius",
    "Jeremy", "Kieran", "Lawrence", "Maurice", "Norman", "Oswald", "Quentin", "Rupert", "Sebastian",
    "Timothy", "Umberto", "Vaughn", "Wilbur", "Yannick", "Zachary", "Abel", "Boris", "Casper",
    "Dario", "Egon", "Fabian", "Gunnar", "Hans", "Igor", "Jorge", "Kasper", "Lorenzo", "Mortimer",
    "Nestor", "Orville", "Pedro", "Rocco", "Sunny", "Thaddeus", "Ulrich", "Vito", "Wolfgang",
    "Xander", "Yves", "Zoltan", "Ajay", "Bram", "Cosmo", "Duncan", "Eamon", "Ferris", "Gustav",
    "Huck", "Ike", "Jethro", "Kurt", "Lyle", "Monty", "Ogden", "Pip", "Ruben", "Sid",
    "Tuck", "Wally", "Buster", "Chester", "Digby", "Elmo", "Fitz", "Grover", "Hobbs", "Jeb",
    "Abraham", "Alexander", "Ambrose", "Anton", "August", "Barnaby", "Bartholomew", "Benedict",
    "Bernard", "Calvin", "Cameron", "Clement", "Colin", "Conrad", "Cornelius", "Damian", "Daniel",
    "Dennis", "Douglas", "Edmund", "Edward", "Elias", "Emmett", "Eugene", "Everett", "Ezekiel",
    "Francis", "Frederick", "Geoffrey", "Gerald", "Graham", "Harold", "Herbert", "Howard", "Hugh",
    "Jasper-Lee", "Jerome", "Joel", "Jonathan", "Joshua", "Julian", "Kenneth", "Leonard", "Lincoln",
    "Malcolm", "Martin", "Matthew", "Maximilian", "Michael", "Miles", "Nathaniel", "Nicholas",
    "Oliver-James", "Phillip", "Quincy", "Raymond", "Reuben", "Richard", "Robert", "Roland",
    "Samuel", "Solomon", "Spencer", "Stuart", "Terrence", "Theodore", "Thomas", "Vincent",
    "Wallace", "William", "Winston", "Zion", "Ezio", "Florian", "Gaspard", "Hector-John", "Ignacio",
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
    "canary", "turkey", "guinea pig", "vole", "shrew", "hare", "stoat", "marten", "lynx",
    "cougar", "coyote", "jackal", "meerkat", "mongoose", "warthog", "antelope", "gazelle", "elk",
    "caribou", "manatee", "narwhal", "orca", "stingray", "seahorse", "clam", "oyster", "shrimp",
    "squid", "eel", "trout", "catfish", "minnow", "tuna", "toucan", "cockatoo", "budgie", "owlet",
    "duckling", "gosling", "cub", "foal", "calf", "piglet", "joey", "fawn", "kid goat", "cygnet",
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
    "magnet", "globe", "atlas", "dictionary", "storybook", "comic", "magazine", "newspaper", "radio",
    "phone", "keyboard", "speaker", "battery", "lightbulb", "fan", "heater", "vase",
    "flowerpot", "doormat", "curtain", "window", "door", "gate", "fence", "mailbox", "doorbell",
    "wheel", "pedal", "tire", "rudder", "anchor", "oar", "paddle", "fishing rod", "net", "hook",
    "kite string", "parachute", "hammock", "pinecone", "magnifying glass", "hourglass", "sundial",
    "spyglass", "pocket watch", "thimble", "teacup", "saucer", "pitcher", "ladle", "whisk",
    "rolling pin", "cookie cutter", "lunchbox", "thermos", "picnic blanket", "sleeping bag", "pillowcase",
)

NATURE_THINGS = (
    "tree", "flower", "rock", "puddle", "bush", "log", "hill", "stream", "pond", "leaf", "cloud",
    "rainbow", "sunflower", "daisy", "tulip", "rose", "oak tree", "pine tree", "willow", "mushroom",
    "acorn", "pinecone", "stick", "branch", "vine", "fern", "moss", "berry bush", "apple tree",
    "meadow", "nest", "burrow", "waterfall", "boulder", "tree stump", "lily pad", "seed", "weed",
    "dandelion", "clover", "reed", "cattail", "pumpkin", "hedge", "thorn", "icicle", "snowflake",
)

# Looks that suit an animal ("a spotted fawn"); character traits suit them too.
ANIMAL_LOOKS = (
    "little", "big", "tiny", "fluffy", "furry", "spotted", "striped", "young", "old", "hungry",
    "sleepy", "cute", "chubby", "skinny", "wet", "muddy", "small", "huge", "baby", "shaggy", "soft",
    "speckled", "fuzzy", "plump", "scruffy", "sleek", "tired", "lost", "noisy", "wild", "tame",
)

# Pets a family could bring home in a box.
PETS = (
    "puppy", "kitten", "bunny", "hamster", "goldfish", "parrot", "turtle", "guinea pig", "mouse",
    "chick", "duckling", "hedgehog", "canary", "frog", "lizard", "budgie", "tortoise", "ferret",
    "gerbil", "rabbit", "dog", "cat", "lamb", "piglet", "snail",
)

# Small things from outside that fit in a pocket.
POCKET_FINDS = (
    "acorn", "pinecone", "pebble", "feather", "shell", "leaf", "stick", "seed", "clover", "snail shell",
    "conker", "smooth stone", "bird feather", "bottle cap", "marble", "button", "daisy", "chestnut",
)

# Plants and other things that sway in the wind.
PLANTS = (
    "tree", "flower", "leaf", "bush", "sunflower", "daisy", "tulip", "rose", "oak tree", "pine tree",
    "willow", "fern", "branch", "vine", "reed", "cattail", "dandelion", "clover", "hedge", "poppy",
    "bluebell", "buttercup", "lily", "lilac", "birch tree", "maple tree", "palm tree", "grass",
)

# Where a hero lives: (place, preposition) for "lived in the village".
HABITATS = (
    ("village", "in"), ("forest", "in"), ("town", "in"), ("farm", "on"), ("city", "in"),
    ("woods", "in"), ("meadow", "in"), ("jungle", "in"), ("valley", "in"), ("island", "on"),
    ("hill", "on"), ("mountain", "on"), ("seaside", "by"), ("riverbank", "on"), ("garden", "in"),
    ("orchard", "in"), ("desert", "in"), ("swamp", "in"), ("rainforest", "in"), ("countryside", "in"),
    ("lake", "by"), ("marsh", "in"), ("prairie", "on"), ("harbor town", "in"), ("big city", "in"),
)

# Places to go: (place, preposition) for "at the zoo".
OUTINGS = (
    ("park", "in"), ("beach", "at"), ("zoo", "at"), ("playground", "at"), ("library", "in"),
    ("lake", "by"), ("river", "by"), ("farm", "on"), ("school", "at"), ("market", "at"),
    ("bakery", "at"), ("toy shop", "at"), ("museum", "at"), ("circus", "at"), ("fair", "at"),
    ("forest", "in"), ("meadow", "in"), ("pond", "by"), ("castle", "in"), ("harbor", "at"),
    ("aquarium", "at"), ("swimming pool", "at"), ("train station", "at"), ("pet shop", "at"),
    ("ice cream shop", "at"), ("campsite", "at"), ("mountain", "on"), ("island", "on"),
    ("lighthouse", "by"), ("greenhouse", "in"), ("flower shop", "at"), ("bookshop", "at"),
    ("airport", "at"), ("post office", "at"), ("cave", "in"), ("waterfall", "by"), ("hill", "on"),
    ("orchard", "in"), ("garden center", "at"), ("skating rink", "at"), ("carnival", "at"),
    ("planetarium", "at"), ("puppet theater", "at"), ("bridge", "on"), ("sand dunes", "on"),
    ("botanical garden", "in"), ("old mill", "by"), ("canyon", "in"), ("volcano", "near"),
)

# Outdoor places for races and games.
FIELDS = ("park", "field", "meadow", "beach", "playground", "school yard", "hill", "garden", "fair")

CLOTHES = (
    "hat", "scarf", "coat", "raincoat", "sweater", "jacket", "cap", "dress", "shirt", "hoodie",
    "cardigan", "vest", "apron", "cape", "crown", "helmet", "bonnet", "beanie", "tutu", "tiara",
    "poncho", "bow tie", "sun hat", "bathrobe", "nightgown", "kimono", "sweatshirt", "blazer",
    "pinafore", "tracksuit", "overcoat", "wizard hat", "party hat", "tool belt", "wristwatch",
)

# Animal -> the verb (base form) for its call: "the cow mooed".
ANIMAL_NOISES = (
    ("dog", "bark"), ("cat", "meow"), ("cow", "moo"), ("duck", "quack"), ("owl", "hoot"),
    ("lion", "roar"), ("bee", "buzz"), ("frog", "croak"), ("horse", "neigh"), ("pig", "oink"),
    ("sheep", "bleat"), ("bird", "chirp"), ("rooster", "crow"), ("wolf", "howl"), ("mouse", "squeak"),
    ("snake", "hiss"), ("goose", "honk"), ("donkey", "bray"), ("turkey", "gobble"), ("hen", "cluck"),
    ("dove", "coo"), ("puppy", "yip"), ("kitten", "mew"), ("bear", "growl"), ("cricket", "chirp"),
    ("parrot", "squawk"), ("monkey", "chatter"), ("elephant", "trumpet"), ("crow", "caw"), ("goat", "bleat"),
)

NATURE_VERBS = (
    "sway", "rustle", "sparkle", "glisten", "shimmer", "whisper", "glow", "twinkle", "drip",
    "bloom", "dance", "shine", "wave", "tremble", "flutter", "bend", "creak", "gleam", "shake",
)

CONNECTORS = (
    "Then", "After that", "Later", "Soon", "Next", "Just then", "At first", "A moment later",
    "Before long", "Meanwhile", "That afternoon", "After a while", "All of a sudden", "Luckily",
)

COUNT_FOODS = (
    "apple", "banana", "cookie", "cake", "pie", "sandwich", "carrot", "pear", "grape",
    "strawberry", "cherry", "orange", "muffin", "cupcake", "pancake", "waffle", "egg", "plum",
    "peach", "lemon", "cracker", "pretzel", "donut", "biscuit", "tart", "bun", "bagel", "candy",
    "lollipop", "cucumber", "tomato", "potato", "pumpkin", "melon", "watermelon", "mango",
    "pineapple", "coconut", "blueberry", "raspberry", "apricot", "kiwi", "radish", "onion",
    "pepper", "sausage", "meatball", "dumpling", "noodle", "taco", "pickle", "walnut", "peanut",
    "almond", "chestnut", "hazelnut", "gingerbread man", "cinnamon roll", "jelly bean",
    "avocado", "fig", "date", "nectarine", "tangerine", "grapefruit", "lime", "papaya", "guava",
    "pomegranate", "cranberry", "gooseberry", "blackberry", "turnip", "beetroot", "parsnip", "zucchini",
    "eggplant", "mushroom", "olive", "bean", "pea", "acorn squash", "brownie", "scone", "croissant",
    "eclair", "macaroon", "meringue", "popsicle", "snow cone", "marshmallow", "gumdrop", "toffee",
    "burrito", "quesadilla", "samosa", "spring roll", "pierogi", "pretzel stick", "fish stick", "omelet",
)

MASS_FOODS = (
    "soup", "bread", "cheese", "milk", "juice", "honey", "ice cream", "popcorn", "pizza", "rice",
    "porridge", "jam", "butter", "yogurt", "lemonade", "cocoa", "tea", "spaghetti", "salad",
    "cereal", "oatmeal", "corn", "broccoli", "spinach", "chocolate", "pudding", "custard",
    "toast", "stew", "pasta", "syrup", "fudge", "cream", "water", "applesauce", "jelly",
    "granola", "muesli", "gravy", "mustard", "ketchup", "lettuce", "cabbage", "cauliflower",
    "celery", "garlic", "ginger", "cinnamon", "vanilla", "caramel", "marmalade", "peanut butter",
    "cornbread", "shortbread", "lasagna", "risotto", "couscous", "hummus", "guacamole", "salsa",
    "chili", "curry", "fried rice", "mashed potato", "macaroni", "cheesecake", "gingerbread", "sherbet",
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
    "chubby", "skinny", "plump", "narrow", "wide", "deep", "shallow", "hollow", "empty", "full",
    "noisy", "grand", "splendid", "marvelous", "wonderful", "fancy", "plain",
    "simple", "tidy", "messy", "clean", "dirty", "frosty", "icy", "sandy", "flowery", "feathery", "furry",
    "hairy", "scaly", "spiky", "curly", "wavy", "straight", "twisty", "knotted", "pointy", "square",
    "oval", "lopsided", "gooey", "bubbly", "sparkling", "twinkling", "dim", "shabby", "knitted",
    "embroidered", "jeweled", "beaded", "carved", "woven", "quilted", "dotted", "glossy", "lacy",
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
    "dreamy", "fearless", "forgetful", "greedy", "humble", "nosy", "restless", "sleepy",
    "gentle-hearted", "cheery", "daring", "eager", "fussy", "giggly", "hasty", "jumpy", "lively",
    "modest", "noble", "optimistic", "plucky", "quirky", "sassy", "sweet", "tender", "trusty",
    "witty", "zany", "bashful", "brainy", "carefree", "dependable", "fair", "gracious", "jovial",
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
    "suddenly", "proudly", "sadly", "bravely", "eagerly", "kindly", "politely",
    "nervously", "patiently", "cheerfully", "calmly", "curiously", "excitedly", "gladly",
    "sleepily", "shyly", "wisely", "boldly", "hungrily", "gracefully", "clumsily",
    "playfully", "thoughtfully", "anxiously", "merrily", "busily", "lazily", "grumpily",
    "carelessly", "secretly", "tenderly", "warmly", "briskly", "sheepishly",
    "joyfully", "swiftly", "silently", "gleefully", "hopefully", "wearily", "noisily", "neatly",
    "smoothly", "firmly", "steadily", "cautiously", "timidly", "lightly", "loyally", "fondly",
    "dreamily", "giddily", "honestly", "helpfully", "crossly", "slyly", "breathlessly", "sweetly",
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
    "said", "shouted", "whispered", "cried", "replied", "called", "yelled", "exclaimed",
    "answered", "laughed", "giggled", "sighed", "added", "murmured", "cheered", "explained",
    "admitted", "announced", "mumbled", "squealed", "gasped", "suggested", "promised",
)

# Intransitive motions (base form); inflected by the rules below.
MOTIONS = (
    "run", "jump", "hop", "skip", "dance", "swim", "climb", "fly", "walk", "crawl", "roll",
    "spin", "slide", "march", "race", "wander", "tiptoe", "stomp", "waddle", "gallop", "dash",
    "zoom", "float", "bounce", "sneak", "stroll", "scurry", "scamper", "leap", "glide", "paddle",
    "trot", "hurry", "creep", "wiggle", "twirl", "splash", "stumble", "shuffle", "skate",
    "wobble", "swoop", "flutter", "prance", "plod", "lumber", "toddle", "slither", "jog", "sprint",
    "amble", "saunter", "skid", "hobble", "clamber", "scramble", "dive", "drift", "sail", "whirl",
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
    "play the flute", "make sock puppets", "build a snowman", "hunt for treasure", "swing on the swings",
    "slide down the slide", "draw with chalk", "skip stones", "paint rocks", "grow tomatoes",
    "bake muffins", "whistle songs", "count the stars", "press flowers", "make bracelets",
    "pretend to be a pirate", "pretend to be a knight", "play in the snow", "ride the bus",
    "visit the zoo", "race toy cars", "play the trumpet", "feed the chickens", "brush the pony",
    "read comics", "do puzzles", "build robots", "sing in the bath", "dance in the kitchen",
    "practice cartwheels", "do somersaults", "learn magic tricks", "look for four-leaf clovers",
)

# Ways to help (base-form phrases).
HELPERS = (
    "carry the basket", "sweep the floor", "wash the dishes", "water the plants", "feed the cat",
    "fold the clothes", "set the table", "pick up the toys", "bake a cake", "fix the fence",
    "paint the door", "clean the window", "rake the leaves", "plant the seeds", "stir the soup",
    "hang the laundry", "tidy the room", "make the bed", "dust the shelves", "mop the floor",
    "peel the potatoes", "polish the shoes", "mend the net", "stack the wood", "build a shelf",
    "wash the car", "walk the dog", "pull the weeds", "paint the fence", "clean the attic",
    "sort the socks", "bring in the groceries", "fold the towels", "fill the bird feeder",
    "carry the firewood", "wipe the table", "scrub the pots", "chop the carrots", "knead the dough",
)

JOBS = (
    "baker", "farmer", "doctor", "teacher", "firefighter", "police officer", "mail carrier",
    "painter", "sailor", "pilot", "builder", "nurse", "gardener", "fisherman", "cook", "vet",
    "librarian", "dentist", "astronaut", "clown", "magician", "zookeeper", "shopkeeper",
    "carpenter", "tailor", "musician", "scientist", "dancer", "singer", "inventor", "mechanic",
    "plumber", "potter", "jeweler", "beekeeper", "shepherd", "lumberjack", "explorer", "queen",
    "king", "princess", "prince", "knight", "wizard", "pirate", "captain", "chef", "photographer",
    "ranger", "lifeguard", "acrobat", "juggler", "puppeteer", "storyteller",
)

# Parts of English-looking place names and surnames ("Maplebrook", "Mrs. Thornbury"): first
# parts x ending parts give thousands of compound names, which a BPE tokenizer splits into the
# parts it has learned, as it does with real names.
NAME_STARTS = (
    "Oak", "Maple", "Willow", "Pine", "Birch", "Elm", "Ash", "Stone", "River", "Brook", "Green",
    "Red", "Silver", "Gold", "Fox", "Bear", "Wolf", "Deer", "Owl", "Hawk", "Crow", "Rose", "Lily",
    "Clover", "Honey", "Apple", "Berry", "Cherry", "Pepper", "Sunny", "Misty", "Frost", "Snow",
    "Rain", "Cloud", "Star", "Moon", "Sun", "Wind", "Thistle", "Bramble", "Hazel", "Fern", "Moss",
    "Meadow", "Marsh", "Sand", "Shell", "Pebble", "Cobble", "Button", "Bell", "Candle", "Lantern",
    "Kettle", "Mill", "Bridge", "Hill", "Dale", "Glen", "Copper", "Amber", "Lavender", "Juniper",
    "Cedar", "Holly", "Ivy", "Primrose", "Bluebell", "Buttercup", "Daisy", "Tumble", "Puddle",
    "Bumble", "Dapple", "Nettle", "Rush", "Reed", "Otter", "Badger", "Heron", "Wren", "Robin",
    "Finch", "Lark", "Swan", "Thorn", "Acorn", "Chestnut", "Walnut", "Plum", "Peach", "Ginger",
    "Cinnamon", "Sugar", "Butter", "Cream", "Velvet", "Feather", "Whisper", "Twinkle", "Rainbow",
    "Lemon", "Orchard", "Harvest", "Summer", "Winter", "Autumn", "Spring", "North", "South", "East",
    "West", "High", "Low", "Long", "Little", "Old", "New", "White", "Black", "Gray", "Blue",
    "Raven", "Falcon", "Weasel", "Beaver", "Sparrow", "Pigeon", "Poppy", "Sage", "Thyme", "Mint",
    "Basil", "Barley", "Wheat", "Corn", "Hay", "Flint", "Iron", "Tin", "Salt", "Mud", "Clay",
    "Cobweb", "Bracken", "Whistle", "Marble", "Ribbon", "Thimble", "Pumpkin", "Pickle", "Pudding",
    "Muffin", "Crumble", "Toffee", "Jelly", "Rowan", "Fiddle", "Harp", "Drum", "Bugle",
)
TOWN_ENDS = (
    "wood", "brook", "field", "ford", "ton", "ville", "dale", "vale", "bury", "hill", "haven",
    "port", "side", "wick", "stead", "more", "moor", "bridge", "mouth", "well", "worth", "by",
    "thorpe", "hollow", "glen", "shire", "gate", "cross", "mere", "cliff", "combe", "stone",
    "leigh", "ham", "minster", "burgh", "holt", "marsh", "meadow", "bank", "water", "crest",
)
SURNAME_ENDS = (
    "berry", "field", "wood", "worth", "ington", "son", "well", "smith", "ley", "by", "croft",
    "foot", "whistle", "bottom", "kins", "man", "ford", "ton", "bury", "hart", "wick", "more",
    "shaw", "lock", "wright", "er", "ridge", "brook", "thwaite", "stone", "bridge", "ham", "low",
)

# Verbs (base form) that go with any small object: "She polished the lantern."
ACTIONS = (
    "pick up", "hold", "carry", "drop", "hide", "clean", "wash", "paint", "polish", "open", "shake",
    "lift", "push", "pull", "find", "wrap", "decorate", "fix", "check", "count", "sort", "stack",
    "toss", "catch", "hug", "pat", "tap", "poke", "sniff", "measure", "weigh", "examine", "inspect",
    "admire", "study", "borrow", "return", "trade", "keep", "touch", "squeeze", "twist", "turn",
    "dust", "scrub", "fold", "roll", "spin", "balance", "juggle", "guard", "bury", "dig up",
    "wiggle", "sketch", "label", "name", "mend", "rinse", "dry", "brush", "tickle", "share",
)

# Adjectives with simple comparatives and superlatives ("bigger", "the biggest").
GRADABLE = (
    "big", "small", "tall", "long", "short", "tiny", "huge", "bright", "dark", "soft", "loud",
    "quiet", "fast", "slow", "old", "young", "happy", "funny", "silly", "pretty", "shiny", "fluffy",
    "tidy", "messy", "sleepy", "brave", "kind", "strong", "smart", "clever", "warm", "cold", "sweet",
    "friendly", "busy", "noisy", "lucky", "shy", "wise", "fat", "thin", "wet", "hot", "sad", "red",
    "beautiful", "wonderful", "colorful", "delicious", "curious", "careful", "famous", "gentle",
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
    "salmon": "salmon", "scissors": "scissors", "woods": "woods", "volcano": "volcanoes",
    "calf": "calves", "elf": "elves", "half": "halves", "shrimp": "shrimp", "squid": "squid",
    "trout": "trout", "tuna": "tuna", "dunes": "dunes", "mango": "mangoes",
    "cactus": "cacti", "octopus": "octopuses", "walrus": "walruses", "platypus": "platypuses",
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
    "hem", "plop", "pop", "mop", "sip", "dip", "rip", "bat", "chat", "spot", "trot", "plod",
    "skid", "yip", "sled", "jam", "bob", "dab", "drum", "flap", "hem", "snap", "strum", "whip",
))


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
