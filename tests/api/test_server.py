"""`qa-service serve` as a real uvicorn process: seeds ingested at start, answers over HTTP."""

import httpx


def test_server_ingests_seeds_and_answers(live_server: str) -> None:
    health = httpx.get(f"{live_server}/health").json()
    assert health["documents"] == 2 and health["chunks"] > 0
    body = httpx.post(
        f"{live_server}/v1/ask", json={"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}
    ).json()
    assert "Browdi" in body["citations"][0]["quote"]
    c = body["citations"][0]
    text = httpx.get(f"{live_server}/v1/documents/{c['document_id']}").json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]


def test_openapi_docs_are_served(live_server: str) -> None:
    assert httpx.get(f"{live_server}/docs").status_code == 200
    spec = httpx.get(f"{live_server}/openapi.json").json()
    assert {"/health", "/v1/ask", "/v1/documents"} <= set(spec["paths"])
