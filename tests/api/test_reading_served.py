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


def test_a_tab_separated_table_is_cited_row_by_row(http: httpx.Client) -> None:
    # hunt15: the rows were masked as a facts box, so the question cited the turnout.
    text = (
        "Wahlergebnis\tGemeinde Tannau\n\nCDU\t41,2 %\nSPD\t22,7 %\nGrüne\t15,1 %\n\n"
        "Die Wahlbeteiligung lag bei 63 Prozent. Bürgermeister Ulf Tann (CDU) wurde "
        "wiedergewählt."
    )
    with posted(http, "t-tabs", text) as stored:
        assert stored["title"] is None  # neither a table row nor the last paragraph
        body = ask_exact(http, "Wie viel Prozent erhielt die SPD in Tannau?")
        top = body["citations"][0]
        assert (top["document_id"], top["quote"]) == ("t-tabs", "SPD\t22,7 %"), body


def test_a_count_after_a_month_is_no_year(http: httpx.Client) -> None:
    # hunt15: "im Mai 1400 Touristen" was read as the date "Mai 1400", so the question
    # abstained for want of a number (lacks_quantity).
    text = (
        "Die Gemeinde Wendorf zählte im Mai 1400 Touristen. Bürgermeister Olaf Wend ist zufrieden."
    )
    with posted(http, "w-x", text):
        body = ask_exact(http, "Wie viele Touristen zählte die Gemeinde Wendorf im Mai?")
        assert body["citations"], body
        top = body["citations"][0]
        assert (top["document_id"], top["quote"]) == ("w-x", text.split(" Bürger")[0]), body


def test_an_event_to_come_is_no_publication_date(http: httpx.Client) -> None:
    # hunt15: the start of a building project in 2031 was stored as the article's date.
    text = (
        "Neuer Bahnhof in Xstadt\n\nDer Bau des neuen Bahnhofs beginnt am 4. Juni 2031. "
        "Er soll 2035 fertig sein."
    )
    with posted(http, "bahnhof", text) as stored:
        assert stored["published_at"] is None, stored
    dated = f"Xstadt, 2. Mai 2025 – {text.split(chr(10))[-1]}"
    with posted(http, "bahnhof", f"Neuer Bahnhof in Xstadt\n\n{dated}") as stored:
        assert stored["published_at"] == "2025-05-02", stored


def test_a_one_paragraph_article_has_no_title(http: httpx.Client) -> None:
    # hunt15: its whole paragraph was its title, shown as such in every citation and listing.
    text = (
        "Das Derby endete 2:1. Trainer Stamm lobte die Elf. Die Zahl der Zuschauer stieg auf "
        "31. Die Polizei meldete keine Zwischenfälle."
    )
    with posted(http, "derby2", text) as stored:
        assert stored["title"] is None, stored
        listed = http.get("/v1/documents", params={"limit": 100}).json()["items"]
        assert [item["title"] for item in listed if item["id"] == "derby2"] == [None]
        body = ask_exact(http, "Wie endete das Derby?")
        top = body["citations"][0]
        assert (top["document_id"], top["quote"]) == ("derby2", "Das Derby endete 2:1."), body
