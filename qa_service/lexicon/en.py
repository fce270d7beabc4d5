"""English words the service reads for their role, not their topic (German ones: ``de.py``)."""

QUESTION_WORDS = frozenset(
    "who whom whose what when where which why how many much did does was were".split()
)
LANGUAGE_CUES = frozenset(
    "the a an of in on at to is are was were who whom whose what when where which why how many "
    "much did "
    "does do has have with for from by about and or".split()
)
ANAPHORS = frozenset(
    "he she it they him her them his its their this that these those there then".split()
)
DEMONSTRATIVES: frozenset[str] = frozenset()  # "that", "this" are anaphors whatever follows
CONTINUATIONS = frozenset(["and", "but", "also", "what"])
FUNCTION_WORDS = frozenset(["about", "else", "exactly"])
SMALL_TALK = frozenset(
    "hello hi hey good morning evening bye thanks thank thx please ok okay super cool great "
    "nice yes yep nope helps".split()
)
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
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten hundred thousand million billion "
    "percent".split()
)
NUMBER_QUESTIONS = (r"how\s+(many|much|long|high|large|big|old)", r"what\s+(number|percentage)")
TIME_QUESTIONS = (r"when", r"what\s+year", r"which\s+year", r"what\s+date")
DATE_LABELS = ("date", "published", "updated")
FOOTER_PHRASES = (
    "follow us",
    "share this",
    "share on",
    "copyright",
    "all rights reserved",
)
