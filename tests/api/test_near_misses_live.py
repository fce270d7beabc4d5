"""Near misses over real HTTP: questions on the seed articles' topic that share their names but
ask for something they do not say abstain; the seed questions that ask for a number still
answer, quoting the article exactly. A real `serve` process over the two seed articles, the
real model (benchmarks/README.md, "Near misses, third pass")."""

import json
from collections.abc import Iterator

import httpx
import pytest

from qa_service.answer.cues import expected_answer_type
from tests.helpers.checks import ask_exact
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow

DATA = ROOT / "tests" / "evaluation" / "data"


def _questions(name: str) -> list[tuple[str, str]]:
    """(question, first gold answer) of a seed question file."""
    data = json.loads((DATA / name).read_text(encoding="utf-8"))["data"]
    return [
        (q["question"], q["answers"][0]["text"] if q["answers"] else "")
        for article in data
        for paragraph in article["paragraphs"]
        for q in paragraph["qas"]
    ]


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


@pytest.mark.parametrize(
    "question",
    [
        # The closest sentences count "Fast 1.200 Tage" (a duration) and "Am 4. Juni 2025" (a
        # date): no quantity that answers how many refugees or how much gas. Their evidence
        # (0.815, 0.796) is above the English threshold: the asked-quantity rule abstains.
        "How many refugees from Ukraine has Germany taken in?",
        "How much gas does Europe still buy from Russia?",
        # Its best sentences count "30 Prozent" more deterrence, a quantity of something else:
        # a German number question's quantity must sit in a text that mentions a word of the
        # question, a compound by its head ("Verteidigung" is no "Verteidigungshaushalt").
        "Wie hoch ist der deutsche Verteidigungshaushalt 2025?",
        # Abstained before, by their evidence or a word no candidate holds.
        "Wie viele Leopard-Panzer liefert Deutschland an die Ukraine?",
        "Wer ist der Bürgermeister von Kiew?",
        "Wann findet der NATO-Gipfel in Den Haag statt?",
        "Welche Sanktionen hat die EU im Juni gegen Russland beschlossen?",
        "Wie viele Menschen sind aus der Ukraine nach Polen geflohen?",
        "Wie viele Zivilisten starben beim Angriff auf Odessa?",
        "Who is the prime minister of Poland?",
    ],
)
def test_a_near_miss_abstains(http: httpx.Client, question: str) -> None:
    assert any(question == q for q, _ in _questions("seed-unanswerable.json"))
    body = ask_exact(http, question)
    assert body["abstained"] and body["citations"] == [], body


def test_the_seed_number_questions_still_answer_with_exact_quotes(http: httpx.Client) -> None:
    """Every seed question asking for a number (a count of days, of states, a percentage)
    cites its answer: "Wie viele Tage ...?" names its unit, so "1.200 Tage" fits it."""
    numbers = [
        (q, gold)
        for q, gold in _questions("seed-questions.json")
        if expected_answer_type(q) == "number"
    ]
    assert len(numbers) == 3
    for question, gold in numbers:
        body = ask_exact(http, question)  # article_text[start:end] == quote
        assert not body["abstained"], body
        assert any(gold in c["quote"] for c in body["citations"]), (question, body)
