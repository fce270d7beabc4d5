"""Questions asking who holds a role ("Wie heißt der Bürgermeister von X?"): planted texts
for the word tests; the real service over small articles naming the holder right after the
role noun ("Bürgermeister Thomas Keller (SPD) sagte ...") is in tests/answer/test_lead.py."""

import pytest

from qa_service.answer.cues import (
    asked_role,
    found_role_verb,
    role_holder_test,
    verb_role_test,
)
from qa_service.lexicon import ROLE_VERBS, de, en
from qa_service.retrieval.lexical import content_words, share_found, words_found


@pytest.mark.parametrize(
    "question",
    [
        "Wie heißt der Bürgermeister von Kleinhausen?",
        "Wie hieß die Burg?",
        "Wie heißen die Kandidaten?",
    ],
)
def test_heissen_asks_for_a_name_and_is_no_word_the_answer_must_hold(question: str) -> None:
    words = content_words(question)
    assert not words & {"heißt", "hieß", "heißen"}, words
    sentence = "Bürgermeister Thomas Keller (SPD) sagte, die Burg der Kandidaten in Kleinhausen."
    assert words_found(question, [sentence]) == 1.0


@pytest.mark.parametrize(
    ("question", "role"),
    [
        ("Wie heißt der Bürgermeister von Kleinhausen?", "bürgermeister"),
        ("Wie heißt die Bürgermeisterin von Birkenau?", "bürgermeister"),
        ("Wer ist Bürgermeister von Großdorf?", "bürgermeister"),
        ("Wer ist der Vorsitzende des IPCC?", "vorsitzende"),
        ("Wer ist Jürgen Müßig?", None),  # a name, not a role: no article, nothing after it
        ("Wer siegte in Tannenfeld?", None),
        ("Wie hieß die normannische Burg?", None),
    ],
)
def test_the_role_asked_for(question: str, role: str | None) -> None:
    assert asked_role(question) == role


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("Bürgermeister Thomas Keller (SPD) sagte, der Weg sei gut.", True),
        ("Bürgermeisterin Sabine Hofmann sprach von einem soliden Plan.", True),
        ("Der Bürgermeister von Lindenau, Peter Brandt, ist wiedergewählt worden.", True),
        ("Der Oberbürgermeister Keller (CDU) sagte es.", True),
        ("Der Bürgermeister sagte, Peter Brandt sei gut.", False),  # a verb between
        ("Die Gemeinde Kleinhausen hat einen Radweg eröffnet.", False),
    ],
)
def test_a_sentence_names_the_holder_after_the_role(sentence: str, names: bool) -> None:
    assert role_holder_test("Wie heißt der Bürgermeister von Kleinhausen?")(sentence) is names
    assert role_holder_test("Wer siegte in Tannenfeld?")(sentence) is False


@pytest.mark.parametrize(
    ("question", "sentence", "names"),
    [
        ("Wer trainiert den SV Birkenau?", "Trainer Jens Adler lobte die Elf.", True),
        ("Wer leitet die Tafel?", "Das sagte Vereinschefin Anna Roth am Montag.", True),
        ("Wer leitete das Freibad?", "Badleiter Uwe Kern (58) rechnet mit Gästen.", True),
        ("Wer regiert die Stadt?", "Oberbürgermeisterin Eva Stolz sprach.", True),
        ("Who coaches SV Birkenau?", "Trainer Jens Adler lobte die Elf.", True),
        # English verbs reach the same German nouns: "regierungschef" was missing here
        ("Who governs Saxony?", "Regierungschef Michael Kretschmer sprach.", True),
        ("Wer regiert Sachsen?", "Regierungschef Michael Kretschmer sprach.", True),
        ("Und wer führt den Verein?", "Der Vorsitzende Karl Meier trat an.", True),
        # the role noun without a name after it, or another role than the verb's
        ("Wer trainiert den SV Birkenau?", "Der Trainer lobte die Elf.", False),
        ("Wer regiert die Stadt?", "Trainer Jens Adler lobte die Elf.", False),
        # no role asked by a verb
        ("Wer gewann das Spiel?", "Trainer Jens Adler lobte die Elf.", False),
        ("Wann trainiert der SV Birkenau?", "Trainer Jens Adler lobte die Elf.", False),
    ],
)
def test_a_role_asked_by_its_verb(question: str, sentence: str, names: bool) -> None:
    assert verb_role_test(question)(sentence) is names


def test_every_language_asks_a_role_by_the_same_nouns() -> None:
    """One table of the articles' role nouns (``de.ROLE_NOUNS``): a verb in any language
    reaches all of its role's nouns, never a copy that lags behind."""
    for lexicon in (de, en):
        for verb, role in lexicon.ROLE_VERBS.items():
            assert ROLE_VERBS[verb] == de.ROLE_NOUNS[role], verb
    assert ROLE_VERBS["governed"] == ROLE_VERBS["regierte"]


def test_a_role_verb_is_found_by_its_holder() -> None:
    question = "Wer leitet die Feuerwehr?"
    named = ["Die Feuerwehr kam.", "Feuerwehrchef Torben Claußen sagte: „Niemand wurde verletzt.“"]
    assert share_found(found_role_verb(question, named), named) == 1.0
    unnamed = ["Die Feuerwehr kam.", "Der Chef sagte es."]  # no name after the role
    assert found_role_verb(question, unnamed) == question
    assert share_found(question, unnamed) < 1.0
    assert found_role_verb("Wer rettete die Katze?", named) == "Wer rettete die Katze?"
