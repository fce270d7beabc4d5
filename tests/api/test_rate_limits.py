"""Rate limits against a real uvicorn process: anonymous callers are limited per address by
default, no client escapes its count by naming another address, and every counted answer
carries the IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11)."""

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.service import QAService
from qa_service.tuning.limits import ANONYMOUS_RATE_LIMIT
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # real `qa-service serve` processes

ASK = {"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}
FIELD = re.compile(r'"(?P<name>[^"]+)";r=(?P<r>\d+);t=(?P<t>\d+)')


def _left(response: httpx.Response) -> dict[str, tuple[int, int]]:
    """``RateLimit: "anonymous-60s";r=2;t=60`` -> {"anonymous-60s": (2, 60)}."""
    return {
        m["name"]: (int(m["r"]), int(m["t"])) for m in FIELD.finditer(response.headers["ratelimit"])
    }


def test_anonymous_callers_are_limited_by_default() -> None:
    assert Settings().anonymous_rate_limit == ANONYMOUS_RATE_LIMIT
    assert Settings(anonymous_rate_limit="").anonymous_rate_limit is None  # "" turns it off
    assert Settings(anonymous_rate_limit="off").anonymous_rate_limit is None


def test_the_default_stops_an_anonymous_flood(tmp_path: Path) -> None:
    # The default, as shipped (test servers turn it off): a burst from one address is cut.
    env = {"QA_ANONYMOUS_RATE_LIMIT": ANONYMOUS_RATE_LIMIT}
    with serve_process(tmp_path, env=env) as (url, _), httpx.Client(timeout=30) as client:
        statuses = [client.get(f"{url}/v1/documents").status_code for _ in range(40)]
    assert 200 in statuses and 429 in statuses, statuses


def test_an_anonymous_flood_gets_429_with_retry_after_and_ratelimit_fields(
    tmp_path: Path,
) -> None:
    env = {"QA_ANONYMOUS_RATE_LIMIT": "3/minute"}  # and no QA_RATE_LIMIT: no keys at all
    with serve_process(tmp_path, env=env) as (url, _), httpx.Client(timeout=60) as client:
        answered = [client.post(f"{url}/v1/ask", json=ASK) for _ in range(3)]
        refused = client.post(f"{url}/v1/ask", json=ASK)
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: a new address per
        # request escaped every limit. Without QA_FORWARDED_ALLOW_IPS the peer counts.
        spoofed = [
            client.post(f"{url}/v1/ask", json=ASK, headers={"x-forwarded-for": f"10.9.8.{i}"})
            for i in range(3)
        ]
        completion = client.post(
            f"{url}/v1/chat/completions",
            json={"model": "qa-service", "messages": [{"role": "user", "content": "Wer?"}]},
        )
        health = client.get(f"{url}/health")
        page = client.get(f"{url}/")
    assert [r.status_code for r in answered] == [200, 200, 200]
    for n, response in enumerate(answered):
        assert response.headers["ratelimit-policy"] == '"anonymous-60s";q=3;w=60'
        remaining, reset = _left(response)["anonymous-60s"]
        assert remaining == 2 - n and 0 < reset <= 60
    assert refused.status_code == 429, refused.text
    assert refused.json()["type"] == "RateLimited" and "without a key" in refused.json()["detail"]
    retry_after = int(refused.headers["retry-after"])
    remaining, reset = _left(refused)["anonymous-60s"]
    assert remaining == 0 and 1 <= retry_after <= 60 and reset <= retry_after
    assert [r.status_code for r in spoofed] == [429, 429, 429]
    assert completion.status_code == 429 and "ratelimit" in completion.headers
    error = completion.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded"), error
    # Not counted, and not labelled: a load balancer's health check, the page's files.
    assert health.status_code == 200 and "ratelimit" not in health.headers
    assert page.status_code == 200 and "ratelimit" not in page.headers


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(tmp_path: Path) -> None:
    env = {"QA_ANONYMOUS_RATE_LIMIT": "2/minute", "QA_FORWARDED_ALLOW_IPS": '["127.0.0.1"]'}
    with serve_process(tmp_path, env=env) as (url, _), httpx.Client(timeout=30) as client:

        def get(address: str) -> int:
            forwarded = {"x-forwarded-for": address}
            return client.get(f"{url}/v1/documents", headers=forwarded).status_code

        first = [get("203.0.113.7") for _ in range(3)]
        other = get("203.0.113.8")
    assert first == [200, 200, 429]
    assert other == 200


def test_keyed_callers_are_counted_by_qa_rate_limit_only(service: QAService) -> None:
    settings = service.settings.model_copy(
        update={"rate_limit": "2/minute", "anonymous_rate_limit": "1/minute", "auth": "off"}
    )
    service.settings = settings
    with TestClient(create_app(settings, service)) as client:
        first = client.get("/v1/documents")
        assert first.status_code == 200
        policies = first.headers["ratelimit-policy"]
        assert policies == '"caller-60s";q=2;w=60, "anonymous-60s";q=1;w=60'
        assert _left(first) == {"caller-60s": (1, 60), "anonymous-60s": (0, 60)}
        second = client.get("/v1/documents")
        assert second.status_code == 429, second.text
        assert "without a key" in second.json()["detail"]
        _, secret = client.app.state.auth.store.create("ops", "read")
    settings = settings.model_copy(update={"auth": "auto"})
    service.settings = settings
    with TestClient(create_app(settings, service)) as client:
        keyed = {"authorization": f"Bearer {secret}"}
        statuses = [client.get("/v1/documents", headers=keyed) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[0].headers["ratelimit-policy"] == '"caller-60s";q=2;w=60'
        assert "per caller" in statuses[2].json()["detail"]
