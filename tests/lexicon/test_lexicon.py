"""The word lists: one module per language, joined for callers that read both."""

import pytest

from qa_service import lexicon
from qa_service.lexicon import de, en

NAMES = [
    "QUESTION_WORDS",
    "LANGUAGE_CUES",
    "ANAPHORS",
    "PERSONAL_PRONOUNS",
    "DEMONSTRATIVES",
    "CONTINUATIONS",
    "CONTINUATION_PHRASES",
    "FUNCTION_WORDS",
    "SMALL_TALK",
    "MONTHS",
    "WEEKDAYS",
    "TIME_WORDS",
    "NUMBER_WORDS",
    "NUMBER_QUESTIONS",
    "TIME_QUESTIONS",
    "DATE_LABELS",
    "FOOTER_PHRASES",
]


@pytest.mark.parametrize("name", NAMES)
def test_every_language_defines_every_list(name: str) -> None:
    assert hasattr(de, name) and hasattr(en, name)


@pytest.mark.parametrize("module", [de, en])
def test_words_are_lower_case(module: object) -> None:
    for name in NAMES:
        if name.endswith("QUESTIONS"):
            continue  # regular expressions
        words = getattr(module, name)
        flat = [w for names in words for w in names] if name == "MONTHS" else list(words)
        assert all(w == w.lower() for w in flat), name


def test_one_month_list_for_every_caller() -> None:
    assert len(de.MONTHS) == len(en.MONTHS) == 12
    assert lexicon.MONTH_NUMBERS["jänner"] == 1 and lexicon.MONTH_NUMBERS["december"] == 12
    assert lexicon.MONTH_NUMBERS["mai"] == lexicon.MONTH_NUMBERS["may"] == 5


def test_joined_lists_hold_both_languages() -> None:
    assert {"wer", "who"} <= lexicon.QUESTION_WORDS
    assert {"danke", "thanks"} <= lexicon.SMALL_TALK
    assert {"er", "he"} <= lexicon.ANAPHORS


def test_the_word_pattern_keeps_compounds_whole() -> None:
    words = [m.group() for m in lexicon.WORD.finditer("Nord-Süd-Verbindung, wie's geht: 1.200")]
    assert words == ["Nord-Süd-Verbindung", "wie's", "geht", "1", "200"]
