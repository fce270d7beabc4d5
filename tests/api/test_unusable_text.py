"""Text that is valid JSON but not usable text: a clear 4xx, never a 500, the index intact.

A JSON escape can carry a lone UTF-16 surrogate ("\\ud800"), which no UTF-8 encoder (the
embedder, SQLite, the response) accepts; NUL makes the embedder stop reading. Both are
refused where they come in. Found by a black-box bug hunt: each of these was a 500.
"""

import json

import pytest
from fastapi.testclient import TestClient

from tests.helpers.checks import index_state

LONE = "\ud800"


def post_raw(client: TestClient, path: str, body: object):  # type: ignore[no-untyped-def]
    """``body`` as ASCII JSON: a lone surrogate travels as the escape ``\\ud800``."""
    return client.post(
        path, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        # pydantic refuses these strings itself; its error used to fail to render (a 500)
        ("/v1/ask", {"question": f"Wer {LONE} ist das?"}, 422, ["surrogate", "question"]),
        ("/v1/ask", {"question": "Wer\x00 wurde zum Chef ernannt?"}, 422, ["nul", "question"]),
        ("/v1/ask", {"question": 5, "top_k": LONE}, 422, []),  # the error echoes the input
        ("/v1/ask", {"question": float("nan")}, 422, ["question"]),  # so does this: NaN
        ("/v1/ask", {"question": "Wer?", "top_k": float("inf")}, 422, ["top_k"]),
        ("/v1/chat", {"message": float("nan")}, 422, ["message"]),
        ("/v1/chat", {"message": LONE}, 422, ["surrogate", "message"]),
        ("/v1/documents", {"text": f"Ein Satz {LONE}."}, 422, ["surrogate (u+d800)", "text"]),
        # L10: said like the title's problem, not "unable to parse raw data"
        ("/v1/documents", {"id": f"a{LONE}", "text": "Ein Satz."}, 422, ["surrogate", "id"]),
        ("/v1/documents", {"text": "Ein Satz.\x00 Noch einer."}, 422, ["nul"]),
        ("/v1/documents", {"text": "Ein Satz.", "title": LONE}, 422, ["title"]),
        ("/v1/documents", {"text": "Ein Satz.", "metadata": {"k": LONE}}, 422, ["metadata"]),
        ("/v1/documents", {"text": "Ein Satz.", "metadata": {LONE: 1}}, 422, ["key"]),
    ],
)
def test_unusable_text_is_a_clear_error(
    client: TestClient, path: str, body: dict, status: int, words: list[str]
) -> None:
    before = index_state(client)
    response = post_raw(client, path, body)
    assert response.status_code == status, response.text
    detail = str(response.json()["detail"]).lower()
    assert all(word in detail for word in words), detail
    assert "unable to parse raw data" not in detail  # pydantic's words name no character
    assert index_state(client) == before  # and the connection still works


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "qa-service", "messages": [{"role": "user", "content": LONE}]}, "messages"),
        (
            {
                "model": "qa-service",
                "messages": [
                    {"role": "user", "content": f"Wer {LONE}?"},
                    {"role": "user", "content": "Wann war das?"},
                ],
            },
            "messages",
        ),
    ],
)
def test_openai_route_refuses_unusable_messages(client: TestClient, body: dict, param: str) -> None:
    response = post_raw(client, "/v1/chat/completions", body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert "surrogate" in error["message"] and error["param"].startswith(param)


def test_openai_error_that_echoes_a_lone_surrogate_still_renders(client: TestClient) -> None:
    body = {"model": f"gpt{LONE}", "messages": [{"role": "user", "content": "Wer?"}]}
    response = post_raw(client, "/v1/chat/completions", body)
    assert response.status_code == 404, response.text
    assert "gpt" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({"a": json.loads("[" * 20 + "]" * 20)}, ["nested"]),
        ({"blob": "x" * 200_000}, ["bytes"]),
    ],
)
def test_metadata_is_bounded(client: TestClient, metadata: dict, words: list[str]) -> None:
    response = client.post("/v1/documents", json={"text": "Ein Satz.", "metadata": metadata})
    assert response.status_code == 422, response.text
    assert all(w in response.json()["detail"] for w in words), response.json()
    assert client.get("/v1/documents").status_code == 200


def test_non_finite_metadata_and_deep_bodies(client: TestClient) -> None:
    nan = b'{"text": "Ein Satz.", "metadata": {"x": NaN}}'
    response = client.post(
        "/v1/documents", content=nan, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and "NaN" in response.json()["detail"], response.text
    deep = b'{"text": "x.", "metadata": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    response = client.post(
        "/v1/documents", content=deep, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]  # as every route answers a body it cannot read
    assert problem["type"] == "json_invalid" and "nested" in problem["ctx"]["error"], problem
    assert client.get("/v1/documents").status_code == 200
