"""Word lists, one module per language (``de``, ``en``), and the one word pattern.

Questions arrive in German and English, and most rules read both, so the joined lists below
are what callers import; a rule for one language imports its module. A new language is a new
module with the same names, joined here.
"""

import re
from typing import Literal

from qa_service.lexicon import de, en

Language = Literal["de", "en"]

WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
"""A word as the search sees it: letters and digits, hyphenated and apostrophe compounds whole."""

_LETTER_RUN = re.compile(r"([^\W\d_]{1,2})\1{2,}")


def is_letter_run(word: str) -> bool:
    """A word of one or two letters repeated ("aaaa", "zzzzzz", "hahaha"): a word in no
    language, whatever its length. At least 4 characters, so "AAA" (a credit rating) and
    "III" (Karl III.) stay words; two letters repeated at least 3 times, so "Mama" does."""
    return len(word) >= 4 and _LETTER_RUN.fullmatch(word.lower()) is not None


QUESTION_WORDS = de.QUESTION_WORDS | en.QUESTION_WORDS
ANAPHORS = de.ANAPHORS | en.ANAPHORS
PERSONAL_PRONOUNS = de.PERSONAL_PRONOUNS | en.PERSONAL_PRONOUNS
DEMONSTRATIVES = de.DEMONSTRATIVES | en.DEMONSTRATIVES
CONTINUATIONS = de.CONTINUATIONS | en.CONTINUATIONS
CONTINUATION_PHRASES = de.CONTINUATION_PHRASES | en.CONTINUATION_PHRASES
FUNCTION_WORDS = de.FUNCTION_WORDS | en.FUNCTION_WORDS
SMALL_TALK = de.SMALL_TALK | en.SMALL_TALK
GENERIC_WORDS = de.GENERIC_WORDS | en.GENERIC_WORDS
FORMAL_ADDRESS = de.FORMAL_ADDRESS | en.FORMAL_ADDRESS
DISCOURSE_WORDS = de.DISCOURSE_WORDS | en.DISCOURSE_WORDS
UNITS = de.UNITS | en.UNITS
SECOND_PERSON = de.SECOND_PERSON | en.SECOND_PERSON
LANGUAGE_CUES: dict[Language, frozenset[str]] = {"de": de.LANGUAGE_CUES, "en": en.LANGUAGE_CUES}
MONTH_NUMBERS: dict[str, int] = {
    name: number
    for lexicon in (de, en)
    for number, names in enumerate(lexicon.MONTHS, start=1)
    for name in names
}
"""Every month name of every language -> its number (1-12)."""
NUMBER_WORDS = tuple(dict.fromkeys(de.NUMBER_WORDS + en.NUMBER_WORDS))
NUMBER_QUESTIONS = de.NUMBER_QUESTIONS + en.NUMBER_QUESTIONS
MEASURES = de.MEASURES | en.MEASURES
MEASURE_WORDS = de.MEASURE_WORDS | en.MEASURE_WORDS
MEASURE_VERB_QUESTIONS = de.MEASURE_VERB_QUESTIONS + en.MEASURE_VERB_QUESTIONS
MEASURE_UNITS = {
    kind: f"{de.MEASURE_UNITS[kind]}|{en.MEASURE_UNITS[kind]}" for kind in de.MEASURE_UNITS
}
"""Each kind of measure -> its units in any language: an English question over a German
article ("How heavy is it?" - "23 Kilogramm")."""
MEASURE_BEFORE = {
    kind: "|".join(b for lexicon in (de, en) if (b := lexicon.MEASURE_BEFORE.get(kind)))
    for kind in MEASURE_UNITS
}
MEASURE_WITHOUT_NUMBER = {
    kind: "|".join(w for lexicon in (de, en) if (w := lexicon.MEASURE_WITHOUT_NUMBER.get(kind)))
    for kind in MEASURE_UNITS
}
"""Each kind of measure -> what states it without a number in any language ("ist frei")."""
SCALE_WORDS = f"{de.SCALE_WORDS}|{en.SCALE_WORDS}"
DURATION_UNITS = de.DURATION_UNITS | en.DURATION_UNITS
DURATION_QUESTIONS = de.DURATION_QUESTIONS + en.DURATION_QUESTIONS
TIME_QUESTIONS = de.TIME_QUESTIONS + en.TIME_QUESTIONS
NEXT_TIMES = de.NEXT_TIMES + en.NEXT_TIMES
FUTURE_WORDS = frozenset(de.FUTURE_WORDS + en.FUTURE_WORDS)
SPEECH_VERBS = (*de.SPEECH_VERBS, *en.SPEECH_VERBS)
ROLE_VERBS: dict[str, tuple[str, ...]] = {
    verb: de.ROLE_NOUNS[role] for lexicon in (de, en) for verb, role in lexicon.ROLE_VERBS.items()
}
"""A verb asking who holds a role, in any language -> the nouns naming the holder."""
SPEECH_MARKERS = de.SPEECH_MARKERS + en.SPEECH_MARKERS
SUBJUNCTIVE = (*de.SUBJUNCTIVE, *en.SUBJUNCTIVE)
TIME_WORDS = tuple(
    dict.fromkeys([*MONTH_NUMBERS, *de.WEEKDAYS, *en.WEEKDAYS, *de.TIME_WORDS, *en.TIME_WORDS])
)
"""Words that date a sentence: month and weekday names, "heute", "century" ..."""
DATE_LABELS = de.DATE_LABELS + en.DATE_LABELS
CREDIT_LABELS = de.CREDIT_LABELS + en.CREDIT_LABELS
PHOTO_LABELS = de.PHOTO_LABELS + en.PHOTO_LABELS
CARDINALS = de.CARDINALS | en.CARDINALS
"""Number words -> their digits ("drei" -> "3"); "ein"/"one" are left out: mostly articles."""
SENTENCE_OPENERS = de.SENTENCE_OPENERS | en.SENTENCE_OPENERS
NOT_AFTER_ORDINALS = de.NOT_AFTER_ORDINALS | en.NOT_AFTER_ORDINALS
"""Words that open a sentence after a number's full stop ("45. Die"), never an ordinal's noun."""
NOT_BEFORE_ORDINALS = de.NOT_BEFORE_ORDINALS | en.NOT_BEFORE_ORDINALS
"""Words after which a number counts and never ranks ("stieg auf 45. Rettungskräfte ...")."""
GENERIC_NOUNS = de.GENERIC_NOUNS | en.GENERIC_NOUNS
FOOTER_PHRASES = de.FOOTER_PHRASES + en.FOOTER_PHRASES
NEGATIONS = de.NEGATIONS | en.NEGATIONS
"""Words that negate a statement; English contractions ("didn't") are read apart."""
NOT_NEGATIONS = de.NOT_NEGATIONS + en.NOT_NEGATIONS
MODAL_CUES = de.MODAL_CUES | en.MODAL_CUES
MODAL_PHRASES = en.MODAL_PHRASES
MODAL_KEEPERS = de.MODAL_KEEPERS | en.MODAL_KEEPERS
WH_WORDS: dict[Language, frozenset[str]] = {"de": de.WH_WORDS, "en": en.WH_WORDS}
CONNECTIVES = de.CONNECTIVES | en.CONNECTIVES
DETERMINERS = de.DETERMINERS | en.DETERMINERS


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """``a|b|c`` for a regular expression, each word escaped."""
    return "|".join(re.escape(word) for word in words)
