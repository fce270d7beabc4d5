"""The edge checks of api/security.py against a real uvicorn process (`qa-service serve`).

Each test sends what a hostile page or client would send and checks both the refusal and
that nothing changed.
"""

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.client import QAClient, QAClientError
from qa_service.service import QAService
from qa_service.tuning.serving import HEADER_TIMEOUT_S
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # real `qa-service serve` processes

OTHER_PAGE = "http://127.0.0.1:9"  # another local port: another origin
DOC = {"id": "planted", "text": "Die Stadt Lauterbach baut eine neue Brücke über die Lauter."}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serve_process(tmp_path_factory.mktemp("edge")) as (url, proc):
        yield url, proc.pid


def _refused(response: httpx.Response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == kind and isinstance(body["detail"], str), body


def _ids(url: str) -> list[str]:
    return [d["id"] for d in httpx.get(f"{url}/v1/documents").json()["items"]]


def test_a_rebinding_host_is_refused(server: tuple[str, int]) -> None:
    url, _ = server
    port = urlsplit(url).port
    _refused(
        httpx.get(f"{url}/v1/documents", headers={"host": f"attacker.example:{port}"}),
        400,
        "HostNotAllowed",
    )
    _refused(
        httpx.post(f"{url}/v1/documents", json=DOC, headers={"host": "attacker.example"}),
        400,
        "HostNotAllowed",
    )
    assert httpx.get(f"{url}/health", headers={"host": f"localhost:{port}"}).status_code == 200
    assert httpx.get(f"{url}/health", headers={"host": f"[::1]:{port}"}).status_code == 200
    assert "planted" not in _ids(url)


def test_writes_from_another_origin_are_refused_whatever_the_content_type(
    server: tuple[str, int],
) -> None:
    url, _ = server
    as_text = {"content-type": "text/plain", "origin": OTHER_PAGE}
    attempts = [
        httpx.post(f"{url}/v1/documents", content=json.dumps(DOC), headers=as_text),
        httpx.post(f"{url}/v1/documents", json=DOC, headers={"origin": OTHER_PAGE}),
        httpx.post(
            f"{url}/v1/documents",
            files={"file": ("x.txt", DOC["text"].encode())},
            headers={"origin": OTHER_PAGE},
        ),
        # Browsers that send Sec-Fetch-Site but no Origin (some no-cors requests).
        httpx.post(f"{url}/v1/documents", json=DOC, headers={"sec-fetch-site": "cross-site"}),
        httpx.delete(f"{url}/v1/documents/vertrag", headers={"origin": OTHER_PAGE}),
        httpx.delete(f"{url}/v1/conversations/abc", headers={"origin": OTHER_PAGE}),
        httpx.delete(f"{url}/v1/documents/vertrag", headers={"origin": "null"}),
    ]
    for response in attempts:
        _refused(response, 403, "OriginNotAllowed")
    # ... and reading the corpus from there is refused too.
    _refused(
        httpx.get(f"{url}/v1/documents", headers={"origin": OTHER_PAGE}), 403, "OriginNotAllowed"
    )
    assert "planted" not in _ids(url)
    # The service's own page (same origin) and clients without Origin may write.
    same = httpx.post(f"{url}/v1/documents", json=DOC, headers={"origin": url})
    assert same.status_code == 201, same.text
    assert httpx.delete(f"{url}/v1/documents/planted").status_code == 204


def test_under_any_origin_a_page_deletes_the_conversation_it_started(tmp_path: Path) -> None:
    """QA_CORS_ORIGINS ["*"]: a page of another origin may start a conversation (an ask),
    read it back, and delete it by its id; every other write stays refused from there.
    Found by a black-box hunt: the DELETE was 403, after a preflight that answered 200."""
    page = {"origin": OTHER_PAGE}
    with serve_process(tmp_path, env={"QA_CORS_ORIGINS": '["*"]'}) as (url, _):
        started = httpx.post(
            f"{url}/v1/chat", json={"message": "Wer ist Robert Browdi?"}, headers=page
        )
        assert started.status_code == 200, started.text
        assert started.headers["access-control-allow-origin"] in ("*", OTHER_PAGE)
        conversation = f"{url}/v1/conversations/{started.json()['conversation_id']}"
        assert httpx.get(conversation, headers=page).status_code == 200
        preflight = httpx.options(
            conversation, headers={**page, "access-control-request-method": "DELETE"}
        )
        assert preflight.status_code == 200, preflight.text
        assert "DELETE" in preflight.headers["access-control-allow-methods"]
        deleted = httpx.delete(conversation, headers=page)
        assert deleted.status_code == 204, deleted.text
        assert deleted.headers["access-control-allow-origin"] in ("*", OTHER_PAGE)
        _refused(httpx.get(conversation, headers=page), 404, "ConversationNotFound")
        _refused(httpx.delete(conversation, headers=page), 404, "ConversationNotFound")
        # Every other write is still refused from a page of another origin.
        for refused in (
            httpx.post(f"{url}/v1/documents", json=DOC, headers=page),
            httpx.delete(f"{url}/v1/documents/vertrag", headers=page),
            httpx.delete(f"{url}/v1/keys/ops", headers=page),
            httpx.post(f"{url}/v1/documents", json=DOC, headers={"sec-fetch-site": "cross-site"}),
        ):
            _refused(refused, 403, "OriginNotAllowed")
        assert "planted" not in _ids(url)


def test_json_routes_take_json_only(server: tuple[str, int]) -> None:
    url, _ = server
    body = json.dumps({"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"})
    for path in ("/v1/ask", "/v1/chat", "/v1/documents"):
        for kind in ("text/plain", "application/x-www-form-urlencoded", ""):
            response = httpx.post(f"{url}{path}", content=body, headers={"content-type": kind})
            _refused(response, 415, "UnsupportedMediaType")
    upload = httpx.post(f"{url}/v1/ask", files={"file": ("q.txt", b"Wer?")})
    _refused(upload, 415, "UnsupportedMediaType")
    completion = httpx.post(
        f"{url}/v1/chat/completions", content=body, headers={"content-type": "text/plain"}
    )
    assert completion.status_code == 415
    assert completion.json()["error"]["code"] == "unsupported_media_type"  # OpenAI's shape
    ok = httpx.post(
        f"{url}/v1/ask", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 200


def test_an_unknown_route_or_method_is_404_or_405_whatever_the_body(
    server: tuple[str, int],
) -> None:
    # Found by a black-box bug hunt: the content-type check ran before routing, so a typo in
    # the path answered 415 "send the body as application/json" instead of 404.
    url, _ = server
    for kind in (None, "text/plain"):
        headers = {"content-type": kind} if kind else {}
        for path in ("/v1/nope", "/v1/documents/x/y", "/v1/chat/completions/x"):
            response = httpx.post(f"{url}{path}", content=b"x", headers=headers)
            assert response.status_code == 404, (path, kind, response.text)
            body = response.json()
            if path.startswith("/v1/chat/completions"):
                assert body["error"]["message"], body  # OpenAI's shape
            else:
                assert body["type"] == "NotFound", body
        _refused(
            httpx.post(f"{url}/v1/keys/x", content=b"x", headers=headers), 405, "MethodNotAllowed"
        )
        _refused(httpx.put(f"{url}/v1/ask", content=b"x", headers=headers), 405, "MethodNotAllowed")
    # A route that exists still refuses the wrong content type.
    _refused(httpx.post(f"{url}/v1/ask", content=b"x"), 415, "UnsupportedMediaType")


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def test_a_50_mb_body_is_refused_without_holding_it(server: tuple[str, int]) -> None:
    url, pid = server
    before = _peak_rss_mb(pid)
    block = b"x" * (1 << 20)
    declared = httpx.post(
        f"{url}/v1/documents",
        content=b"{" + block * 50,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    _refused(declared, 413, "BodyTooLarge")

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b'{"text": "'
        for _ in range(50):
            yield block

    try:
        streamed = httpx.post(
            f"{url}/v1/documents",
            content=chunked(),
            headers={"content-type": "application/json"},
            timeout=60,
        )
    except httpx.WriteError:  # the server answered and closed while we were still sending
        pass
    else:
        _refused(streamed, 413, "BodyTooLarge")
    assert _peak_rss_mb(pid) - before < 30, (before, _peak_rss_mb(pid))
    assert httpx.get(f"{url}/health").status_code == 200


def test_errors_quote_a_short_excerpt_of_the_input(server: tuple[str, int]) -> None:
    url, _ = server
    question = "Wann " * 2_000_000  # 10 MB, under the body cap
    response = httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=60)
    assert response.status_code == 422
    assert len(response.content) < 2000, len(response.content)
    assert "Wann Wann" in response.text  # what was wrong is still recognisable
    chat = httpx.post(f"{url}/v1/chat/completions", json={"model": "x" * 5_000_000}, timeout=60)
    assert chat.status_code in (400, 404) and len(chat.content) < 2000


def test_slow_header_connections_do_not_hold_the_server(server: tuple[str, int]) -> None:
    """200 connections trickle their headers; others are answered meanwhile, and the
    trickling ones are cut off after HEADER_TIMEOUT_S."""
    url, _ = server
    parts = urlsplit(url)
    address = (parts.hostname, parts.port)
    slow = []
    for _ in range(200):
        sock = socket.create_connection(address, timeout=5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(sock)
    started = time.monotonic()
    answered = 0
    while time.monotonic() - started < HEADER_TIMEOUT_S + 3:
        for sock in slow[:50]:  # keep trickling: one header byte each
            with contextlib.suppress(OSError):
                sock.sendall(b"X")
        t = time.monotonic()
        response = httpx.post(
            f"{url}/v1/ask", json={"question": "Wer leitete das Treffen in Brüssel?"}, timeout=30
        )
        assert response.status_code == 200 and time.monotonic() - t < 10
        answered += 1
        time.sleep(0.5)
    assert answered >= 5
    closed = 0
    for sock in slow:
        sock.settimeout(2)
        try:
            closed += sock.recv(1024) == b""
        except OSError:  # reset: closed as well
            closed += 1
        sock.close()
    assert closed == len(slow)


def test_security_headers_on_the_page(server: tuple[str, int]) -> None:
    url, _ = server
    page = httpx.get(url)
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert page.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{url}/v1/documents").headers["x-content-type-options"] == "nosniff"


LONG_QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt, und wann? " * 24


def test_a_full_queue_answers_503_at_once(tmp_path: Path) -> None:
    env = {"QA_ANSWER_THREADS": "1", "QA_MAX_QUEUE": "1"}
    with serve_process(tmp_path, env=env) as (url, _):

        async def burst(n: int) -> list[tuple[int, str | None, float]]:
            async with httpx.AsyncClient(timeout=120) as http:

                async def one(i: int) -> tuple[int, str | None, float]:
                    t = time.monotonic()
                    # ~1,400 characters: each answer takes a few hundred ms of embedding, so
                    # a burst overlaps even when a loaded machine sends it slowly.
                    question = f"({n}, {i}) " + LONG_QUESTION
                    r = await http.post(f"{url}/v1/ask", json={"question": question})
                    return r.status_code, r.headers.get("retry-after"), time.monotonic() - t

                return await asyncio.gather(*(one(i) for i in range(24)))

        # Whether requests overlap depends on the scheduler of a shared 2-core machine: a
        # burst whose requests happened to arrive one after another proves nothing, so up to
        # three bursts; without a queue bound no burst would ever see a 503.
        for n in range(3):
            results = asyncio.run(burst(n))
            if any(s == 503 for s, _, _ in results):
                break
    statuses = [s for s, _, _ in results]
    assert 200 in statuses and 503 in statuses, statuses
    busy = [(after, took) for s, after, took in results if s == 503]
    assert all(after and int(after) >= 1 for after, _ in busy)
    fastest_ok = min(took for s, _, took in results if s == 200)
    assert all(took <= fastest_ok + 0.5 for _, took in busy)  # refused at once, not after a wait


def test_a_full_queue_takes_real_time_embedding_back(tmp_path: Path) -> None:
    """One real server whose questions embed real-time: once its queue is full, embedding
    steps down to normal (the event loop gets the cores to refuse what does not fit), and
    back to real-time once the queue drained (qa_service/retrieval/priority.py, Backlog)."""
    # A team on every core (another test may have left OMP_NUM_THREADS=1 in this process's
    # environment, and one thread stays normal).
    cores = str(len(os.sched_getaffinity(0)))
    env = {"QA_ANSWER_THREADS": "1", "QA_MAX_QUEUE": "2", "OMP_NUM_THREADS": cores}
    log = tmp_path / "server.log"
    with serve_process(tmp_path, env=env) as (url, _):
        if "embedder priority: realtime" not in log.read_text():
            pytest.skip("this machine may not run real-time: " + log.read_text()[-300:])

        async def burst(n: int) -> list[int]:
            async with httpx.AsyncClient(timeout=120) as http:

                async def one(i: int) -> int:
                    question = f"({n}, {i}) " + LONG_QUESTION
                    r = await http.post(f"{url}/v1/ask", json={"question": question})
                    return r.status_code

                return await asyncio.gather(*(one(i) for i in range(12)))

        for n in range(3):  # as above: a burst whose requests did not overlap proves nothing
            statuses = asyncio.run(burst(n))
            if "normal while 2 questions wait" in log.read_text():
                break
        assert httpx.post(f"{url}/v1/ask", json={"question": "Wer ist Browdi?"}).status_code == 200
    lines = log.read_text().splitlines()
    down = [i for i, line in enumerate(lines) if "normal while 2 questions wait" in line]
    up = [i for i, line in enumerate(lines) if "embedder priority: real-time again" in line]
    assert down and 503 in statuses, (statuses, lines[-20:])
    assert up and up[-1] > down[-1]  # the burst drained: real-time again


def test_rate_limit_per_client_answers_429_with_retry_after(service: QAService) -> None:
    settings = service.settings.model_copy(update={"rate_limit": "3/minute"})
    service.settings = settings
    with TestClient(create_app(settings, service)) as client:
        statuses = [client.get("/v1/documents").status_code for _ in range(3)]
        limited = client.post("/v1/ask", json={"question": "Wer?"})
        assert statuses == [200, 200, 200]
        assert limited.status_code == 429 and limited.json()["type"] == "RateLimited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        completion = client.post("/v1/chat/completions", json={"model": "qa-service"})
        assert completion.status_code == 429 and "error" in completion.json()
        # As OpenAI's own rate limit answers: clients tell it from a bad request by these.
        error = completion.json()["error"]
        assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded"), error
        # QAClient reads the same 429 (replayed as the app answered it): type, Retry-After.
        replay = httpx.MockTransport(
            lambda _: httpx.Response(429, headers=limited.headers, content=limited.content)
        )
        with (
            QAClient("http://testserver", transport=replay) as qa,
            pytest.raises(QAClientError) as caught,
        ):
            qa.documents()
        assert caught.value.status_code == 429 and caught.value.type == "RateLimited"
        assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 60
        assert client.get("/health").status_code == 200  # not under /v1: not counted
        other = TestClient(client.app, client=("10.0.0.2", 5000))  # the same running app
        assert other.get("/v1/documents").status_code == 200  # another address, its own count


@pytest.mark.parametrize(
    "path", ["/", "/widget.js", "/docs", "/health", "/v1/documents", "/v1/models", "/v1/nope"]
)
def test_head_answers_as_get_without_a_body(server: tuple[str, int], path: str) -> None:
    # Found by a black-box bug hunt: HEAD was a 405 everywhere but /health (uptime checkers
    # send HEAD).
    url, _ = server
    with httpx.Client(base_url=url) as client:
        got = client.get(path)
        head = client.head(path)
    assert head.status_code == got.status_code, (path, head.status_code)
    assert head.content == b""
    same = ("content-type", "content-length", "x-content-type-options", "cache-control")
    assert {k: head.headers.get(k) for k in same} == {k: got.headers.get(k) for k in same}
    assert head.headers["content-length"] == str(len(got.content))
    assert httpx.head(f"{url}/v1/ask").status_code == 405  # a POST route stays POST
