"""A question asking about a time to come ("das nächste Spiel") that the sentence found and its
neighbours do not name abstains (``abstaining.asks_time_to_come``): planted texts for the test
itself, then the real model, retriever and HTTP over small articles of our own (written for
this test: places, names and figures invented)."""

import pytest
from fastapi.testclient import TestClient

from qa_service.answer.abstaining import asks_time_to_come, names_time_to_come
from tests.helpers.checks import ask_exact, post_articles


@pytest.mark.parametrize(
    ("question", "window", "missing"),
    [
        ("Wann ist das nächste Spiel?", "Das Spiel endete 2:1.", True),
        ("Wann tagt der Rat das nächste Mal?", "Der Rat tagte am Montag.", True),
        ("Wann ist das nächste Spiel?", "Am nächsten Samstag spielt der SV in Au.", False),
        ("Wann ist das kommende Spiel?", "Kommenden Samstag spielt der SV in Au.", False),
        ("When is the next match?", "The match ended 2-1.", True),
        ("When is the next match?", "Am nächsten Samstag spielt der SV in Au.", False),
        ("Wann war das Spiel?", "Das Spiel endete 2:1.", False),
        # said to come in other words: the window may name the time asked
        ("Wann ist die nächste Wahl?", "Die Wahl findet am 5. Mai statt.", False),
        ("Wann tagt der Rat das nächste Mal?", "Der Rat wird im Herbst entscheiden.", False),
        ("When is the next vote?", "The vote is scheduled for May.", False),
        ("Wann tagt der Rat das nächste Mal?", "Der Bau soll 2 Mio. Euro kosten.", True),
        # a year is no time to come: said once for a whole passage, often not beside it
        ("Wie viele Tore fielen 2015?", "In dieser Saison fielen 41 Tore.", False),
    ],
)
def test_a_time_to_come_the_best_sentence_and_its_neighbours_do_not_name(
    question: str, window: str, missing: bool
) -> None:
    assert (asks_time_to_come(question) and not names_time_to_come(window)) is missing


COUNCIL = (
    "Gemeinderat Wernau beschließt Spielplatz\n\n"
    "Wernau, 3. März 2025 – Der Gemeinderat von Wernau hat am Montagabend einstimmig den Bau "
    "eines Spielplatzes am Stadtpark beschlossen. Er soll 180.000 Euro kosten. "
    "Bürgermeisterin Jana Roth sprach von einem guten Tag für die Familien."
)
MATCH = (
    "SV Tannenfeld gewinnt gegen Birkenau\n\n"
    "Tannenfeld, 6. April 2025 – Der SV Tannenfeld hat das Heimspiel gegen den TSV Birkenau "
    "mit 2:1 gewonnen. Vor 850 Zuschauern traf Lukas Weber zweimal. "
    "Trainer Jens Adler lobte die Abwehr."
)


ELECTION = (
    "Lindenau wählt im Herbst\n\n"
    "Lindenau, 2. Mai 2025 – Die Wahl des Oberbürgermeisters von Lindenau findet am "
    "12. Oktober 2025 statt. Drei Bewerber haben ihre Kandidatur angemeldet."
)


@pytest.fixture
def small_articles(client: TestClient) -> TestClient:
    post_articles(
        client,
        [("wernau", None, COUNCIL), ("tannenfeld", None, MATCH), ("lindenau", None, ELECTION)],
    )
    return client


@pytest.mark.parametrize(
    "question",
    [
        "Wann tagt der Gemeinderat von Wernau das nächste Mal?",
        "Wann spielt der SV Tannenfeld das nächste Mal?",
    ],
)
def test_a_time_the_article_does_not_say_abstains(
    small_articles: TestClient, question: str
) -> None:
    body = ask_exact(small_articles, question)
    assert body["abstained"] is True, body


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Was hat der Gemeinderat von Wernau beschlossen?", "Spielplatz"),
        ("Wie ging das Spiel des SV Tannenfeld aus?", "2:1"),
        # the time to come said without "nächste": answered from it
        ("Wann ist die nächste Oberbürgermeisterwahl in Lindenau?", "12. Oktober 2025"),
    ],
)
def test_the_same_question_without_that_time_is_answered(
    small_articles: TestClient, question: str, answer: str
) -> None:
    body = ask_exact(small_articles, question)
    assert body["abstained"] is False, body
    assert answer in body["citations"][0]["quote"], body
