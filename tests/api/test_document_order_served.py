"""``GET /v1/documents?order=``: oldest first by default, newest first on request, over real
HTTP in each storage mode (SQLite; PostgreSQL + `chroma run`), and through the Python
client."""

import httpx
import pytest

from qa_service.client import QAClient

pytestmark = pytest.mark.slow  # real servers (the session's)

ARTICLES = {  # posted in this order, so the last is the newest
    "order-1": "Neuer Radweg in Altdorf\n\nDer Radweg wurde am Montag eröffnet.",
    "order-2": "Brunnen in Neudorf saniert\n\nDer Brunnen sprudelt wieder.",
    "order-3": "Bibliothek in Oberdorf erweitert\n\nDie Bibliothek hat einen neuen Lesesaal.",
}


def _ids(served: httpx.Client, **params: object) -> list[str]:
    response = served.get("/v1/documents", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_newest_first_on_request(served: httpx.Client) -> None:
    # Found by a bug hunt: the list was oldest first only, so the page's "Neueste Artikel"
    # asked twice (the first page for the total, then the last page) and reversed it.
    for doc_id, text in ARTICLES.items():
        assert served.post("/v1/documents", json={"id": doc_id, "text": text}).status_code == 201
    try:
        oldest = _ids(served)
        assert oldest == _ids(served, order="oldest")  # the default, as before
        assert [i for i in oldest if i in ARTICLES] == list(ARTICLES)
        newest = _ids(served, order="newest")
        assert newest == oldest[::-1]
        assert newest[:3] == list(ARTICLES)[::-1]
        page = served.get("/v1/documents", params={"order": "newest", "limit": 2, "offset": 1})
        assert [i["id"] for i in page.json()["items"]] == ["order-2", "order-1"]
        assert page.json()["order"] == "newest" and page.json()["total"] == len(oldest)
        with QAClient(str(served.base_url), timeout=60) as qa:
            assert [d.id for d in qa.documents(limit=3, order="newest").items] == newest[:3]
            assert [d.id for d in qa.documents(limit=500).items] == oldest
    finally:
        for doc_id in ARTICLES:
            served.delete(f"/v1/documents/{doc_id}")


@pytest.mark.parametrize("order", ["latest", "NEWEST", "", "newest,oldest"])
def test_another_order_is_a_clear_422(served: httpx.Client, order: str) -> None:
    response = served.get("/v1/documents", params={"order": order})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "ValidationError", body
    [problem] = body["detail"]
    assert problem["loc"] == ["query", "order"], problem
    assert "'oldest' or 'newest'" in problem["msg"], problem
