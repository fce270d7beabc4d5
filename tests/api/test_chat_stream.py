"""POST /v1/chat with "stream": true: Server-Sent Events, as agreed in the README."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa_service.chat.streaming import answer_sentences, chat_events
from qa_service.errors import EmbedderUnavailable
from tests.helpers.checks import assert_citations_exact


def _stream(client: TestClient, payload: dict[str, Any]) -> tuple[Any, list[Any]]:
    with client.stream("POST", "/v1/chat", json={**payload, "stream": True}) as response:
        body = "".join(response.iter_text())
    data = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    return response, [d if d == "[DONE]" else json.loads(d) for d in data]


def test_streamed_answer_is_start_sentences_done(client: TestClient) -> None:
    question = "Wer ist der ukrainische Außenminister?"
    response, events = _stream(client, {"message": question})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    kinds = [e if e == "[DONE]" else e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-2:] == ["done", "[DONE]"]
    assert set(kinds[1:-2]) == {"sentence"}
    start, done = events[0], events[-2]["response"]
    assert (start["conversation_id"], start["turn"], start["language"]) == (
        done["conversation_id"],
        0,
        "de",
    )
    sentences = events[1:-2]
    assert " ".join(s["text"] for s in sentences) == done["answer"]
    ids = {c["id"] for c in done["citations"]}
    assert all(s["citations"] and set(s["citations"]) <= ids for s in sentences)
    assert_citations_exact(client, done)
    # `done` holds exactly what the same turn returns without streaming.
    plain = client.post("/v1/chat", json={"message": question}).json()
    assert set(done) == set(plain)
    assert done["answer"] == plain["answer"] and done["citations"] == plain["citations"]
    # The streamed turn is stored like any other: a follow-up continues it.
    follow_up = {"message": "Wann war das?", "conversation_id": done["conversation_id"]}
    _, follow = _stream(client, follow_up)
    assert follow[0]["turn"] == 1


def test_an_abstention_streams_as_one_sentence_without_citations(client: TestClient) -> None:
    _, events = _stream(client, {"message": "Who won the 2014 football world cup?"})
    done = events[-2]["response"]
    assert done["abstained"] and events[1] == {
        "type": "sentence",
        "text": done["answer"],
        "citations": [],
    }


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"message": "?"}, 422), ({"message": "Hallo?", "conversation_id": "nope"}, 404)],
)
def test_errors_before_the_stream_keep_their_status_and_json(
    client: TestClient, payload: dict[str, Any], status: int
) -> None:
    response = client.post("/v1/chat", json={**payload, "stream": True})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"]


def test_stream_takes_a_json_boolean_only(client: TestClient) -> None:
    body = {"message": "Wer leitete das Treffen?", "stream": "yes"}
    response = client.post("/v1/chat", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "stream"]


def test_answer_sentences_split_the_extractive_answer() -> None:
    answer = "Erster Satz mit [Klammer]. [1] Zweiter Satz. [3]"
    assert answer_sentences(answer, False) == [
        ("Erster Satz mit [Klammer]. [1]", [1]),
        ("Zweiter Satz. [3]", [3]),
    ]
    assert answer_sentences("Nichts gefunden.", True) == [("Nichts gefunden.", [])]
    odd = "Ein Satz [2][1] ohne Trenner"  # not the extractive shape: one sentence, all markers
    assert answer_sentences(odd, False) == [(odd, [1, 2])]


def test_an_error_after_the_start_is_an_error_event() -> None:
    def sentences() -> Any:
        yield "Ein Satz. [1]", [1]
        raise EmbedderUnavailable("the embedder stopped")

    events = list(chat_events({"turn": 0}, sentences(), lambda: {}))
    data = [e["data"] if e["data"] == "[DONE]" else json.loads(e["data"]) for e in events]
    assert [d if d == "[DONE]" else d["type"] for d in data] == [
        "start",
        "sentence",
        "error",
        "[DONE]",
    ]
    assert data[2] == {
        "type": "error",
        "detail": "the embedder stopped",
        "error_type": "EmbedderUnavailable",
    }
