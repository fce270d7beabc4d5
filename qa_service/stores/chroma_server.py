"""Vectors in a Chroma server (`chroma run`, distributed Chroma or Chroma Cloud), server mode.

The same collections, ids and metadata as the embedded store (stores/chroma.py), reached
through ``chromadb.HttpClient``. The server sees every replica's writes, so nothing is ever
re-read; an unreachable server or one that does not answer within ``timeout`` seconds
becomes BackendUnavailable, at once for BACKEND_QUIET_S after that, and then one request at
a time tries again (``_UnavailableAsError``).

``QA_CHROMA_URL`` is ``http://host:port``; a path (``http://host:port/news``) names a Chroma
database of its own, created when missing (tests give each index one).
"""

import threading
import time
from typing import cast
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api import AdminAPI
from chromadb.api.client import Client
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, InternalError, NotFoundError

from qa_service.errors import BackendUnavailable
from qa_service.stores.chroma import ChromaVectorStore, open_collections
from qa_service.tuning.limits import BACKEND_QUIET_S

ENGINE = "Chroma"


def parse_chroma_url(url: str) -> tuple[str, int, bool, str]:
    """(host, port, ssl, database) of ``http(s)://host:port[/database]``."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"QA_CHROMA_URL must look like http://host:port, not {url!r}")
    ssl = parts.scheme == "https"
    return (
        parts.hostname,
        parts.port or (443 if ssl else 8000),
        ssl,
        parts.path.strip("/") or DEFAULT_DATABASE,
    )


class HttpVectorStore(ChromaVectorStore):
    """The vector store over a Chroma server; the same methods as the embedded one."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout
        self.host, self.port, self.ssl, self.database = parse_chroma_url(url)
        # Around every call the embedded store makes under its lock: the server orders
        # concurrent calls itself, and one that fails to reach it becomes a 503.
        self._calls = _UnavailableAsError()
        with self._calls:
            try:
                self._open()
            except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
                raise BackendUnavailable(ENGINE, f"cannot reach {url}: {exc}") from None

    def _open(self) -> None:
        if self.database != DEFAULT_DATABASE:
            admin = admin_client(self.host, self.port, self.ssl)
            _bound(admin, self.timeout)
            try:
                admin.get_database(self.database, tenant=DEFAULT_TENANT)
            except NotFoundError:
                try:
                    admin.create_database(self.database, tenant=DEFAULT_TENANT)
                except ChromaError as exc:  # another replica created it since: use it
                    try:
                        admin.get_database(self.database, tenant=DEFAULT_TENANT)
                    except NotFoundError:
                        raise exc from None
        client = chromadb.HttpClient(
            host=self.host,
            port=self.port,
            ssl=self.ssl,
            settings=ChromaSettings(anonymized_telemetry=False),
            database=self.database,
        )
        self._client = cast(Client, client)
        _bound(self._client, self.timeout)
        self._collections = open_collections(self._client)

    def reload(self) -> None:
        """Nothing to re-read: the server holds every replica's writes."""

    def close(self) -> None:
        """The HTTP client holds no resource worth closing."""

    def ping(self) -> None:
        with self._calls:
            self._client.heartbeat()


def admin_client(host: str, port: int, ssl: bool) -> AdminAPI:
    """An admin client of the server (AdminClient defaults to an in-process Chroma)."""
    return chromadb.AdminClient(
        ChromaSettings(
            anonymized_telemetry=False,
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=host,
            chroma_server_http_port=port,
            chroma_server_ssl_enabled=ssl,
        )
    )


class _UnavailableAsError:
    """A server that cannot be reached or fails on its side: BackendUnavailable (a 503).

    Once a call found the server unreachable (refused, or silent past the timeout), every
    call raises at once for BACKEND_QUIET_S, then one call at a time asks whether it is back
    while the others still raise at once, as PostgreSQL's pool does (stores/postgres): the
    questions queued for the answer threads would otherwise wait a timeout each, one batch
    after another (8 at once against a frozen server: 503s after 2, 4, 6 and 8 s with a 2 s
    timeout, tests/stores/test_outages.py). Any reply clears it.
    """

    def __init__(self) -> None:
        self._down_at: float | None = None  # when the server was last found unreachable
        self._down_reason = ""
        self._probe = threading.Lock()  # held by the one call asking if it is back
        self._probing = threading.local()

    def __enter__(self) -> None:
        down_at = self._down_at
        probing = False
        if down_at is not None:
            if time.monotonic() - down_at < BACKEND_QUIET_S or not self._probe.acquire(False):
                raise BackendUnavailable(ENGINE, self._down_reason)
            probing = True
        self._probing.now = probing

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.TransportError):
            self._down_at, self._down_reason = time.monotonic(), reason
        else:  # the server replied (an error of its own included)
            self._down_at = None
        if getattr(self._probing, "now", False):
            self._probing.now = False
            self._probe.release()
        if isinstance(exc, httpx.TransportError | InternalError):
            raise BackendUnavailable(
                ENGINE, reason, timed_out=isinstance(exc, httpx.TimeoutException)
            ) from None


def _bound(client: object, timeout: float) -> None:
    """Give the client's HTTP session a timeout: chromadb builds it with none, so a server
    that stops answering would hold a request for ever."""
    server = getattr(client, "_server", None)
    session = getattr(server, "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
