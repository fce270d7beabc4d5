"""Conversations expire and keep their last turns (HUNT7 L16), over real HTTP in both
storage modes: QA_CONVERSATION_TTL_DAYS and QA_MAX_CONVERSATION_TURNS."""

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.servers import STORAGE_MODES, serve_in_mode

pytestmark = pytest.mark.slow  # a real server per storage mode

TTL = 4.0  # seconds
QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt?"


@pytest.fixture(scope="module", params=STORAGE_MODES)
def http(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    settings = {
        "QA_CONVERSATION_TTL_DAYS": str(TTL / 86400),
        "QA_MAX_CONVERSATION_TURNS": "2",
    }
    with serve_in_mode(request, tmp_path_factory, settings) as client:
        yield client


def _chat(http: httpx.Client, message: str, conversation_id: str | None = None) -> dict:
    body = {"message": message} | ({"conversation_id": conversation_id} if conversation_id else {})
    response = http.post("/v1/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_conversation_keeps_its_last_turns_and_expires(http: httpx.Client) -> None:
    first = _chat(http, QUESTION)
    cid = first["conversation_id"]
    second = _chat(http, "Wann war das?", cid)
    third = _chat(http, "Wer hat ihn ernannt?", cid)
    assert [first["turn"], second["turn"], third["turn"]] == [0, 1, 2]
    assert third["retrieval_query"] != "Wer hat ihn ernannt?"  # the topic is still known
    turns = http.get(f"/v1/conversations/{cid}").json()["turns"]
    assert [(t["turn"], t["message"]) for t in turns] == [
        (1, "Wann war das?"),
        (2, "Wer hat ihn ernannt?"),
    ]
    time.sleep(TTL + 0.5)  # no turn for longer than QA_CONVERSATION_TTL_DAYS
    unknown = "c" * len(cid)
    for method, path, body in [
        ("GET", "/v1/conversations/{}", None),
        ("DELETE", "/v1/conversations/{}", None),
        ("POST", "/v1/chat", {"message": "Und dann?", "conversation_id": "{}"}),
    ]:
        replies = []
        for target in (cid, unknown):
            sent = None if body is None else {k: v.format(target) for k, v in body.items()}
            response = http.request(method, path.format(target), json=sent)
            replies.append((response.status_code, response.text.replace(target, "ID")))
        assert replies[0] == replies[1], (method, path)  # expired reads as unknown
        assert replies[0][0] == 404
