"""Checks that many tests make."""

from collections import Counter

import httpx


def assert_citations_exact(client: httpx.Client, body: dict) -> None:
    """Every citation's quote is exactly the document text at [start, end)."""
    texts: dict[str, str] = {}
    for c in body["citations"]:
        doc_id = c["document_id"]
        if doc_id not in texts:
            texts[doc_id] = client.get(f"/v1/documents/{doc_id}").json()["text"]
        assert texts[doc_id][c["start"] : c["end"]] == c["quote"], c
    for p in body["passages"]:
        doc_id = p["document_id"]
        if doc_id not in texts:
            texts[doc_id] = client.get(f"/v1/documents/{doc_id}").json()["text"]
        assert texts[doc_id][p["start"] : p["end"]] == p["text"], p


def ask_exact(client: httpx.Client, question: str) -> dict:
    """POST /v1/ask; a 200 whose citations and passages quote their documents exactly."""
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_citations_exact(client, body)
    return body


def post_articles(client: httpx.Client, articles: list[tuple[str, str | None, str]]) -> None:
    """POST each (id, title or None, text) to /v1/documents; each must be created."""
    for doc_id, title, text in articles:
        body = {"id": doc_id, "text": text} | ({"title": title} if title else {})
        assert client.post("/v1/documents", json=body).status_code == 201, doc_id


def assert_unique_operation_ids(spec: dict) -> None:
    """Every operation of an OpenAPI document has an ``operationId`` of its own (code
    generators name a client's functions by them)."""
    ids = [
        operation.get("operationId")
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
    ]
    assert ids and None not in ids, ids
    assert not [i for i, n in Counter(ids).items() if n > 1], ids


def index_state(client: httpx.Client) -> dict:
    """``/health`` without what changes on its own (the word vectors' background warm-up):
    equal before and after a request that must store nothing."""
    health = client.get("/health").json()
    health.pop("word_lexicon", None)
    return dict(health)
