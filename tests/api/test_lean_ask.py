"""POST /v1/ask's lean route (api/routers/ask.py, ``LeanAskRoute``): a valid question skips
FastAPI's dependency solving and body field, and every answer is the one FastAPI's own handler
gives, byte for byte, refusals included."""

import asyncio
import json

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from qa_service.api import deps
from qa_service.api.routers import ask as ask_route

BODIES = [
    json.dumps({"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}),
    json.dumps({"question": "Who is Ukraine's foreign minister?", "top_k": 2}),
    json.dumps({"question": "Wo trafen sich die Verteidigungsminister?", "mode": "extractive"}),
    json.dumps({"question": "Café au lait?"}, ensure_ascii=False),
    '{"question": "Wer?", "question": "Was meldete der Generalstab?"}',  # refused: a key twice
    '{"question": "Wer?", "mode": {"a": 1, "a": 2}}',
    "",
    "{",
    "[]",
    "null",
    '{"question": ""}',
    '{"question": "Wer?", "extra": 1}',
    '{"question": "Wer?", "top_k": true}',
    '{"question": "Wer?", "top_k": 3.0}',
    '{"question": "Wer?", "top_k": 0}',
    '{"question": "Wer?", "mode": "poetry"}',
    '{"question": NaN}',
    '{"question": 5}',
    '{"question": "\\ud800"}',
    "[" * 50_000,
    json.dumps({"question": "x" * 2001}),
]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", None]


def _answers(client: TestClient) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    out = []
    for body in BODIES:
        for content_type in CONTENT_TYPES:
            headers = {"content-type": content_type} if content_type else {}
            response = client.post("/v1/ask", content=body.encode(), headers=headers)
            kept = [(k, v) for k, v in response.headers.multi_items() if k != "date"]
            out.append((response.status_code, kept, response.content))
    return out


def test_every_answer_is_fastapis_own_byte_for_byte(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lean = _answers(client)

    async def never(request: object) -> None:
        return None  # every request takes FastAPI's handler, as a route without the lane

    monkeypatch.setattr(ask_route, "well_formed", never)
    assert _answers(client) == lean
    assert sum(status == 200 for status, _, _ in lean) == 4 * 2  # the first four, as JSON
    assert {status for status, _, _ in lean} >= {200, 415, 422}


def test_a_valid_question_skips_dependency_solving(client: TestClient) -> None:
    solved: list[str] = []

    async def counted(request: Request) -> object:
        solved.append(request.url.path)
        return request.app.state.service

    client.app.dependency_overrides[deps.get_service] = counted  # type: ignore[attr-defined]
    answered = client.post("/v1/ask", json={"question": "Wer ist der ukrainische Außenminister?"})
    assert answered.status_code == 200 and answered.json()["citations"]
    assert solved == []  # the lean route: no dependency solved
    refused = client.post("/v1/ask", json={"question": "Wer?", "top_k": 0})
    assert refused.status_code == 422  # FastAPI's handler, which solves them
    assert refused.json()["detail"][0]["loc"] == ["body", "top_k"]
    assert solved == ["/v1/ask"]


def test_a_question_with_a_free_thread_is_read_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``expect_question`` reads the question (~0.1 ms): on the event loop only for a
    question that must wait for an answer thread, else in its own thread."""
    service = client.app.state.service  # type: ignore[attr-defined]
    on_loop: list[bool] = []
    expect = service.expect_question

    def recorded(question: str) -> None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        expect(question)

    monkeypatch.setattr(service, "expect_question", recorded)
    response = client.post("/v1/ask", json={"question": "Wo traf sich die Kontaktgruppe?"})
    assert response.status_code == 200
    assert on_loop == [False]
