"""How plain texts are read, over real HTTP (a served process): the findings of hunt15 that
were left open (tables, dates, titles)."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.helpers.checks import ask_exact

pytestmark = pytest.mark.slow  # a real server (the session's)


@contextmanager
def posted(http: httpx.Client, doc_id: str, text: str) -> Iterator[dict]:
    """The article posted as JSON text, deleted afterwards; yields its stored document."""
    response = http.post("/v1/documents", json={"id": doc_id, "text": text})
    assert response.status_code == 201, response.text
    try:
        yield http.get(f"/v1/documents/{doc_id}").json()
    finally:
        http.delete(f"/v1/documents/{doc_id}")


def top_citation(http: httpx.Client, question: str) -> tuple[str, str]:
    """(document id, quote) of the first citation of an answer whose citations are exact."""
    body = ask_exact(http, question)
    assert body["citations"], body
    return body["citations"][0]["document_id"], body["citations"][0]["quote"]


BAHNHOF = "Der Bau des neuen Bahnhofs beginnt am 4. Juni 2031. Er soll 2035 fertig sein."


@pytest.mark.parametrize(
    "text, stored, question, top",
    [
        (  # hunt15: the rows were masked as a facts box, so the question cited the turnout;
            # and the title was the last paragraph (neither a table row nor two sentences is)
            "Wahlergebnis\tGemeinde Tannau\n\nCDU\t41,2 %\nSPD\t22,7 %\nGrüne\t15,1 %\n\n"
            "Die Wahlbeteiligung lag bei 63 Prozent. Bürgermeister Ulf Tann (CDU) wurde "
            "wiedergewählt.",
            {"title": None},
            "Wie viel Prozent erhielt die SPD in Tannau?",
            "SPD\t22,7 %",
        ),
        (  # hunt15: "im Mai 1400 Touristen" was read as the date "Mai 1400", so the question
            # abstained for want of a number (lacks_quantity)
            "Die Gemeinde Wendorf zählte im Mai 1400 Touristen. Bürgermeister Olaf Wend ist "
            "zufrieden.",
            {},
            "Wie viele Touristen zählte die Gemeinde Wendorf im Mai?",
            "Die Gemeinde Wendorf zählte im Mai 1400 Touristen.",
        ),
        (  # hunt15: a one-paragraph article was titled with its whole paragraph
            "Das Derby endete 2:1. Trainer Stamm lobte die Elf. Die Zahl der Zuschauer stieg "
            "auf 31. Die Polizei meldete keine Zwischenfälle.",
            {"title": None},
            "Wie endete das Derby?",
            "Das Derby endete 2:1.",
        ),
        (  # hunt15: the start of a building project in 2031 was stored as the article's date
            f"Neuer Bahnhof in Xstadt\n\n{BAHNHOF}",
            {"title": "Neuer Bahnhof in Xstadt", "published_at": None},
            None,
            None,
        ),
        (  # a dateline dates it, not the event in its sentence
            f"Neuer Bahnhof in Xstadt\n\nXstadt, 2. Mai 2025 – {BAHNHOF}",
            {"published_at": "2025-05-02"},
            None,
            None,
        ),
    ],
)
def test_a_plain_text_is_read_as_a_reader_reads_it(
    http: httpx.Client, text: str, stored: dict, question: str | None, top: str | None
) -> None:
    with posted(http, "read-as-text", text) as document:
        assert {field: document[field] for field in stored} == stored, document
        if question is not None:
            assert top_citation(http, question) == ("read-as-text", top)
