"""Several uvicorn worker processes, each with its own listening socket (SO_REUSEPORT).

``uvicorn --workers`` binds one socket in the parent and shares it: the kernel hands each new
connection to the process that happens to wait in ``accept()``, and with keep-alive clients
one worker ends up holding every connection while the others idle (measured here: 4 clients,
2 workers, 10 s: one worker 11.8 s of CPU, the other 0.02 s; requests/s no higher than with
one worker). With SO_REUSEPORT every worker binds a socket of its own on the same address and
Linux spreads new connections over them by a hash of the address pair. uvicorn has no option
for it (encode/uvicorn#2472 is open), so this module starts the workers itself; each one runs
an ordinary ``uvicorn.Server``.
"""

import asyncio
import contextlib
import gc
import json
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from typing import Any

import uvicorn
from httptools import HttpParserError, HttpParserInvalidURLError
from uvicorn.main import STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from qa_service.config import Settings, get_settings
from qa_service.tuning.serving import (
    EARLY_DEATH_S,
    GRACEFUL_SHUTDOWN_S,
    HEADER_TIMEOUT_S,
    KEEP_ALIVE_S,
)

log = logging.getLogger("qa_service")


class CoalescingTransport:
    """A transport whose writes of one event-loop turn leave in one ``send``.

    uvicorn writes a response's head as soon as the app starts it and its body with the next
    message, two ``send`` calls for every JSON reply; on loopback each one also runs the
    receiving side's TCP processing in the sender's thread. py-spy (tput10, sequential
    cached /v1/ask) found the event loop in those writes for a third of its samples. Joined
    at the end of the turn (``call_soon``), the client gets the same bytes in the same order;
    ``close`` sends what is pending first. Everything else is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def flush(self) -> None:
        """Send what this turn wrote, in one piece."""
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():  # the peer went meanwhile: nobody to send to
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class RecordingParser:
    """httptools' parser, keeping the error it raised last: what was wrong with a request it
    refused, for the 400 (uvicorn's own says only "Invalid HTTP request received.")."""

    def __init__(self, parser: Any) -> None:
        self._parser = parser
        self.error: HttpParserError | None = None

    def feed_data(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except HttpParserError as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


RAW_TARGET = (
    "a request target (path and query) is ASCII: percent-encode anything else as UTF-8, "
    "as browsers and HTTP clients do ('?offset=%D9%A1', not a raw '?offset=\u0661')"
)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a deadline for the request line and headers, a
    response's writes joined (``CoalescingTransport``), and a request its parser refuses
    (not HTTP/1.1: a raw non-ASCII byte in the path, say) answered in the API's error shape,
    ``{"detail", "type": "BadRequest"}``, instead of uvicorn's plain text. The app never
    sees such a request: httptools (llhttp) refuses it before its URL reaches uvicorn, with no
    leniency for it, and h11 refuses it too."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self.parser = RecordingParser(self.parser)  # type: ignore[assignment]
        self._arm_header_timer()

    def send_400_response(self, msg: str) -> None:
        error = getattr(self.parser, "error", None)
        detail = f"the request is not valid HTTP/1.1: {error or msg}".rstrip(".")
        if isinstance(error, HttpParserInvalidURLError):
            detail += f"; {RAW_TARGET}"
        body = json.dumps({"detail": detail, "type": "BadRequest"}).encode()
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"x-content-type-options: nosniff\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings every server of ours runs with (README, Security).

    X-Forwarded-For is believed only from QA_FORWARDED_ALLOW_IPS: uvicorn's own default
    believes it from 127.0.0.1, so any local client (and, anonymous, every client is local)
    could name a new address with each request and never meet its rate limit."""
    proxies = settings.forwarded_allow_ips
    return {
        "http": HeaderTimeoutProtocol,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": list(proxies) or None,
    }


APP = "qa_service.api.app:create_app"


def configure_logging() -> None:
    """Our own log lines (seeding, workers) beside uvicorn's, in its format."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    # httpx logs every LLM call's URL at INFO, user:password of QA_LLM_BASE_URL included.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket that other processes may bind to the same address as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


class FrozenHeapServer(uvicorn.Server):
    """A uvicorn server that moves every object alive once the app has started (modules,
    models, stores, the service) out of the garbage collector's sight (``gc.freeze``).

    The oldest generation's collections otherwise walk that whole start-up heap again
    and again, though none of it ever becomes garbage: 70-100 ms of CPU each, in whichever
    thread allocated last (an answer thread, the event loop), every few hundred questions
    (benchmarks/README.md, Throughput, tput11). Frozen, they walk only what came after.
    Objects frozen here that later become cyclic garbage are never collected; start-up
    objects live as long as the process, so that is nothing in practice."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        gc.collect()
        gc.freeze()


def run_app(config: uvicorn.Config) -> None:
    """``uvicorn.run`` for one process, with the heap frozen after start-up: Ctrl-C ends it
    quietly, and a failed start-up exits with uvicorn's own code (3)."""
    server = FrozenHeapServer(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _worker(host: str, port: int, log_level: str) -> None:
    configure_logging()
    options = server_options(get_settings())
    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level, **options)
    FrozenHeapServer(config).run(sockets=[reuse_port_socket(host, port)])


def run_workers(host: str, port: int, workers: int, log_level: str = "info") -> int:
    """Serve with ``workers`` processes until SIGINT/SIGTERM; returns the exit code.

    A worker that dies is replaced, unless it died within seconds of starting (then the
    set-up is broken and every worker is stopped). Raises OSError when the address is taken.
    """
    reuse_port_socket(host, port).close()  # fail here, clearly, if the port is taken
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def start() -> tuple[multiprocessing.process.BaseProcess, float]:
        process = spawn.Process(target=_worker, args=(host, port, log_level), daemon=False)
        process.start()
        return process, time.monotonic()

    running = [start() for _ in range(workers)]
    log.info("serving on http://%s:%d with %d workers (SO_REUSEPORT)", host, port, workers)
    code = 0
    while not stop.wait(0.5):
        for i, (process, started) in enumerate(running):
            if process.is_alive():
                continue
            if time.monotonic() - started < EARLY_DEATH_S:
                log.error(
                    "worker %s exited with %s right after starting", process.pid, process.exitcode
                )
                stop.set()
                code = 1
                break
            log.warning(
                "worker %s exited with %s; starting a new one", process.pid, process.exitcode
            )
            running[i] = start()
    for process, _ in running:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes open requests, then exits
    for process, _ in running:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    return code
