"""Abstaining: too little evidence, or a message that asks nothing."""

import pytest

from qa_service.answer.abstaining import abstains, asks_something, near_miss


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


def test_a_name_no_candidate_holds_is_a_near_miss() -> None:
    sentences = ["Klitschko traf den Generalstab in Kiew.", "Die Gespräche dauerten bis Mittwoch."]
    assert near_miss("Wer ist der Bürgermeister von Kiew?", sentences)
    assert not near_miss("Wen traf Klitschko in Kiew?", sentences)
    # Compounds count as found: "Generalstabs" is in "Generalstab", "Gespräch" in "Gespräche".
    assert not near_miss("Wo tagte der Generalstab?", sentences)
    assert not near_miss("Wie lange dauerten die Gespräche?", sentences)
    # The first word is capitalised in any question; lower-case words are not names.
    assert not near_miss("Stimmt es, dass die Gespräche lange dauerten?", sentences)
    assert not near_miss("Was sagte man in Kiew?", sentences)  # "sagte": not a name
