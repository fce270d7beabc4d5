"""Requests uvicorn's parser refuses before the app (not HTTP/1.1) are answered in the API's
error shape, over a real socket to the session's `serve` process."""

import json
import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow  # a real server (the session's)


def _send_raw(
    url: str, request_line: bytes, hosts: tuple[bytes, ...] = (b"localhost",)
) -> tuple[bytes, dict[str, str], bytes]:
    """(status line, headers, body) of the answer to ``request_line`` sent as it is, with a
    ``Host`` header line for each of ``hosts``."""
    parts = urlsplit(url)
    host_lines = b"".join(b"\r\nHost: " + host for host in hosts)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request_line + host_lines + b"\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.decode().lower(): v.decode() for k, v in (ln.split(b": ", 1) for ln in lines)}
    return status, headers, body


@pytest.mark.parametrize(
    "target",
    ["/v1/documents?offset=١".encode(), "/v1/documents/Köln".encode(), b"/v1/ask?x=\xff"],
)
def test_a_raw_non_ascii_target_is_a_json_400(live_server: str, target: bytes) -> None:
    # Found by a black-box bug hunt: uvicorn answered it with a plain-text "Invalid HTTP
    # request received.", not the JSON every other error is.
    status, headers, body = _send_raw(live_server, b"GET " + target + b" HTTP/1.1")
    assert status == b"HTTP/1.1 400 Bad Request", (status, body)
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert int(headers["content-length"]) == len(body)
    answer = json.loads(body)
    assert answer["type"] == "BadRequest", answer
    assert "percent-encode" in answer["detail"] and "url" in answer["detail"], answer


def test_any_request_the_parser_refuses_says_why(live_server: str) -> None:
    status, headers, body = _send_raw(live_server, b"GET /a b HTTP/1.1")
    assert status == b"HTTP/1.1 400 Bad Request" and headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert answer["type"] == "BadRequest" and "not valid HTTP/1.1" in answer["detail"], answer
    # The same request percent-encoded is the app's: a 404 of its own shape.
    status, _, body = _send_raw(live_server, b"GET /v1/documents/K%C3%B6ln HTTP/1.1")
    assert status == b"HTTP/1.1 404 Not Found" and json.loads(body)["type"] == "DocumentNotFound"


def test_two_host_headers_are_refused_and_a_missing_one_is_named(live_server: str) -> None:
    # Found by hunt17: the first of two Host headers was checked and the request answered
    # (RFC 9112 3.2: a server MUST answer 400; a proxy in front may route by the other one),
    # and a request without Host (HTTP/1.0) was told "not served as ''".
    for hosts in [(b"localhost", b"evil.example"), (b"evil.example", b"localhost")]:
        status, _, body = _send_raw(live_server, b"GET /health HTTP/1.1", hosts)
        assert status == b"HTTP/1.1 400 Bad Request", (hosts, status, body)
        answer = json.loads(body)
        assert answer["type"] == "DuplicateHeader" and "2 Host headers" in answer["detail"]
    status, _, body = _send_raw(live_server, b"GET /health HTTP/1.0", hosts=())
    assert status == b"HTTP/1.1 400 Bad Request", (status, body)
    answer = json.loads(body)
    assert answer["type"] == "HostNotAllowed" and "names no host" in answer["detail"], answer
    status, _, body = _send_raw(live_server, b"GET /health HTTP/1.0")  # one Host: served
    assert status == b"HTTP/1.1 200 OK" and json.loads(body)["status"] == "ok", (status, body)


def test_two_content_type_headers_are_refused(live_server: str) -> None:
    # Found by hunt17: the first of two Content-Types was read, so the same body was a
    # question (200) or refused text (415) by the headers' order; a proxy may read the other.
    parts = urlsplit(live_server)
    body = json.dumps({"question": "Wer ist Selenskyj?"}).encode()
    for first, second in [
        (b"application/json", b"text/plain"),
        (b"text/plain", b"application/json"),
    ]:
        request = (
            b"POST /v1/ask HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Type: " + first + b"\r\nContent-Type: " + second + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, reply = answer.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        assert status == b"HTTP/1.1 400 Bad Request", (first, status, reply)
        refusal = json.loads(reply)
        assert refusal["type"] == "DuplicateHeader", refusal
        assert "2 Content-Type headers" in refusal["detail"], refusal
