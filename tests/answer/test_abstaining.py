"""Abstaining: too little evidence, or a message that asks nothing."""

import pytest

from qa_service.answer.abstaining import abstains, asks_something


@pytest.mark.parametrize("message", ["Danke!", "ok", "Super, das hilft mir", "Hallo", "Thanks!"])
def test_small_talk_asks_nothing(message: str) -> None:
    assert not asks_something(message, message)


@pytest.mark.parametrize("message", ["Schoygu", "Drohnentruppen Chef", "Wer ist Browdi?"])
def test_keywords_and_names_ask_something(message: str) -> None:
    assert asks_something(message, message)


def test_a_follow_up_asks_through_its_rewritten_query() -> None:
    assert not asks_something("Was?", "Was?")  # no content word, no conversation to lend one
    assert asks_something("Wann war das?", "Wann war das? Chef Drohnentruppen")


def test_evidence_below_the_threshold_abstains() -> None:
    question = "Wer leitet die Bibliothek?"
    assert abstains(0.79, 0.80, question, question)
    assert not abstains(0.80, 0.80, question, question)
    assert abstains(0.99, 0.80, "Danke!", "Danke!")
