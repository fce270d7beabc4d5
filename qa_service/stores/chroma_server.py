"""Vectors in a Chroma server (`chroma run`, distributed Chroma or Chroma Cloud), server mode.

The same collections, ids and metadata as the embedded store (stores/chroma.py), reached
through ``chromadb.HttpClient``. The server sees every replica's writes, so nothing is ever
re-read; an unreachable server or one that does not answer within ``timeout`` seconds
becomes BackendUnavailable, and the next request simply tries again.

``QA_CHROMA_URL`` is ``http://host:port``; a path (``http://host:port/news``) names a Chroma
database of its own, created when missing (tests give each index one).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.api import AdminAPI
from chromadb.api.client import Client
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InternalError, NotFoundError

from qa_service.errors import BackendUnavailable
from qa_service.stores.base import Key, VectorHit, VectorKind
from qa_service.stores.chroma import ChromaVectorStore, open_collections

ENGINE = "Chroma"


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    try:
        yield
    except (httpx.TransportError, InternalError) as exc:
        raise BackendUnavailable(ENGINE, str(exc) or type(exc).__name__) from None


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
        self._lock = _NoLock()  # the server orders concurrent calls itself
        with unavailable_as_error():
            self._open()

    def _open(self) -> None:
        if self.database != DEFAULT_DATABASE:
            admin = admin_client(self.host, self.port, self.ssl)
            _bound(admin, self.timeout)
            try:
                admin.get_database(self.database, tenant=DEFAULT_TENANT)
            except NotFoundError:
                admin.create_database(self.database, tenant=DEFAULT_TENANT)
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
        with unavailable_as_error():
            self._client.heartbeat()

    def add(
        self,
        kind: VectorKind,
        entries: Sequence[tuple[str, str, np.ndarray]],
        batch: int = 4096,
    ) -> None:
        with unavailable_as_error():
            super().add(kind, entries, batch)

    def delete(self, doc_id: str, *, version: str | None = None, keep: str | None = None) -> None:
        with unavailable_as_error():
            super().delete(doc_id, version=version, keep=keep)

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]:
        with unavailable_as_error():
            return super().query(kind, vector, n)

    def vectors(
        self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]
    ) -> dict[Key, np.ndarray]:
        with unavailable_as_error():
            return super().vectors(kind, keys)

    def entries(self, kind: VectorKind, page: int = 10_000) -> Iterator[tuple[str, str, int]]:
        with unavailable_as_error():
            yield from super().entries(kind, page)

    def delete_entries(self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]) -> None:
        with unavailable_as_error():
            super().delete_entries(kind, keys)

    def count(self, kind: VectorKind) -> int:
        with unavailable_as_error():
            return super().count(kind)

    def unreachable(self, kind: VectorKind, page: int = 1_000) -> list[tuple[str, str, int]]:
        with unavailable_as_error():
            return super().unreachable(kind, page)

    def rewrite(self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]) -> None:
        with unavailable_as_error():
            super().rewrite(kind, keys)


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


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _bound(client: object, timeout: float) -> None:
    """Give the client's HTTP session a timeout: chromadb builds it with none, so a server
    that stops answering would hold a request for ever."""
    server = getattr(client, "_server", None)
    session = getattr(server, "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
