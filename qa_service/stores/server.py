"""Server mode: PostgreSQL holds documents, spans, keyword index, journal and conversations;
a Chroma server holds the vectors. Every API process is stateless: any replica answers any
request, because all state is in the two engines.

Writers take a PostgreSQL advisory lock (``writing``) instead of embedded mode's lock file,
so the id checks of two replicas ingesting the same text at once run one after the other;
the server releases the lock itself if a replica dies holding it. Nothing is ever re-read
(``refresh``): the engines see every replica's writes.

A small index is also held in each replica's memory (``postgres/mirror.py``): immutable
contents by version, checked against PostgreSQL's change counter at every question, so that
what one replica wrote is what the next question reads, on any replica.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from urllib.parse import urlparse, urlunparse

from qa_service.config import Settings
from qa_service.errors import BackendUnavailable
from qa_service.stores.base import Retention
from qa_service.stores.chroma_server import HttpVectorStore
from qa_service.stores.postgres.documents import PostgresDatabase, PostgresDocumentStore
from qa_service.stores.postgres.mirror import Mirror, MirroredReads
from qa_service.tuning.latency import EXACT_SEARCH_MAX_SENTENCES


class ServerStores:
    concurrent_reads = True

    def __init__(
        self,
        database_url: str,
        chroma_url: str,
        *,
        timeout: float,
        pool_size: int,
        exact_max_sentences: int = EXACT_SEARCH_MAX_SENTENCES,
        retention: Retention = Retention(),
    ):
        db = PostgresDatabase(database_url, timeout=timeout, pool_size=pool_size)
        try:
            self.vectors = HttpVectorStore(chroma_url, timeout=timeout)
        except BaseException:
            db.close()
            raise
        self.documents = PostgresDocumentStore(db, retention)
        self.where = f"PostgreSQL ({safe_url(database_url)})"
        self.mirror = Mirror(self.documents, exact_max_sentences)

    def reader(self) -> MirroredReads | None:
        """The in-memory copy, brought up to every replica's writes (one round trip when
        none wrote); None above its size bound."""
        return self.mirror.current()

    def writing(self) -> AbstractContextManager[None]:
        return self.documents.db.writer_lock()

    def seeding(self) -> AbstractContextManager[None]:
        return self.documents.db.seeding_lock()

    def refresh(self) -> bool:
        return False

    def close(self) -> None:
        self.documents.close()
        self.vectors.close()

    def status(self) -> dict[str, str]:
        """Each engine: "ok" or why it is unavailable (asked now, within the timeout)."""
        pings = {"PostgreSQL": self.documents.db.ping, "Chroma": self.vectors.ping}
        # Both at once: with both down, /health answers within one timeout, not two.
        with ThreadPoolExecutor(len(pings), thread_name_prefix="qa-ping") as pool:
            asked = {engine: pool.submit(ping) for engine, ping in pings.items()}
        status = {}
        for engine, future in asked.items():
            exc = future.exception()
            if exc is not None and not isinstance(exc, BackendUnavailable):
                raise exc
            status[engine] = str(exc) if exc is not None else "ok"
        return status


def open_server_stores(settings: Settings) -> ServerStores:
    assert settings.database_url and settings.chroma_url
    return ServerStores(
        settings.database_url,
        settings.chroma_url,
        timeout=settings.backend_timeout,
        pool_size=settings.database_pool_size,
        exact_max_sentences=settings.exact_search_max_sentences,
        retention=Retention.from_settings(settings),
    )


@contextmanager
def scratch_databases(settings: Settings) -> Iterator[Settings]:
    """Server-mode settings pointing at a new, empty database in each engine, dropped after
    (``qa-service eval`` measures a fresh index and must not touch the service's own)."""
    import uuid

    import psycopg

    from qa_service.stores.chroma_server import admin_client, parse_chroma_url
    from qa_service.stores.postgres.documents import unavailable_as_error

    assert settings.database_url and settings.chroma_url
    name = f"qa_scratch_{uuid.uuid4().hex[:12]}"
    database_url = urlunparse(urlparse(settings.database_url)._replace(path=f"/{name}"))
    chroma_url = urlunparse(urlparse(settings.chroma_url)._replace(path=f"/{name}"))
    with unavailable_as_error(), psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield settings.model_copy(update={"database_url": database_url, "chroma_url": chroma_url})
    finally:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        host, port, ssl, _ = parse_chroma_url(settings.chroma_url)
        with suppress(Exception):  # a database that was never created
            admin_client(host, port, ssl).delete_database(name)


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    parts = urlparse(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"
