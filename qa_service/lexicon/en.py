"""English words the service reads for their role, not their topic (German ones: ``de.py``)."""

QUESTION_WORDS = frozenset(
    "who whom whose what when where which why how many much did does was were".split()
)
LANGUAGE_CUES = frozenset(
    "the a an of in on at to is are was were who whom whose what when where which why how many "
    "much did "
    "does do has have with for from by about and or thanks thank".split()
)
ANAPHORS = frozenset(
    "he she it they him her them his its their this that these those there then".split()
)
PERSONAL_PRONOUNS = frozenset(
    "he she it him her hers his its they them their theirs himself herself itself".split()
)
DEMONSTRATIVES: frozenset[str] = frozenset()  # "that", "this" are anaphors whatever follows
# "What" is not one: it opens most self-contained questions ("What did Pistorius announce?"),
# which must be searched as asked; only "What about ...?" leans on the previous turn.
CONTINUATIONS = frozenset(["and", "but", "also"])
CONTINUATION_PHRASES = frozenset(["what about", "how about"])
FUNCTION_WORDS = frozenset(
    ["about", "else", "exactly", "can", "could", "would", "should", "might", "must", "shall"]
)
GENERIC_WORDS = frozenset(
    """
    old young say says said saying tell tells told elected born die died dies live lives lived
    work works worked happen happens happened do doing done go goes went come comes came think
    thinks thought mean means meant want wants wanted cost costs lead leads led appointed
    leave left win won become became get got make made know knew see saw really now today
    yesterday last name help show shows showed shown warn warns warned
    """.split()
)
FORMAL_ADDRESS: frozenset[str] = frozenset()
DISCOURSE_WORDS = frozenset(
    "well interesting sorry so now right alright sure wow really oh ah hmm okay btw anyway "
    "actually fine".split()
)
# Contraction endings only English writes ("they're", "didn't"); "'s" is German too ("geht's").
CONTRACTIONS = frozenset(["re", "ve", "ll", "t", "m", "d"])
SMALL_TALK = frozenset(
    "hello hi hey good morning evening bye thanks thank thx please ok okay super cool great "
    "nice yes yep nope helps very lot".split()
)
UNITS = frozenset(
    """
    percent percentage per cent points euro euros cent cents dollar dollars pound pounds times
    year years month months day days week weeks hour hours minute minutes second seconds
    kilometre kilometres kilometer kilometers km mile miles metre metres meter meters kilogram
    kilograms kg ton tons tonne tonnes litre litres liter liters degree degrees
    """.split()
)
SECOND_PERSON = frozenset("you your yours yourself yourselves".split())
MONTHS: tuple[tuple[str, ...], ...] = (
    ("january",),
    ("february",),
    ("march",),
    ("april",),
    ("may",),
    ("june",),
    ("july",),
    ("august",),
    ("september",),
    ("october",),
    ("november",),
    ("december",),
)
WEEKDAYS: tuple[str, ...] = ()  # not measured: the time cue never read English weekdays
TIME_WORDS = ("century",)
NEXT_TIMES = ("next", "upcoming", "coming")
FUTURE_WORDS = ("will", "scheduled", "planned", "due")
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten hundred thousand million billion "
    "percent".split()
)
DURATION_UNITS = frozenset(
    """
    day days week weeks month months year years decade decades century centuries hour hours
    minute minutes second seconds
    """.split()
)  # see de.py
DURATION_QUESTIONS = (r"how\s+long", r"how\s+old")
MEASURES: dict[str, str | None] = {  # see de.py
    "heavy": "weight",
    "expensive": "price",
    "far": "distance",
    "old": "age",
    "long": None,
    "high": None,
    "large": None,
    "big": None,
}
MEASURE_UNITS = {
    "weight": r"kilo(?:gram)?s?|kilogrammes?|kg|grams?|g|tons?|tonnes?|t|pounds?|lbs?",
    "price": r"euros?|cents?|dollars?|pounds?|francs?|r[ou]bles?|yuan|yen|[€$£]",
    "distance": r"(?:kilo|centi|milli)?met(?:er|re)s?|km|cm|mm|m|miles?|feet|foot|ft|yards?",
    "age": r"years?",  # "69 years old", "a 69-year-old"
    "duration": r"(?:day|week|month|year|decade|centur(?:y|ie)|hour|minute|second)s?",
}
MEASURE_WORDS: dict[str, str] = dict.fromkeys("cost costs".split(), "price") | dict.fromkeys(
    "weigh weighs weighed".split(), "weight"
)  # see de.py; "How much did it cost?" is a number question already
MEASURE_VERB_QUESTIONS = (r"how\s+much", r"what")
MEASURE_BEFORE = {"price": r"[€$£]", "age": r"aged|age(?:\s+of)?", "duration": ""}  # "at age 39"
MEASURE_WITHOUT_NUMBER = {  # see de.py: "Admission is free."
    "price": r"free\s+of\s+charge|for\s+free|(?:is|are|was|were)\s+(?:\w+\s+)?free(?!\w)",
    "duration": r"since(?!\w)|until(?!\w)",
}
SCALE_WORDS = r"million|billion|trillion|thousand|bn"
NUMBER_QUESTIONS = (
    rf"how\s+(?:many|much|{'|'.join(MEASURES)})",
    r"what\s+(number|percentage)",
    # "What did it cost?", "What will the bridge cost?" (see de.py ``WHAT_MEASURE_LATER``)
    r"what\s+(?:did|does|do|will|would)\b[^?.!]{0,80}?\b(?:cost|weigh)(?=\W*$)",
)
TIME_QUESTIONS = (r"when", r"what\s+year", r"which\s+year", r"what\s+date")
SPEECH_VERBS = (
    "say says said saying stated tell tells told explain explains explained claimed argue "
    "argues argued".split()  # not "state", "claim": nouns as often ("the state", "a claim")
)
# "Who coaches Dynamo?" over German articles: verb form -> the role it asks for, named by
# the articles' German nouns (``de.ROLE_NOUNS``).
ROLE_VERBS: dict[str, str] = {
    **dict.fromkeys("coaches coached trains trained manages managed".split(), "coach"),
    **dict.fromkeys("leads led heads headed runs ran chairs chaired".split(), "leader"),
    **dict.fromkeys("governs governed".split(), "governor"),
}
SPEECH_MARKERS = (r"\b[Aa]ccording\s+to\b",)
SUBJUNCTIVE: tuple[str, ...] = ()  # English reports speech with its verbs and quotes
DATE_LABELS = ("date", "published", "updated")
CREDIT_LABELS = ("source", "photo", "photos", "image", "images", "picture", "credit")
PHOTO_LABELS = ("photo", "photos", "photograph", "picture")
FOOTER_PHRASES = (
    "follow us",
    "share this",
    "share on",
    "copyright",
    "all rights reserved",
)
# Generated answers (answer/verification.py): see de.py.
CARDINALS = {
    "zero": "0", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "hundred": "100", "thousand": "1000",
}  # fmt: skip
SENTENCE_OPENERS = frozenset(
    "according however also there then today yesterday since until after before during "
    "about around nearly almost more less only still thus".split()
)
NOT_AFTER_ORDINALS = frozenset("the he she it they we this these those there but".split())
NOT_BEFORE_ORDINALS = frozenset("to of about over under around nearly almost than".split())
GENERIC_NOUNS = frozenset("passage passages article evidence question answer source".split())
# Generated answers (answer/verification.py): see de.py.
NEGATIONS = frozenset("not no never none nobody nothing neither nor nowhere without cannot".split())
NOT_NEGATIONS = ("not only", "no doubt")
MODAL_CUES = frozenset(
    "may might could would should reportedly allegedly supposedly apparently possibly "
    "probably likely presumably planned scheduled intends intended proposed".split()
)
MODAL_PHRASES = (  # regular expressions over lower-cased text: "is to be deployed"
    r"\b(?:is|are|was|were)\s+(?:due\s+|set\s+|expected\s+)?to\s+\w+",
    r"\bplans?\s+to\b",
)
MODAL_KEEPERS = frozenset("will shall can estimated believed considered".split())
WH_WORDS = frozenset("who whom whose what when where which why how".split())
DETERMINERS = frozenset("the a an this that these those its his her their our my your".split())
CONNECTIVES = frozenset(
    "according also additionally moreover furthermore about around approximately roughly "
    "some than".split()
)
