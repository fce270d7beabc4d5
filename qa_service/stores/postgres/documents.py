"""PostgreSQL store of articles, spans, keyword index, journal, conversations, API keys and
the audit log (server mode).

It is a ``DocumentStore`` (stores/base.py) like the SQLite one, so the index, retriever,
answerer and chat run unchanged over either. Every replica talks to the same
database; nothing is cached in a process, so what one replica wrote is what the next request
reads, on any replica.

Keyword search ranks exactly like SQLite FTS5's ``bm25()`` (k1 = 1.2, b = 0.75, FTS5's
defaults and its IDF floor of 1e-6): each span stores the terms FTS5 would index
(``lexical.index_terms``) in a GIN-indexed ``text[]``; the statistics BM25 needs (rows and
terms per kind, rows per term) are updated by the same transaction that writes the spans, so
they never disagree, and so is an inverted index of (term, span, count, span length) the
query reads by index-only scans. ``ts_rank`` would not do: it has no inverse document
frequency. The query itself (exact top k) is in keyword.py.
"""

import logging
import select
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import psycopg
import psycopg_pool
from psycopg.rows import dict_row

from qa_service.errors import BackendUnavailable, ConversationNotFound, KeyExists, WritesBusy
from qa_service.models import Chunk, Sentence
from qa_service.retrieval.lexical import index_terms, query_terms
from qa_service.stores.base import (
    PAGE_ORDER,
    AuditEntry,
    ChunkSpan,
    Conversation,
    DocumentOrder,
    DocumentRecord,
    IndexCounts,
    JournalEntry,
    Key,
    KeyRecord,
    LexicalHit,
    NewTurn,
    PurgeClock,
    Retention,
    SentenceSpan,
    StoredTurn,
)
from qa_service.stores.postgres import keyword, migrations
from qa_service.stores.rows import (
    ACTIVE_ADMINS,
    AUDIT_COLUMNS,
    CHUNK_COLUMNS,
    DOC_COLUMNS,
    KEY_COLUMNS,
    SENTENCE_COLUMNS,
    TURN_COLUMNS,
    audit_row,
    chunk_rows,
    document_record,
    document_row,
    key_record,
    key_row,
    metadata_values,
    refuse_last_admin,
    sentence_rows,
    stored_turn,
    turn_row,
)
from qa_service.tuning.ingest import SEEDING_LOCK_POLL_S
from qa_service.tuning.limits import BACKEND_CLIENT_MARGIN_S, BACKEND_QUIET_S
from qa_service.tuning.retrieval import POSTGRES_SESSION

ENGINE = "PostgreSQL"
CHANGES = "changes"
"""The ``counters`` row every write of a document bumps in its transaction (migration 6)."""
_WRITER_LOCK = 0x51A_0001  # pg_advisory_lock key: one writer at a time, across replicas
log = logging.getLogger("qa_service")
NO_ANSWER = "no answer within"  # BoundedConnection's message: the server did not reply
_SEEDING_LOCK = 0x51A_0003  # pg_advisory_lock key: one replica seeds at a time
_ADMIN_LOCK = 0x51A_0002  # pg_advisory_xact_lock key: one revocation of an admin key at a time


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Connection-level failures become BackendUnavailable (a 503), the rest stays a bug."""
    try:
        yield
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as exc:
        raise BackendUnavailable(ENGINE, _reason(exc), timed_out=_timed_out(exc)) from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _timed_out(exc: Exception) -> bool:
    """Whether the server did not answer in time (a statement's timeout, a wait for its
    reply or for a pooled connection), not refused."""
    return isinstance(exc, psycopg.errors.QueryCanceled | psycopg_pool.PoolTimeout) or (
        str(exc).startswith(NO_ANSWER)
    )


class BoundedConnection(psycopg.Connection):
    """A connection whose every wait for the server ends after ``server_timeout`` seconds.

    ``statement_timeout`` is the server's own clock: a server that is frozen, or a network
    that drops packets without a reset, never answers at all, and the kernel keeps the socket
    open, so psycopg would wait forever. Here the wait gives up, the connection is closed
    (its state is unknown: the pool replaces it) and the caller gets an OperationalError,
    a 503 like any other outage."""

    server_timeout: float | None = None
    answered: Callable[[], None] | None = None  # told of every reply (the server is up)

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            bound = timeout if timeout is not None else self.server_timeout
            result = super().wait(gen, interval, bound)
        except psycopg.errors._WaitTimeout:
            self.pgconn.finish()
            raise psycopg.OperationalError(f"{NO_ANSWER} {self.server_timeout:g} s") from None
        if self.answered is not None:
            self.answered()
        return result


def _closed_by_server(conn: psycopg.Connection) -> bool:
    """Whether an idle connection's server has ended it (a restart: it sent the termination
    notice, or EOF). Idle, nothing is due, so a readable socket means exactly that; asked of
    the socket, with no round trip."""
    if conn.closed or conn.broken:
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class PostgresDatabase:
    """A connection pool to one database, its schema migrated on open.

    ``timeout`` (QA_BACKEND_TIMEOUT) bounds every wait for the server, so a request never
    hangs longer however many wait at once: connecting (``connect_timeout``), waiting for a
    free connection (the pool's ``timeout``), a statement or a lock (the server's
    ``statement_timeout`` and ``lock_timeout``, which leave the connection usable) and, for a
    server that does not answer at all, every wait for its reply (``BoundedConnection``,
    ``tcp_user_timeout``). A connection the server closed (a restart) is noticed on its socket
    before it is handed out: all pooled connections are then replaced (``drain``), so the
    first requests after a restart do not fail (checking each connection with a round trip
    before every use instead doubled the round trips of a question: p50 +40 ms of 110).
    Every session also gets ``tuning.retrieval.POSTGRES_SESSION`` (JIT off) when it connects.
    """

    def __init__(self, url: str, *, timeout: float = 5.0, pool_size: int = 10) -> None:
        self.url = url
        self.timeout = timeout
        self._down_at: float | None = None  # when the server was last found unreachable
        self._down_reason = ""
        self._probe = threading.Lock()  # held by the one request asking if it is back
        server_ms = max(1, round(timeout * 1000))
        self.pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=timeout,
            # A server that stays away: give up a reconnection attempt soon and let the next
            # request start a fresh one, instead of backing off for minutes (1, 2, 4 ... s
            # between attempts kept replicas failing for seconds after the server was back).
            reconnect_timeout=timeout,
            connection_class=BoundedConnection,
            configure=self._configure,
            kwargs={
                "autocommit": True,
                "connect_timeout": max(1, round(timeout)),
                "tcp_user_timeout": server_ms,
                "options": " ".join(
                    f"-c {name}={value}"
                    for name, value in {
                        "statement_timeout": server_ms,
                        "lock_timeout": server_ms,
                        **POSTGRES_SESSION,
                    }.items()
                ),
            },
            open=False,
            name="qa-postgres",
        )
        with unavailable_as_error():
            try:
                self.pool.open(wait=True, timeout=timeout)
            except psycopg_pool.PoolTimeout:
                self._raise_why_not()
                raise
            with self.pool.connection() as conn, self.unbounded(conn):
                migrations.migrate(conn)

    def _raise_why_not(self) -> None:
        """The pool says only "initialization incomplete"; one connection of our own says
        why (no such database, authentication, refused), for the start-up message."""
        kwargs = {"autocommit": True, "connect_timeout": max(1, round(self.timeout))}
        with psycopg.connect(self.url, **kwargs):  # type: ignore[arg-type]
            pass

    def _configure(self, conn: psycopg.Connection) -> None:
        # The client's bound comes after the server's, so a slow statement ends as the
        # server's clean error and keeps its connection; only silence closes one.
        conn.server_timeout = self.timeout + BACKEND_CLIENT_MARGIN_S  # type: ignore[attr-defined]
        conn.answered = self._answered  # type: ignore[attr-defined]

    def _answered(self) -> None:
        """The server replied: it is back (a probe that holds its connection for a whole
        write must not keep the others failing fast meanwhile)."""
        if self._down_at is not None:
            self._down_at = None

    @contextmanager
    def unbounded(self, conn: psycopg.Connection) -> Iterator[None]:
        """No time limit on ``conn`` (migrations, operators' scans): they may take minutes."""
        conn.execute("SET statement_timeout = 0")
        conn.execute("SET lock_timeout = 0")
        bound, conn.server_timeout = conn.server_timeout, None  # type: ignore[attr-defined]
        try:
            yield
        finally:
            conn.server_timeout = bound  # type: ignore[attr-defined]
            if not conn.closed and not conn.broken:
                conn.execute("RESET statement_timeout")
                conn.execute("RESET lock_timeout")

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        probing = self._admit()
        conn = None
        try:
            conn = self._getconn()
            try:
                with conn:
                    yield conn
            finally:
                self.pool.putconn(conn)
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout, psycopg_pool.PoolClosed) as exc:
            if conn is None or conn.closed or conn.broken:  # not a statement's or lock's timeout
                self._down_at, self._down_reason = time.monotonic(), _reason(exc)
            raise BackendUnavailable(ENGINE, _reason(exc), timed_out=_timed_out(exc)) from None
        else:
            self._down_at = None
        finally:
            if probing:
                self._probe.release()

    def _admit(self) -> bool:
        """Raise BackendUnavailable at once while the server was found down moments ago, or
        while another request is asking whether it is back (BACKEND_QUIET_S): requests
        queued for the answer threads would otherwise wait their timeouts one after the
        other. Returns whether this caller is that probe."""
        down_at = self._down_at
        if down_at is None:
            return False
        if time.monotonic() - down_at < BACKEND_QUIET_S or not self._probe.acquire(False):
            raise BackendUnavailable(ENGINE, self._down_reason)
        return True

    def _getconn(self) -> BoundedConnection:
        deadline = time.monotonic() + self.timeout
        conn = self.pool.getconn()
        if _closed_by_server(conn):
            # One closed by the server means all from before its restart are: replace
            # them all at once (no round trip), and wait for a new one.
            self.pool.drain()
            self.pool.putconn(conn)
            conn = self.pool.getconn(max(0.001, deadline - time.monotonic()))
        return conn

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor]:
        with self.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def query(self, sql: str, params: Any = ()) -> list[tuple]:
        with self.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def ping(self) -> None:
        """Raise BackendUnavailable unless the server answers now."""
        self.query("SELECT 1")

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time across every replica: a session advisory lock, released
        by the server itself if the process holding it dies. Waiting for it is bounded by
        ``lock_timeout`` (the backend timeout): WritesBusy (a 503) after that."""
        with self.connection() as conn:
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK,))
            except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
                # lock_timeout or statement_timeout, whichever the server noticed first
                raise WritesBusy(
                    f"another write holds the writers' lock for more than {self.timeout:g} s; "
                    "try again shortly"
                ) from None
            try:
                yield
            except BackendUnavailable as exc:
                if exc.timed_out and exc.engine == ENGINE:
                    # The unlock would wait as long again: ending the session releases the
                    # lock too, once the server reads again.
                    conn.close()
                raise
            finally:
                if not conn.closed and not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))

    @contextmanager
    def seeding_lock(self) -> Iterator[None]:
        """One replica seeds at a time (qa_service/seeding.py): a session advisory lock,
        asked for again every SEEDING_LOCK_POLL_S for as long as another replica seeds (each
        ask bounded by the timeout; a replica that dies releases it)."""
        with self.connection() as conn:
            ask = "SELECT pg_try_advisory_lock(%s)"
            while not conn.execute(ask, (_SEEDING_LOCK,)).fetchone()[0]:  # type: ignore[index]
                log.info("another replica is ingesting the seed articles; waiting for it")
                time.sleep(SEEDING_LOCK_POLL_S)
            try:
                yield
            finally:
                if not conn.closed and not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_SEEDING_LOCK,))


# ``sentences_with_vectors``: part 0 = the spans of the chunks, part 1 = the vectors of those
# spans, of the sentences asked, and of the sentence before each.
_SENTENCES_WITH_VECTORS = """
WITH best AS (
    SELECT s.doc_id, s.ord, s.chunk_ord, s.start, s."end", s.kind, s.text
    FROM sentences AS s JOIN unnest(%s::text[], %s::int[]) AS k(doc_id, ord)
    ON s.doc_id = k.doc_id AND s.chunk_ord = k.ord
), asked AS (
    SELECT doc_id, ord FROM best
    UNION SELECT * FROM unnest(%s::text[], %s::int[]) AS k(doc_id, ord)
), wanted AS (
    SELECT doc_id, ord FROM asked UNION SELECT doc_id, ord - 1 FROM asked WHERE ord > 0
)
SELECT 0, b.doc_id, b.ord, b.chunk_ord, b.start, b."end", b.kind, b.text, NULL::bytea
FROM best AS b
UNION ALL
SELECT 1, s.doc_id, s.ord, NULL, NULL, NULL, NULL, NULL, s.vector
FROM sentences AS s JOIN wanted AS w ON s.doc_id = w.doc_id AND s.ord = w.ord
WHERE s.vector IS NOT NULL
ORDER BY 1, 2, 3
"""


class DocumentContents(NamedTuple):
    """One version of a document as stored: immutable once written (a new version gets a
    new version id), so a replica may keep it for as long as the version is current."""

    version: str
    sentences: np.ndarray | None  # the stored sentence vectors (None: one is missing)
    chunks: list[ChunkSpan]
    text: str
    spans: list[SentenceSpan]


def _key_arrays(keys: Sequence[Key]) -> tuple[list[str], list[int]]:
    return [k[0] for k in keys], [int(k[1]) for k in keys]


class PostgresDocumentStore:
    """The ``DocumentStore`` over PostgreSQL. Owns ``db`` (closing the store closes it)."""

    def __init__(self, db: PostgresDatabase, retention: Retention = Retention()) -> None:
        self.db = db
        self.retention = retention
        self._purge = PurgeClock(retention)

    def close(self) -> None:
        self.db.close()

    def get_property(self, name: str) -> str | None:
        rows = self.db.query("SELECT value FROM properties WHERE name = %s", (name,))
        return rows[0][0] if rows else None

    def set_property_if_absent(self, name: str, value: str) -> str:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO properties (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (name, value),
            )
        return self.get_property(name) or value

    # -- documents -------------------------------------------------------------------------

    def _documents(self, where: str, params: Any, with_text: bool = False) -> list[DocumentRecord]:
        columns = DOC_COLUMNS + (", text" if with_text else "")
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(f"SELECT {columns} FROM documents {where}", params).fetchall()
        return [document_record(r, with_text) for r in rows]

    def get(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord | None:
        if not _storable(doc_id):
            return None
        found = self._documents("WHERE id = %s", (doc_id,), with_text)
        return found[0] if found else None

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        found = self._documents("WHERE content_hash = %s LIMIT 1", (content_hash,))
        return found[0] if found else None

    def page(
        self, *, offset: int, limit: int, order: DocumentOrder = "oldest"
    ) -> list[DocumentRecord]:
        return self._documents(f"ORDER BY {PAGE_ORDER[order]} LIMIT %s OFFSET %s", (limit, offset))

    def articles(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]:
        """One query for all of them (a question used to read each title and text alone)."""
        if not doc_ids:
            return {}
        found = self._documents("WHERE id = ANY(%s)", (list(doc_ids),), with_text=True)
        return {r.id: r for r in found}

    def versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        rows = self.db.query(
            "SELECT id, version FROM documents WHERE id = ANY(%s)", (list(doc_ids),)
        )
        return {r[0]: r[1] for r in rows}

    def change_count(self) -> int:
        """How many writes of documents (ingest, delete, metadata) every replica has made:
        one indexed row, read once per question by the in-memory copy (mirror.py)."""
        rows = self.db.query("SELECT n FROM counters WHERE name = %s", (CHANGES,))
        return int(rows[0][0]) if rows else 0

    def all_records(self) -> dict[str, DocumentRecord]:
        """Every current document's record (no text)."""
        return {r.id: r for r in self._documents("", ())}

    def document_vectors(self, doc_ids: Sequence[str]) -> dict[str, DocumentContents]:
        """Each known document's version, text, spans and stored vectors, read in one
        snapshot (REPEATABLE READ): what a replica's in-memory copy holds of a version, which
        never changes once written."""
        if not doc_ids:
            return {}
        ids = list(doc_ids)
        with self.db.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            docs = cur.execute(
                "SELECT id, version, text FROM documents WHERE id = ANY(%s)", (ids,)
            ).fetchall()
            sentences = cur.execute(
                'SELECT doc_id, ord, chunk_ord, start, "end", kind, text, vector '
                "FROM sentences WHERE doc_id = ANY(%s) ORDER BY doc_id, ord",
                (ids,),
            ).fetchall()
            chunks = cur.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE doc_id = ANY(%s) ORDER BY doc_id, ord",
                (ids,),
            ).fetchall()
        spans: dict[str, list[tuple]] = {}
        for row in sentences:
            spans.setdefault(row[0], []).append(row)
        chunk_spans: dict[str, list[ChunkSpan]] = {}
        for row in chunks:
            chunk_spans.setdefault(row[0], []).append(ChunkSpan(*row))
        out = {}
        for doc_id, version, text in docs:
            rows = spans.get(doc_id, [])
            vectors = None
            if all(r[7] is not None for r in rows):
                vectors = np.zeros((len(rows), 0), dtype=np.float32)
                if rows:
                    vectors = np.stack([np.frombuffer(r[7], dtype=np.float32) for r in rows])
            out[doc_id] = DocumentContents(
                version,
                vectors,
                chunk_spans.get(doc_id, []),
                text,
                [SentenceSpan(*r[:7]) for r in rows],
            )
        return out

    def quote(self, doc_id: str, start: int, end: int) -> str | None:
        text = self.text(doc_id)
        return None if text is None else text[start:end]

    def text(self, doc_id: str) -> str | None:
        if not _storable(doc_id):
            return None
        rows = self.db.query("SELECT text FROM documents WHERE id = %s", (doc_id,))
        return rows[0][0] if rows else None

    def counts(self) -> IndexCounts:
        """From counters the writes keep: O(1)."""
        n = dict(self.db.query("SELECT name, n FROM counters"))
        return IndexCounts(int(n["documents"]), int(n["chunks"]), int(n["sentences"]))

    def update_metadata(self, doc_id: str, fields: dict[str, Any]) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE documents SET title = %s, source = %s, published_at = %s, "
                "metadata = %s, updated_at = %s WHERE id = %s",
                (*metadata_values(fields), time.time(), doc_id),
            )
            self._count(cur, CHANGES, 1, 0)

    def replace(
        self,
        record: DocumentRecord,
        text: str,
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        sentence_vectors: np.ndarray,
    ) -> None:
        """Write a document version, removing any previous one, in one transaction."""
        new_sentences = sentence_rows(record.id, text, sentences, chunks, sentence_vectors)
        chunk_terms = [index_terms(text[c.start : c.end]) for c in chunks]
        sentence_terms = [index_terms(text[s.start : s.end]) for s in sentences]
        with self.db.transaction() as cur:
            cur.execute("SELECT created_at FROM documents WHERE id = %s", (record.id,))
            old = cur.fetchone()
            self._delete_rows(cur, record.id)
            cur.execute(
                f"INSERT INTO documents ({DOC_COLUMNS}, text) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                document_row(
                    record,
                    text,
                    len(chunks),
                    len(sentences),
                    old[0] if old else (record.created_at or None),  # a copy keeps its date
                ),
            )
            for kind, columns, span_rows, terms_of in (
                ("chunks", CHUNK_COLUMNS, chunk_rows(record.id, chunks), chunk_terms),
                ("sentences", SENTENCE_COLUMNS, new_sentences, sentence_terms),
            ):
                with cur.copy(f"COPY {kind} ({columns}, terms, n_terms) FROM STDIN") as copy:
                    for row, terms in zip(span_rows, terms_of, strict=True):
                        copy.write_row((*row, terms, len(terms)))
                cur.execute(keyword.POSTINGS_OF_DOCUMENT.format(kind=kind), {"doc_id": record.id})
            self._count(cur, "documents", 1, 0)
            self._count(cur, CHANGES, 1, 0)
            for kind, rows in (("chunks", chunk_terms), ("sentences", sentence_terms)):
                self._count(cur, kind, len(rows), sum(len(t) for t in rows))
                bounds = keyword.term_bounds(rows)
                if bounds:
                    terms = sorted(bounds)  # one order for every writer: no deadlock
                    cur.execute(
                        "INSERT INTO term_rows (kind, term, n, max_tf, min_dl) "
                        "SELECT %s, * FROM unnest(%s::text[], %s::bigint[], %s::int[], "
                        "%s::int[]) ON CONFLICT (kind, term) DO UPDATE SET "
                        "n = term_rows.n + excluded.n, "
                        "max_tf = GREATEST(term_rows.max_tf, excluded.max_tf), "
                        "min_dl = LEAST(term_rows.min_dl, excluded.min_dl)",
                        (kind, terms, *([bounds[t][i] for t in terms] for i in range(3))),
                    )

    @staticmethod
    def _count(cur: psycopg.Cursor, name: str, rows: int, terms: int) -> None:
        cur.execute(
            "UPDATE counters SET n = n + %s, terms = terms + %s WHERE name = %s",
            (rows, terms, name),
        )

    def delete(self, doc_id: str) -> bool:
        if not _storable(doc_id):
            return False
        with self.db.transaction() as cur:
            return self._delete_rows(cur, doc_id)

    def _delete_rows(self, cur: psycopg.Cursor, doc_id: str) -> bool:
        cur.execute("SELECT 1 FROM documents WHERE id = %s FOR UPDATE", (doc_id,))
        if cur.fetchone() is None:
            return False
        for kind in ("chunks", "sentences"):
            cur.execute(keyword.DELETE_POSTINGS_OF_DOCUMENT.format(kind=kind), {"doc_id": doc_id})
            cur.execute(
                f"UPDATE term_rows AS t SET n = t.n - d.n FROM ("
                f"  SELECT term, count(DISTINCT s.id) AS n FROM {kind} AS s, unnest(s.terms) "
                f"  AS term WHERE s.doc_id = %s GROUP BY term ORDER BY term"
                f") AS d WHERE t.kind = %s AND t.term = d.term RETURNING t.term, t.n",
                (doc_id, kind),
            )
            # Terms no span holds any more: a row of n = 0 adds nothing to any score, but the
            # vocabulary would only ever grow (1,200 rows after deleting a 600-sentence
            # article). A later write of the term inserts its row afresh.
            gone = sorted(term for term, n in cur.fetchall() if n <= 0)
            if gone:
                cur.execute(
                    "DELETE FROM term_rows WHERE kind = %s AND term = ANY(%s) AND n <= 0",
                    (kind, gone),
                )
            cur.execute(
                f"UPDATE counters SET n = counters.n - d.n, terms = counters.terms - d.terms FROM ("
                f"  SELECT count(*) AS n, COALESCE(sum(n_terms), 0) AS terms FROM {kind} "
                f"  WHERE doc_id = %s) AS d WHERE name = %s",
                (doc_id, kind),
            )
        cur.execute("DELETE FROM documents WHERE id = %s", (doc_id,))  # spans: ON DELETE CASCADE
        self._count(cur, "documents", -1, 0)
        self._count(cur, CHANGES, 1, 0)
        return True

    # -- journal of vector-store work in flight ------------------------------------------

    def journal_add(self, entry: JournalEntry) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO journal (doc_id, version, op) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                tuple(entry),
            )

    def journal_remove(self, entry: JournalEntry) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM journal WHERE doc_id = %s AND version = %s AND op = %s",
                tuple(entry),
            )

    def journal(self) -> list[JournalEntry]:
        return [JournalEntry(*r) for r in self.db.query("SELECT doc_id, version, op FROM journal")]

    # -- lookups used at query time ------------------------------------------------------

    def _sentences(self, where: str, keys: Sequence[Key], order: str = "") -> list:
        return self.db.query(
            'SELECT s.doc_id, s.ord, s.chunk_ord, s.start, s."end", s.kind, s.text '
            "FROM sentences AS s JOIN unnest(%s::text[], %s::int[]) AS k(doc_id, ord) "
            f"ON {where} {order}",
            _key_arrays(keys),
        )

    def sentences_by_key(self, keys: Sequence[Key]) -> dict[Key, SentenceSpan]:
        if not keys:
            return {}
        rows = self._sentences("s.doc_id = k.doc_id AND s.ord = k.ord", keys)
        return {(r[0], r[1]): SentenceSpan(*r) for r in rows}

    def sentence_vectors(self, keys: Sequence[Key]) -> dict[Key, np.ndarray]:
        if not keys:
            return {}
        rows = self.db.query(
            "SELECT s.doc_id, s.ord, s.vector FROM sentences AS s "
            "JOIN unnest(%s::text[], %s::int[]) AS k(doc_id, ord) "
            "ON s.doc_id = k.doc_id AND s.ord = k.ord WHERE s.vector IS NOT NULL",
            _key_arrays(keys),
        )
        return {(r[0], r[1]): np.frombuffer(r[2], dtype=np.float32) for r in rows}

    def sentences_of_chunks(self, keys: Sequence[Key]) -> list[SentenceSpan]:
        if not keys:
            return []
        rows = self._sentences(
            "s.doc_id = k.doc_id AND s.chunk_ord = k.ord", keys, "ORDER BY s.doc_id, s.ord"
        )
        return [SentenceSpan(*r) for r in rows]

    def sentences_within(self, doc_id: str, start: int, end: int) -> list[SentenceSpan]:
        rows = self.db.query(
            'SELECT doc_id, ord, chunk_ord, start, "end", kind, text FROM sentences '
            'WHERE doc_id = %s AND start >= %s AND "end" <= %s ORDER BY ord',
            (doc_id, start, end),
        )
        return [SentenceSpan(*r) for r in rows]

    def sentences_with_vectors(
        self, chunks: Sequence[Key], sentences: Sequence[Key]
    ) -> tuple[list[SentenceSpan], dict[Key, np.ndarray]]:
        """One statement: the spans first, by document then position (``sentences_of_chunks``'
        order and collation), then the vectors."""
        if not chunks and not sentences:
            return [], {}
        rows = self.db.query(
            _SENTENCES_WITH_VECTORS, (*_key_arrays(chunks), *_key_arrays(sentences))
        )
        spans = [SentenceSpan(*r[1:8]) for r in rows if r[0] == 0]
        vectors = {(r[1], r[2]): np.frombuffer(r[8], dtype=np.float32) for r in rows if r[0] == 1}
        return spans, vectors

    def chunks_by_key(self, keys: Sequence[Key]) -> dict[Key, ChunkSpan]:
        if not keys:
            return {}
        rows = self.db.query(
            'SELECT c.doc_id, c.ord, c.start, c."end", c.first_sentence, c.last_sentence '
            "FROM chunks AS c JOIN unnest(%s::text[], %s::int[]) AS k(doc_id, ord) "
            "ON c.doc_id = k.doc_id AND c.ord = k.ord",
            _key_arrays(keys),
        )
        return {(r[0], r[1]): ChunkSpan(*r) for r in rows}

    def search_sentences(self, query: str, limit: int) -> list[LexicalHit]:
        """BM25 over sentences, best first."""
        return self._search("sentences", query, limit)

    def search_chunks(self, query: str, limit: int) -> list[LexicalHit]:
        """BM25 over chunks, best first."""
        return self._search("chunks", query, limit)

    def merge_keyword_segments(self, pages: int) -> bool:
        """The keyword postings are plain tables (postgres/keyword.py): no segments."""
        return False

    def _search(self, kind: str, query: str, limit: int) -> list[LexicalHit]:
        return keyword.search(self.db, kind, query_terms(query), limit).hits

    def keyword_search(self, kind: str, query: str, limit: int) -> keyword.KeywordResult:
        """The service's keyword search (from the postings) with the terms it read."""
        return keyword.search(self.db, kind, query_terms(query), limit)

    def keyword_search_spans(
        self, kind: str, query: str, limit: int, *, prune: bool = True
    ) -> keyword.KeywordResult:
        """The reference search over the spans' terms, with the terms each round scanned
        (``prune=False``: score every span holding any term); benchmarks and tests compare."""
        return keyword.search_spans(self.db, kind, query_terms(query), limit, prune=prune)

    def explain_search(self, kind: str, query: str) -> str:
        """The plan of a keyword query (tests assert it reads the postings' index only)."""
        return keyword.explain(self.db, kind, query_terms(query))

    def explain_search_spans(self, kind: str, query: str, *, prune: bool = True) -> str:
        """The plan of the reference search's first round (the GIN index)."""
        return keyword.explain_spans(self.db, kind, query_terms(query), prune=prune)

    # -- conversations ---------------------------------------------------------------------
    # ``owner``: the id of the key that started the conversation (None: anonymous). Another
    # owner's conversation is absent to every method; NULL matches only NULL.

    def _require(self, cur: psycopg.Cursor, conversation_id: str, owner: str | None) -> tuple:
        if not _storable(conversation_id):
            raise _not_found(conversation_id)
        cur.execute(
            "SELECT id, created_at, updated_at FROM conversations "
            "WHERE id = %s AND owner IS NOT DISTINCT FROM %s::text AND updated_at >= %s",
            (conversation_id, owner, self.retention.expired_before(time.time())),
        )
        head = cur.fetchone()
        if head is None:
            raise _not_found(conversation_id)
        return head

    def recent_turns(
        self, conversation_id: str, limit: int, *, owner: str | None = None
    ) -> list[StoredTurn]:
        """The last ``limit`` turns, oldest first."""
        with self.db.transaction() as cur:
            self._require(cur, conversation_id, owner)
            cur.execute(
                f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = %s "
                "ORDER BY ord DESC LIMIT %s",
                (conversation_id, max(limit, 0)),
            )
            rows = cur.fetchall()
        return [stored_turn(row) for row in reversed(rows)]

    def conversation(self, conversation_id: str, *, owner: str | None = None) -> Conversation:
        with self.db.transaction() as cur:
            head = self._require(cur, conversation_id, owner)
            cur.execute(
                f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = %s ORDER BY ord",
                (conversation_id,),
            )
            rows = cur.fetchall()
        return Conversation(head[0], head[1], head[2], [stored_turn(row) for row in rows])

    def append_turn(
        self, conversation_id: str, turn: NewTurn, *, create: bool, owner: str | None = None
    ) -> StoredTurn:
        """Add a turn; ``create`` starts the conversation (``owner``'s) in the same
        transaction."""
        now = time.time()
        expired_before = self.retention.expired_before(now)
        if not _storable(conversation_id):
            raise _not_found(conversation_id)
        with self.db.transaction() as cur:
            if create:
                if self._purge.due(now):
                    cur.execute(
                        "DELETE FROM conversations WHERE updated_at < %s", (expired_before,)
                    )
                    self._purge.purged(now)
                cur.execute(
                    "INSERT INTO conversations (id, created_at, updated_at, owner) "
                    "VALUES (%s, %s, %s, %s)",
                    (conversation_id, now, now, owner),
                )
            else:
                # The row lock also orders two turns of one conversation sent at once.
                cur.execute(
                    "UPDATE conversations SET updated_at = %s "
                    "WHERE id = %s AND owner IS NOT DISTINCT FROM %s::text AND updated_at >= %s",
                    (now, conversation_id, owner, expired_before),
                )
                if not cur.rowcount:
                    raise _not_found(conversation_id)  # or deleted (expired) while answering
            cur.execute(
                "SELECT COALESCE(max(ord) + 1, 0) FROM turns WHERE conversation_id = %s",
                (conversation_id,),
            )
            (ord_,) = cur.fetchone() or (0,)
            row = turn_row(conversation_id, ord_, turn, now)
            cur.execute(
                f"INSERT INTO turns ({TURN_COLUMNS}) VALUES ({', '.join(['%s'] * len(row))})",
                row,
            )
            cur.execute(
                "DELETE FROM turns WHERE conversation_id = %s AND ord < %s",
                (conversation_id, self.retention.first_kept(ord_)),
            )
        return stored_turn(row)

    def import_conversation(self, conversation: Conversation, owner: str | None = None) -> bool:
        """Store a whole conversation copied from elsewhere; False if its id exists."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO conversations (id, created_at, updated_at, owner) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (conversation.id, conversation.created_at, conversation.updated_at, owner),
            )
            if not cur.rowcount:
                return False
            cur.executemany(
                f"INSERT INTO turns ({TURN_COLUMNS}) VALUES ({', '.join(['%s'] * 11)})",
                [turn_row(t.conversation_id, t.ord, t, t.created_at) for t in conversation.turns],
            )
        return True

    def delete_conversation(
        self, conversation_id: str, *, owner: str | None = None, any_owner: bool = False
    ) -> None:
        if not _storable(conversation_id):
            raise _not_found(conversation_id)
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM conversations WHERE id = %s "
                "AND (%s OR owner IS NOT DISTINCT FROM %s::text) AND updated_at >= %s",
                (conversation_id, any_owner, owner, self.retention.expired_before(time.time())),
            )
            if not cur.rowcount:
                raise _not_found(conversation_id)

    # -- API keys and the audit log (every replica reads the same ones) ------------------

    def add_key(self, key: KeyRecord) -> None:
        """Raises KeyExists when the name is taken (revoked keys keep their names)."""
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    f"INSERT INTO api_keys ({KEY_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    key_row(key),
                )
        except psycopg.errors.UniqueViolation:
            raise KeyExists(f"a key named {key.name!r} exists already") from None

    def api_keys(self) -> list[KeyRecord]:
        """Every key, revoked ones too, oldest first."""
        rows = self.db.query(f"SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, name")
        return [key_record(row) for row in rows]

    def revoke_key(self, name: str, at: float, *, keep_an_admin: bool = False) -> bool:
        """Mark revoked (the first time is kept); False: no key of that name. With
        ``keep_an_admin`` the revocations take turns (a transaction-level advisory lock), and
        each counts the active admin keys after the one before it has committed."""
        with self.db.transaction() as cur:
            if keep_an_admin:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_ADMIN_LOCK,))
                cur.execute(ACTIVE_ADMINS)
                refuse_last_admin(name, [row[0] for row in cur.fetchall()])
            cur.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, %s) WHERE name = %s",
                (at, name),
            )
            return cur.rowcount > 0

    def touch_key(self, key_id: str, at: float) -> None:
        with self.db.transaction() as cur:
            cur.execute("UPDATE api_keys SET last_used_at = %s WHERE id = %s", (at, key_id))

    def add_audit(self, entry: AuditEntry) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                f"INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                audit_row(entry),
            )

    def audit(self, *, offset: int, limit: int) -> list[AuditEntry]:
        """Newest first (by insertion order)."""
        rows = self.db.query(
            f"SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT %s OFFSET %s",
            (limit, offset),
        )
        return [AuditEntry(*row) for row in rows]

    def has_audit(self, entry: AuditEntry) -> bool:
        """Whether this very entry (time, key, action, document, hash, detail) is here."""
        return bool(self.db.query(f"SELECT 1 WHERE {_SAME_AUDIT}", audit_row(entry)))

    def import_audit(self, entries: Sequence[AuditEntry]) -> int:
        """Append entries copied from elsewhere, oldest first, skipping any already here
        (the same time, key, action, document, hash and detail); returns how many were new."""
        added = 0
        with self.db.transaction() as cur:
            for entry in entries:
                cur.execute(
                    f"INSERT INTO audit_log ({AUDIT_COLUMNS}) "
                    f"SELECT %s, %s, %s, %s, %s, %s WHERE NOT {_SAME_AUDIT}",
                    audit_row(entry) * 2,
                )
                added += cur.rowcount
        return added


_SAME_AUDIT = (
    "EXISTS (SELECT 1 FROM audit_log WHERE at = %s AND key_name IS NOT DISTINCT FROM %s::text "
    "AND action = %s AND document_id IS NOT DISTINCT FROM %s::text "
    "AND content_hash IS NOT DISTINCT FROM %s::text AND detail IS NOT DISTINCT FROM %s::text)"
)


def _storable(name: str) -> bool:
    """Whether PostgreSQL can hold ``name`` as text: never a NUL. An id with one names
    nothing stored (embedded mode's answer too: 404), instead of a DataError (a 500)."""
    return "\x00" not in name


def _not_found(conversation_id: str) -> ConversationNotFound:
    return ConversationNotFound(f"no conversation with id {conversation_id!r}")
