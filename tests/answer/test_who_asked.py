"""A question asking for someone ("Wer baute ...?") few of whose words any candidate holds
abstains (``abstaining.asks_who``, ``Calibration.who_few_words``): the words, then the real
model, retriever and HTTP over a small article of our own (written for this test: place,
names and figures invented)."""

import pytest
from fastapi.testclient import TestClient

from qa_service.answer.abstaining import asks_who
from tests.helpers.checks import ask_exact, post_articles


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("Wer baute die Brücke?", True),
        ("Wem gehört die Lagerhalle?", True),
        ("Und wer hat sie entworfen?", True),
        ("Who built the bridge?", True),
        ("Wie viel kostete die Brücke?", False),
        ("Was sagte der Werkleiter?", False),  # "Wer" only as a word of its own
    ],
)
def test_a_question_asking_for_someone(question: str, who: bool) -> None:
    assert asks_who(question) is who


STATION = (
    "Neue Feuerwache in Wernau eingeweiht\n\n"
    "Wernau, 14. Mai 2025 – Nach 18 Monaten Bauzeit ist die neue Feuerwache in Wernau "
    "eingeweiht worden. Wehrleiter Jonas Brandt übernahm am Samstag den Schlüssel. "
    "Die Wache hat sechs Stellplätze für Fahrzeuge und einen Schulungsraum. "
    "Der Bau kostete 4,2 Millionen Euro."
)


@pytest.fixture
def station(client: TestClient) -> TestClient:
    post_articles(client, [("wache", None, STATION)])
    return client


@pytest.mark.parametrize(
    "question", ["Wer hat die Feuerwache entworfen?", "Wem gehört die Feuerwache?"]
)
def test_someone_asked_for_a_deed_no_sentence_names_abstains(
    station: TestClient, question: str
) -> None:
    body = ask_exact(station, question)
    assert body["abstained"] is True, body


def test_someone_asked_for_a_deed_the_article_names_is_answered(station: TestClient) -> None:
    body = ask_exact(station, "Wer übernahm den Schlüssel der Feuerwache in Wernau?")
    assert body["abstained"] is False, body
    assert "Jonas Brandt" in body["citations"][0]["quote"], body
