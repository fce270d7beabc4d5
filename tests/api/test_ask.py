"""Factual questions about the seed articles: the right sentence is cited, exactly."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.helpers.checks import ask_exact, assert_citations_exact

FACTS = [
    ("Wer wurde zum Chef der Drohnentruppen ernannt?", "Robert Browdi"),
    ("Wen hat Selenskyj zum Chef der Fallschirmjägertruppen ernannt?", "Oleh Apostol"),
    ("Wie viele russische Vorstöße meldete der Generalstab in Kiew?", "134"),
    ("Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?", "Kim Jong Un"),
    ("Um wie viel Prozent sollen die Fähigkeiten der NATO erhöht werden?", "30 Prozent"),
    ("Wie viele nordkoreanische Soldaten unterstützen Russland in Kursk?", "10.000"),
    ("Wo trafen sich die Verteidigungsminister am 4. Juni?", "Brüssel"),
    ("Who was appointed head of the drone forces?", "Robert Browdi"),
]


@pytest.mark.parametrize(("question", "expected"), FACTS)
def test_fact_is_in_top_citation(client: TestClient, question: str, expected: str) -> None:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200
    body = response.json()
    assert body["abstained"] is False
    assert body["citations"], body
    assert expected in body["citations"][0]["quote"], body["citations"][0]
    assert "[1]" in body["answer"]
    assert len(body["citations"]) <= 3
    assert_citations_exact(client, body)


# Questions whose answer joins a later citation that shows context around its sentence.
WITH_CONTEXT = [
    "Wer ist der ukrainische Außenminister?",
    "Wo traf sich die Ukraine-Kontaktgruppe?",
    "Who is Ukraine's foreign minister?",
]


def _answer_parts(body: dict) -> list[tuple[str, str, str]]:
    """(answer fragment, citation id, that citation's whitespace-folded quote)."""
    by_id = {str(c["id"]): c for c in body["citations"]}
    parts = re.findall(r"\s*(.+?) \[(\d+)\]", body["answer"])
    assert "".join(f"{text} [{n}]" for text, n in parts) == body["answer"].replace("] ", "]")
    return [(text, n, " ".join(by_id[n]["quote"].split())) for text, n in parts]


def test_the_answer_reads_only_the_chosen_sentence_of_a_context_citation(
    client: TestClient,
) -> None:
    trimmed = 0
    for question in WITH_CONTEXT:
        body = client.post("/v1/ask", json={"question": question}).json()
        assert_citations_exact(client, body)
        for text, n, quote in _answer_parts(body):
            assert text in quote
            trimmed += n != "1" and len(text) < len(quote)
    assert trimmed, "no answer joined a citation with context: pick other questions"


@pytest.mark.parametrize("question", [q for q, _ in FACTS] + WITH_CONTEXT)
def test_answer_text_is_the_cited_sentences_of_one_article(
    client: TestClient, question: str
) -> None:
    """The answer reads as its citations' sentences, each marked, all from the best article.

    The first citation is the answer's statement itself; a later one may show context around
    its sentence, and the answer reads only the sentence: a verbatim part of the quote.
    """
    body = client.post("/v1/ask", json={"question": question}).json()
    by_id = {str(c["id"]): c for c in body["citations"]}
    parts = _answer_parts(body)
    assert "1" in [n for _, n, _ in parts]
    for text, n, quote in parts:
        assert by_id[n]["document_id"] == by_id["1"]["document_id"], body
        assert text == quote if n == "1" else text in quote, (text, quote)


def test_citation_is_a_sentence_not_a_page(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": FACTS[0][0]}).json()
    top = body["citations"][0]
    assert len(top["quote"]) < 300
    assert top["end"] - top["start"] == len(top["quote"])


def test_top_k_limits_passages(client: TestClient) -> None:
    body = client.post("/v1/ask", json={"question": FACTS[2][0], "top_k": 2}).json()
    assert 1 <= len(body["passages"]) <= 2
    assert_citations_exact(client, body)


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Wer hat die Fußball-Weltmeisterschaft 2014 gewonnen?", "de"),
        ("Wie backt man einen Apfelstrudel?", "de"),
        ("What is the boiling point of water on Mount Everest?", "en"),
    ],
)
def test_unanswerable_questions_abstain(client: TestClient, question: str, language: str) -> None:
    body = client.post("/v1/ask", json={"question": question}).json()
    assert body["abstained"] is True, body
    assert body["citations"] == []
    assert body["language"] == language
    assert body["answer"]


def test_empty_index_abstains(empty_client: TestClient) -> None:
    body = empty_client.post("/v1/ask", json={"question": "Wer ist Robert Browdi?"}).json()
    assert body["abstained"] is True
    assert body["citations"] == [] and body["passages"] == []


@pytest.mark.parametrize("message", ["Danke!", "Hallo", "Was?", "Super, das hilft mir", "ok"])
def test_small_talk_abstains(client: TestClient, message: str) -> None:
    """Dense similarity finds something for anything; these ask nothing of the articles."""
    body = client.post("/v1/ask", json={"question": message}).json()
    assert body["abstained"] is True and body["citations"] == [], body


@pytest.mark.parametrize(
    "message",
    [
        "Drohnentruppen Chef",
        "Wer leitete das Treffen in Brüssel",
        "Schoygu",  # misspelled, shares no word with the text
        "Shoigu visit",
    ],
)
def test_keyword_queries_and_questions_without_a_mark_still_answer(
    client: TestClient, message: str
) -> None:
    body = client.post("/v1/ask", json={"question": message}).json()
    assert body["abstained"] is False and body["citations"], body


@pytest.mark.parametrize(
    # HUNT10 L3: U+FDFA, a sign for a blessing (NFKC: four Arabic words), was answered.
    "message",
    ["?", "!!!", "...", "😀", "\u200b\u200b", "\ufdfa", " \ufdfb ?", "\ufdfa\ufdfd"],
)
def test_a_question_without_words_is_refused(client: TestClient, message: str) -> None:
    response = client.post("/v1/ask", json={"question": message})
    assert response.status_code == 422, response.text
    assert "no words" in response.json()["detail"]


HAFEN = (
    "# Hafenfest\n\nDas **Hafenfest** in Seestadt findet am 12. Juli statt.\n\n## Programm\n\n"
    "- Konzert der *Seestädter Band* um 20 Uhr\n- [Feuerwerk](http://x.example) um 23 Uhr\n"
)


def test_a_run_of_one_repeated_letter_asks_nothing(client: TestClient) -> None:
    """Found by a black-box bug hunt: "Wer " and 1,996 "a" (the longest question taken) was
    answered with the fireworks sentence; e5 reads such a run as close to some sentence."""
    assert client.post("/v1/documents", json={"id": "hafen", "text": HAFEN}).status_code == 201
    for question in ("Wer " + "a" * 1996, "Wer " + "a" * 1500, "Wer " + "ha" * 998):
        body = client.post("/v1/ask", json={"question": question}).json()
        assert body["abstained"] is True and body["citations"] == [], body["answer"]
    start = client.post("/v1/chat", json={"message": "Wann ist das Feuerwerk?"})
    assert start.json()["abstained"] is False, start.json()
    assert any("23 Uhr" in c["quote"] for c in start.json()["citations"]), start.json()
    assert_citations_exact(client, start.json())
    follow = client.post(
        "/v1/chat", json={"conversation_id": start.json()["conversation_id"], "message": "a" * 2000}
    ).json()
    assert follow["abstained"] is True and follow["citations"] == [], follow["answer"]


def test_citations_say_which_sentence_was_chosen_and_what_is_context(client: TestClient) -> None:
    """`chosen_start`/`chosen_end` mark the chosen sentence(s) inside a quote with context."""
    with_context = 0
    for question in WITH_CONTEXT:
        body = client.post("/v1/ask", json={"question": question}).json()
        for c in body["citations"]:
            text = client.get(f"/v1/documents/{c['document_id']}").json()["text"]
            assert c["start"] <= c["chosen_start"] < c["chosen_end"] <= c["end"], c
            chosen = text[c["chosen_start"] : c["chosen_end"]]
            assert chosen in c["quote"] and chosen.strip() == chosen
            if c["id"] == 1:  # the first citation is precise: no context
                assert (c["chosen_start"], c["chosen_end"]) == (c["start"], c["end"])
            with_context += len(chosen) < len(c["quote"])
        # The answer reads the chosen sentences, never the context.
        for text, n, _ in _answer_parts(body):
            c = next(c for c in body["citations"] if str(c["id"]) == n)
            full = client.get(f"/v1/documents/{c['document_id']}").json()["text"]
            assert text == " ".join(full[c["chosen_start"] : c["chosen_end"]].split())
    assert with_context, "no citation carried context: pick other questions"


DERBY_PAGE = (
    "<!doctype html><html><head><title>Fußball: Dynamo gewinnt Derby</title></head><body>"
    "<article><h1>Fußball: Dynamo gewinnt Derby</h1>"
    "<p>Dresden. Dynamo Dresden hat das Derby gegen den Chemnitzer FC am Samstag mit 3:1 "
    "gewonnen. Vor 31.500 Zuschauern im Rudolf-Harbig-Stadion traf Stürmer Jonas Kühn "
    "zweimal.</p><p>Trainer Thomas Stamm sagte nach dem Spiel: &bdquo;Die Mannschaft hat "
    "Charakter gezeigt.&ldquo; Das 1:0 fiel bereits in der 7. Minute.</p></article></body></html>"
)


@pytest.mark.parametrize("question", ["Who is the mayor of Dresden?", "Wer regiert Dresden?"])
def test_a_dateline_is_never_cited_alone(client: TestClient, question: str) -> None:
    """hunt15: the dateline "Dresden." opening the lead was a sentence of its own, and the
    answer to a question naming the place. It opens the lead sentence, so a citation of it
    quotes that whole sentence (or none)."""
    page = {"id": "derby-page", "text": DERBY_PAGE}
    assert client.post("/v1/documents", json=page).status_code == 201
    body = ask_exact(client, question)
    assert all(c["quote"].rstrip(".") != "Dresden" for c in body["citations"]), body
    assert all(p["text"].rstrip(".") != "Dresden" for p in body["passages"]), body


RUN_ON_REPORT = (
    "Der Bericht "
    + ", ".join(f"Punkt {i} betrifft die Straße {i}" for i in range(400))
    + ". Der Minister Hans Vogt hat den Bericht am Dienstag vorgestellt."
)


def test_garbage_over_a_run_on_list_of_figures_abstains(client: TestClient) -> None:
    """hunt15: over a 13,800-character run-on sentence of figures, "134" and a list of 500
    numbers were answered with a ~1,900-character piece of it: every number is in it, and
    e5 reads digits as close to it. Numbers alone ask nothing; real questions about the
    report are still answered, quoted exactly."""
    report = {"id": "run-on", "text": RUN_ON_REPORT}
    assert client.post("/v1/documents", json=report).status_code == 201
    garbage = [
        "134",
        " ".join(str(i) for i in range(500)),
        "https://example.org/?a=1&b=2",
        "Wer ist Rutte" + "\u0301" * 1900 + "?",
    ]
    for question in garbage:
        body = ask_exact(client, question)
        assert body["abstained"] is True and body["citations"] == [], (question[:40], body)
    body = ask_exact(client, "Wer hat den Bericht vorgestellt?")
    assert body["citations"][0]["quote"] == (
        "Der Minister Hans Vogt hat den Bericht am Dienstag vorgestellt."
    )
    body = ask_exact(client, "Was betrifft Punkt 134?")
    assert body["abstained"] is False
    assert "Punkt 134 betrifft die Straße 134" in body["citations"][0]["quote"]
