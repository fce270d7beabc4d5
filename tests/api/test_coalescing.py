"""A response's writes joined into one send (qa_service/serving.py CoalescingTransport): the
bookkeeping with a recording transport (pure unit tests), and the bytes a real served process
sends on one socket."""

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import BinaryIO

import pytest

from qa_service.serving import CoalescingTransport
from tests.helpers.servers import serve_process


class Recording:
    """The transport methods the wrapper uses, each call recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


def test_the_writes_of_one_turn_leave_in_one_piece_after_it() -> None:
    async def scenario() -> list[list[tuple[str, bytes]]]:
        inner = Recording()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        seen = []
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(bytearray(b'{"a": 1}'))
        seen.append(list(inner.calls))  # nothing sent inside the turn
        await asyncio.sleep(0)
        seen.append(list(inner.calls))
        transport.write(b"next")
        await asyncio.sleep(0)
        seen.append(list(inner.calls))
        assert transport.get_extra_info("peername") == "info peername"  # the rest passes through
        return seen

    during, after, later = asyncio.run(scenario())
    assert during == []
    assert after == [("write", b'HTTP/1.1 200 OK\r\n\r\n{"a": 1}')]
    assert later == [*after, ("write", b"next")]


def test_close_sends_what_is_pending_first_and_nothing_goes_after_it() -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        inner = Recording()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"last words")
        transport.close()
        transport.write(b"too late")  # the peer's side is closed: dropped, not raised
        await asyncio.sleep(0)
        return inner.calls

    assert asyncio.run(scenario()) == [("write", b"last words"), ("close", b"")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serve_process(tmp_path_factory.mktemp("coalescing")) as (url, _proc):
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def _exchange(sock: socket.socket, request: bytes, reader: BinaryIO) -> bytes:
    """Send ``request``; read one response (head, then the body by its Content-Length) from
    ``reader`` (the socket's buffered reader: bytes of a pipelined next response that came in
    the same read stay there for the next call). A connection closed mid-way fails the test,
    never spins."""
    sock.sendall(request)
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline()
        assert line, f"the server closed the connection after {head!r}"
        head += line
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = reader.read(length)
    assert len(body) == length, f"the server closed the connection after {head + body!r}"
    return head + body


@pytest.mark.slow
def test_a_served_answer_arrives_whole_on_a_kept_alive_connection(
    server: tuple[str, int],
) -> None:
    """Three questions on one connection, the third asked before the second's answer was
    read: every response complete and in order."""
    host, port = server
    body = json.dumps({"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}).encode()
    request = (
        b"POST /v1/ask HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (host.encode(), port, len(body), body)
    )
    with (
        socket.create_connection((host, port), timeout=60) as sock,
        sock.makefile("rb") as reader,
    ):
        first = _exchange(sock, request, reader)
        assert first.startswith(b"HTTP/1.1 200 ")
        answer = json.loads(first.partition(b"\r\n\r\n")[2])
        assert answer["citations"] and not answer["abstained"]
        sock.sendall(request)  # two requests in flight: the replies stay apart and in order
        second = _exchange(sock, request, reader)
        third = _exchange(sock, b"", reader)
        for reply in (second, third):
            assert reply.startswith(b"HTTP/1.1 200 ")
            assert json.loads(reply.partition(b"\r\n\r\n")[2])["answer"] == answer["answer"]
        health = _exchange(
            sock, b"GET /health HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port), reader
        )
        assert json.loads(health.partition(b"\r\n\r\n")[2])["status"] == "ok"
