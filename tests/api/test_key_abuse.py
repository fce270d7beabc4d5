"""Abusing keys, against a real uvicorn process that starts with no key (anonymous loopback).

In order, on one server: an anonymous caller cannot create a key (and lock everyone out);
the first admin key is made with the CLI; a key sent in the URL is not logged; invalid keys
are limited per address. From the sixth black-box bug hunt (M4, L7, L8).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from qa_service.access import AccessService
from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.service import build_service
from tests.helpers.keys import create_key, guess_keys
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # a real `qa-service serve` process


@dataclass
class Server:
    url: str
    root: Path
    keys: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("key-abuse")
    with serve_process(root, env={"QA_INVALID_KEY_RATE_LIMIT": "4/minute"}) as (url, _):
        yield Server(url, root)


def test_anonymous_callers_cannot_create_or_revoke_keys(server: Server) -> None:
    # Found by the sixth bug hunt: anonymous POST /v1/keys answered 201 with a read key;
    # from then on keys were required, every anonymous client (the page too) got 401 and no
    # admin key existed.
    url = server.url
    assert httpx.get(f"{url}/v1/documents").status_code == 200  # anonymous loopback mode
    for body in ({"name": "x", "scope": "read"}, {"name": "boss", "scope": "admin"}):
        refused = httpx.post(f"{url}/v1/keys", json=body)
        assert refused.status_code == 401, refused.text
        assert refused.json()["type"] == "NotAuthenticated"
        assert "qa-service keys create" in refused.json()["detail"]
    revoke = httpx.delete(f"{url}/v1/keys/x")
    assert revoke.status_code == 401 and revoke.json()["type"] == "NotAuthenticated"
    # Nothing was created, so nobody is locked out.
    assert httpx.get(f"{url}/v1/documents").status_code == 200
    # Listing keys and reading the audit log need an admin key too (the ninth hunt, L7).
    for path in ("/v1/keys", "/v1/audit"):
        assert httpx.get(f"{url}{path}").status_code == 401


def test_the_first_admin_key_made_with_the_cli_works_at_once(server: Server) -> None:
    # Without keys the first one is made on the host; it switches the server to keys
    # required, and admin keys manage the rest over HTTP.
    url = server.url
    assert httpx.get(f"{url}/v1/documents").status_code == 200
    server.keys["admin"] = create_key(server.root, "ops", "admin")
    admin = {"authorization": f"Bearer {server.keys['admin']}"}
    made = httpx.post(f"{url}/v1/keys", json={"name": "reader", "scope": "read"}, headers=admin)
    assert made.status_code == 201, made.text
    server.keys["read"] = made.json()["key"]
    assert httpx.get(f"{url}/v1/documents").status_code == 401  # keys are required now


def test_a_key_in_the_url_is_not_logged(server: Server) -> None:
    url, key = server.url, server.keys["read"]
    for query in (f"api_key={key}", f"access_token={key}", f"q={key}"):
        response = httpx.get(f"{url}/v1/documents?{query}")
        assert response.status_code == 401  # a key goes in the Authorization header only
    log = (server.root / "server.log").read_text(errors="replace")
    assert "/v1/documents?api_key=[redacted]" in log, log[-2000:]
    for secret in server.keys.values():
        assert secret not in log


def test_invalid_keys_are_limited_per_address(server: Server) -> None:
    # Found by the sixth bug hunt: 401s for invalid keys were never limited (here
    # QA_INVALID_KEY_RATE_LIMIT="4/minute").
    url = server.url
    statuses = guess_keys(url, 6, "qa-guess")
    assert [r.status_code for r in statuses] == [401] * 4 + [429] * 2, statuses
    limited = statuses[-1]
    assert limited.json()["type"] == "RateLimited" and int(limited.headers["retry-after"]) >= 1
    # In OpenAI's shape on its routes; the address's valid keys still work.
    bogus = {"authorization": "Bearer qa-guess-openai"}
    openai_shape = httpx.get(f"{url}/v1/models", headers=bogus)
    assert openai_shape.status_code == 429 and "error" in openai_shape.json()
    reader = {"authorization": f"Bearer {server.keys['read']}"}
    assert httpx.get(f"{url}/v1/documents", headers=reader).status_code == 200


def test_with_auth_off_keys_are_still_managed_by_admin_keys(
    settings: Settings, embedder: object
) -> None:
    """QA_AUTH=off needs no key but where keys are made, listed or revoked and the audit
    log is read."""
    own = settings.model_copy(update={"auth": "off"})
    svc = build_service(own, embedder)  # type: ignore[arg-type]
    try:
        access = AccessService(svc.stores.documents)
        _, admin = access.create("ops", "admin")
        _, reader = access.create("reader", "read")
        body = {"name": "made-here", "scope": "read"}
        with TestClient(create_app(own, svc)) as client:
            assert client.get("/v1/documents").status_code == 200  # keys ignored
            assert client.post("/v1/keys", json=body).status_code == 401
            as_reader = {"authorization": f"Bearer {reader}"}
            assert client.post("/v1/keys", json=body, headers=as_reader).status_code == 403
            assert client.delete("/v1/keys/reader").status_code == 401
            assert client.get("/v1/keys", headers=as_reader).status_code == 403
            as_admin = {"authorization": f"Bearer {admin}"}
            assert client.post("/v1/keys", json=body, headers=as_admin).status_code == 201
    finally:
        svc.close()
