"""Questions whose pronoun points at nothing: asked alone they are not searched."""

import json

import pytest

from qa_service.answer.references import pointers, refers_to_nothing
from tests.helpers.paths import EVAL_DATA


@pytest.mark.parametrize(
    ("question", "pronoun"),
    [
        ("How old is he?", "he"),
        ("Wie alt ist sie?", "sie"),
        ("Was hat er gesagt?", "er"),
        ("When was he elected?", "he"),
        ("What did she say about the budget?", "she"),
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
    ],
)
def test_a_named_topic_or_a_pronoun_inside_the_question_is_searched(question: str) -> None:
    assert refers_to_nothing(question) is None


@pytest.mark.parametrize(
    "name",
    ["xquad-de-dev.json", "xquad-dev.en.json", "english-questions.json", "seed-questions.json"],
)
def test_no_evaluation_question_is_held_for_a_pronoun(name: str) -> None:
    """Reading-comprehension questions name their topic; none may be refused for a pronoun."""
    data = json.loads((EVAL_DATA / name).read_text(encoding="utf-8"))["data"]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    assert len(questions) >= 40
    assert [q for q in questions if refers_to_nothing(q)] == []


def test_pointers_are_pronouns_and_bare_demonstratives() -> None:
    assert pointers("Wann war das?") == ["das"]
    assert pointers("Wer leitete das Treffen?") == []
    assert pointers("Wann war er zuletzt dort?") == ["er", "dort"]
