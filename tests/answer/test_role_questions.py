"""Questions asking who holds a role ("Wie heißt der Bürgermeister von X?"): planted texts
for the word tests, then the real model, retriever and HTTP over small articles that name the
role's holder right after the role noun ("Bürgermeister Thomas Keller (SPD) sagte ...")."""

import pytest
from fastapi.testclient import TestClient

from qa_service.answer.cues import asked_role, role_holder_test
from qa_service.retrieval.lexical import content_words, words_found
from tests.helpers.checks import ask_exact


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


# -- the real service: small articles posted over HTTP -------------------------------------

CYCLE_PATH = (
    "Die Gemeinde Kleinhausen hat am Freitag ihren neuen Radweg entlang der Lauter eröffnet. "
    "Bürgermeister Thomas Keller (SPD) sagte, der Weg mache die Schulwege sicherer. "
    "Der Radweg ist vier Kilometer lang. Die Arbeiten dauerten ein Jahr."
)
BUDGET = (
    "Im Rathaus von Birkenau wurde am Dienstag der neue Haushalt vorgestellt.\n\n"
    "Bürgermeisterin Sabine Hofmann sprach von einem soliden Plan. "
    "Die Schulden sollen bis 2030 halbiert werden."
)


@pytest.fixture
def role_articles(client: TestClient) -> TestClient:
    """The seeds and two small articles of our own, each naming its mayor after the role."""
    for doc_id, title, text in [
        ("kleinhausen", "Neuer Radweg in Kleinhausen", CYCLE_PATH),
        ("birkenau", None, BUDGET),
    ]:
        body = {"id": doc_id, "text": text} | ({"title": title} if title else {})
        assert client.post("/v1/documents", json=body).status_code == 201
    return client


@pytest.mark.parametrize(
    ("question", "holder"),
    [
        ("Wie heißt der Bürgermeister von Kleinhausen?", "Thomas Keller"),
        ("Wer ist Bürgermeister von Kleinhausen?", "Thomas Keller"),
        ("Wie heißt die Bürgermeisterin von Birkenau?", "Sabine Hofmann"),
    ],
)
def test_a_role_question_is_answered_by_the_sentence_naming_its_holder(
    role_articles: TestClient, question: str, holder: str
) -> None:
    body = ask_exact(role_articles, question)  # every quote is article_text[start:end]
    assert body["abstained"] is False, body
    assert holder in body["citations"][0]["quote"], body
    assert holder in body["answer"], body
    # Not merged with, nor opened by, the opening sentence it was read with (its lead).
    assert not body["answer"].startswith(("Die Gemeinde", "Im Rathaus")), body
    assert "Gemeinde" not in body["citations"][0]["quote"], body
