"""Questions whose pronoun points at nothing: asked alone they are not searched."""

import json

import pytest

from qa_service.answer.language import detect_language
from qa_service.answer.references import (
    addresses_assistant,
    is_capitalised,
    is_topic_word,
    pointers,
    refers_to_nothing,
    words,
)
from qa_service.service import QAService
from tests.helpers.paths import EVAL_DATA


@pytest.mark.parametrize(
    ("question", "pronoun"),
    [
        ("How old is he?", "he"),
        ("Wie alt ist sie?", "sie"),
        ("Was hat er gesagt?", "er"),
        ("When was he elected?", "he"),
        ("What's he saying?", "he"),
        ("Who's she?", "she"),
        ("Wer ist sie?", "sie"),
        ("What did he say?", "he"),
        ("Was hat Er gesagt?", "Er"),
        ("WIE ALT IST ER?", "er"),  # capitals read lower-case: no acronym
        ("Wie alt ist sie eigentlich?", "sie"),
        ("Und wie alt ist er?", "er"),
        ("What does it cost?", "it"),
        ("Who leads it?", "it"),
        ("Was hat ihn verärgert?", "ihn"),
        ("Wer hat ihn ernannt?", "ihn"),
        ("Wann war er zuletzt dort?", "er"),
        ("When did it happen?", "it"),
    ],
)
def test_a_pronoun_with_nothing_named_refers_to_nothing(question: str, pronoun: str) -> None:
    assert refers_to_nothing(question) == pronoun


@pytest.mark.parametrize(
    "question",
    [
        "What did he say about Ukraine?",  # a topic to search for
        "Wann hat Selenskyj ihn ernannt?",
        "Was sagte er 2024?",  # a number names something too
        "Wer wurde zum Chef der Drohnentruppen ernannt?",  # no pronoun
        "How old is the chancellor?",
        "Where was the altitude chamber in which the astronauts tested their spacecraft?",
        "Wann war das?",  # no personal pronoun (and no content: abstained as asking nothing)
        # A name as the first word names someone (not capitalised by position only).
        "Merz, wie alt ist er?",
        "Selenskyj – wie alt ist er?",
        "Baerbock, wie alt ist sie?",
        "Habeck: was hat er gesagt?",
        "Merz: what did he say?",
        "Selenskyj, how old is he?",
        "Merz. How old is he?",
        # One topic word, English or lower-case, is something to search for.
        "Who is he, the chancellor?",
        "What did he say about drones?",
        "What did she say about the budget?",
        "Where do they produce weapons?",
        "what did they decide in brussels?",
        "How old is he, merz?",
        "Was hat er zu selenskyj gesagt?",
        "was sagte er über drohnen?",
        "wie alt ist er, der kanzler?",
        # Formal address asks the assistant, not about someone.
        "Wie geht es Ihnen?",
        "Wie alt sind Sie?",
    ],
)
def test_a_named_topic_or_a_pronoun_inside_the_question_is_searched(question: str) -> None:
    assert refers_to_nothing(question) is None


@pytest.mark.parametrize(
    "name",
    ["xquad-de-dev.json", "xquad-dev.en.json", "english-questions.json", "seed-questions.json"],
)
def test_no_evaluation_question_is_held_for_a_pronoun(name: str) -> None:
    """Reading-comprehension questions name their topic; none may be refused for a pronoun,
    nor taken for a question about the assistant."""
    data = json.loads((EVAL_DATA / name).read_text(encoding="utf-8"))["data"]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    assert len(questions) >= 40
    assert [q for q in questions if refers_to_nothing(q)] == []
    assert [q for q in questions if addresses_assistant(q)] == []


def test_pointers_are_pronouns_and_bare_demonstratives() -> None:
    assert pointers("Wann war das?") == ["das"]
    assert pointers("Wer leitete das Treffen?") == []
    assert pointers("Wann war er zuletzt dort?") == ["er", "dort"]


def test_a_first_word_is_a_name_unless_the_lexicon_knows_its_role() -> None:
    assert is_capitalised("Merz", 0) and is_capitalised("Selenskyj", 0)
    assert not any(is_capitalised(w, 0) for w in ("Wie", "What's", "Und", "Hallo", "Tell"))


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("What's he saying?", "en"),
        ("Who's she?", "en"),
        ("They're where?", "en"),
        ("Wie geht's?", "de"),
        ("Wie alt ist er?", "de"),
    ],
)
def test_contractions_read_as_english(question: str, language: str) -> None:
    assert detect_language(question) == language


@pytest.mark.parametrize(
    "question",
    [
        "Who are you?",
        "What can you do?",
        "What is your name?",
        "Tell me about yourself.",
        "Wer bist du?",
        "Was kannst du?",
        "Wie heißt du?",
        "Was machst du eigentlich?",
        "Wer sind Sie?",
        "Was können Sie?",
        "Können Sie mir helfen?",
        "WER BIST DU?",
    ],
)
def test_a_question_about_the_assistant_itself_is_recognised(question: str) -> None:
    assert addresses_assistant(question)


@pytest.mark.parametrize(
    "question",
    [
        "Was weißt du über Rutte?",  # the topic is Rutte, the "du" is politeness
        "Can you tell me what Merz said?",
        "Are you a robot?",  # a word of its own: left to the evidence
        "Wer sind sie?",  # lower-case "sie": they, not the assistant
        "Was sagte Merz?",
        "Wie alt ist er?",
        "Hast du Zahlen zur NATO?",
    ],
)
def test_a_question_that_names_a_topic_is_not_about_the_assistant(question: str) -> None:
    assert not addresses_assistant(question)


@pytest.mark.parametrize(
    "question",
    [
        "Um wie viel Prozent?",
        "Wie viele Jahre?",
        "In welchem Jahr?",
        "How many years?",
        "By how much?",
    ],
)
def test_a_unit_of_measure_names_no_topic(question: str) -> None:
    """A follow-up made of a question phrase and a unit asks about the conversation's topic."""
    assert not any(is_topic_word(w, i) for i, w in enumerate(words(question)))


def test_the_loop_knows_what_a_question_will_embed(service: QAService) -> None:
    """``query_to_embed``: what ``ask`` embeds (checked, stripped), None when it embeds nothing,
    so a question admitted to the queue is embedded ahead only when its answer needs it."""
    answerer = service.answerer
    assert answerer.query_to_embed("  Wer ist Pistorius?  ") == "Wer ist Pistorius?"
    assert answerer.query_to_embed("   ") is None  # refused by ask: EmptyQuestion
    assert answerer.query_to_embed("?!") is None
    assert answerer.query_to_embed("Wer bist du?") is None  # about the assistant
    assert answerer.query_to_embed("Wie alt ist er?") is None  # a pronoun naming nothing
    for odd in ("Wer ist Pis\u00adtorius?", "\uff37er ist Pistorius?"):  # soft hyphen, fullwidth
        read = answerer.read_question(answerer.check_question(odd))
        assert answerer.query_to_embed(odd) == read == "Wer ist Pistorius?"
    assert answerer.query_to_embed("WER IST PISTORIUS?") is None  # recased after a search
