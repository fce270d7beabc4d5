"""SQLite store of articles, their sentence and chunk spans, and the BM25 (FTS5) index.

One transaction replaces everything of a document, so readers see either the old or the
new version, never a mix. The ``journal`` table records vector-store work in flight so a
crash between SQLite and Chroma is repaired at the next start (see index.py).

Query-time lookups are kept O(result), not O(corpus): each sentence row carries its vector
(float32 blob), so scoring candidate sentences needs no vector-store round trip; ``counters``
is maintained by triggers, so ``counts()`` does not scan tables; article texts and records
read by the answerer are cached in memory until any connection (this process or another
worker) commits a change, which ``PRAGMA data_version`` reveals.
"""

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.models import Chunk, Sentence
from qa_service.retrieval.lexical import index_text, match_query

_SCHEMA = """
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT,
    source TEXT,
    published_at TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    text TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    n_sentences INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    first_sentence INTEGER NOT NULL,
    last_sentence INTEGER NOT NULL,
    UNIQUE (doc_id, ord)
);
CREATE TABLE IF NOT EXISTS sentences (
    rowid INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    chunk_ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (doc_id, ord)
);
CREATE VIRTUAL TABLE IF NOT EXISTS sentence_fts USING fts5(tokens);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(tokens);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS properties (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    op TEXT NOT NULL,
    PRIMARY KEY (doc_id, version, op)
);
"""

SCHEMA_VERSION = 2
"""1: the first layout; 2: ``sentences.vector`` and ``counters`` (migrated on open)."""

_COUNTED = ("documents", "chunks", "sentences")
_COUNTER_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS count_{t}_{event} AFTER {event.upper()} ON {t} "
    f"BEGIN UPDATE counters SET n = n {sign} 1 WHERE name = '{t}'; END"
    for t in _COUNTED
    for event, sign in (("insert", "+"), ("delete", "-"))
]
_CACHED_TEXTS = 256  # articles kept in memory for quotes ...
_CACHED_CHARS = 16_000_000  # ... and at most this many characters of them


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: str
    version: str
    content_hash: str
    title: str | None
    source: str | None
    published_at: str | None
    metadata: dict[str, Any]
    n_chunks: int
    n_sentences: int
    created_at: float
    updated_at: float
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SentenceRow:
    rowid: int
    doc_id: str
    ord: int
    chunk_ord: int
    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class ChunkRow:
    rowid: int
    doc_id: str
    ord: int
    start: int
    end: int
    first_sentence: int
    last_sentence: int


_DOC_COLUMNS = (
    "id, version, content_hash, title, source, published_at, metadata, n_chunks, n_sentences, "
    "created_at, updated_at"
)


def _document(row: sqlite3.Row, with_text: bool = False) -> DocumentRecord:
    return DocumentRecord(
        id=row["id"],
        version=row["version"],
        content_hash=row["content_hash"],
        title=row["title"],
        source=row["source"],
        published_at=row["published_at"],
        metadata=json.loads(row["metadata"]),
        n_chunks=row["n_chunks"],
        n_sentences=row["n_sentences"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        text=row["text"] if with_text else None,
    )


class DocStore:
    """Thread-safe access to the SQLite file; one connection, serialised by a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._migrate()
        self._data_version = -1
        self.outside_commits = 0  # commits of other connections seen so far (``changed``)
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._cached_chars = 0
        self._records: dict[str, DocumentRecord | None] = {}

    def _migrate(self) -> None:
        """Create or upgrade the layout in place; old indexes keep working without a rebuild.

        Safe when several workers open the store at once: the upgrade is one IMMEDIATE
        transaction and every step checks what is already there.
        """
        with self._lock:
            self._conn.executescript(_SCHEMA)
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                columns = {r[1] for r in self._conn.execute("PRAGMA table_info(sentences)")}
                if "vector" not in columns:
                    self._conn.execute("ALTER TABLE sentences ADD COLUMN vector BLOB")
                known = {r[0] for r in self._conn.execute("SELECT name FROM counters")}
                for table in _COUNTED:
                    if table not in known:  # once: a new store, or one from before counters
                        self._conn.execute(
                            f"INSERT INTO counters (name, n) SELECT '{table}', count(*) "
                            f"FROM {table}"
                        )
                for statement in _COUNTER_TRIGGERS:
                    self._conn.execute(statement)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

    def set_schema_version(self, version: int) -> None:
        with self._lock:
            self._conn.execute(f"PRAGMA user_version = {int(version)}")

    def get_property(self, name: str) -> str | None:
        """A value recorded about the whole index (e.g. which embedder wrote its vectors)."""
        rows = self._query("SELECT value FROM properties WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def set_property_if_absent(self, name: str, value: str) -> str:
        """Record ``value`` unless one is already there; returns the value in force."""
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO properties (name, value) VALUES (?, ?)", (name, value)
            )
        return self.get_property(name) or value

    def _fresh(self) -> None:
        """Drop cached reads if any connection committed since they were made (lock held)."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self.outside_commits += self._data_version != -1
            self._data_version = version
            self._forget()

    def changed(self) -> int:
        """How many times other connections (processes) have committed, as seen until now."""
        with self._lock:
            self._fresh()
            return self.outside_commits

    def _forget(self) -> None:
        """Drop cached reads: another connection committed (seen by ``_fresh``), or this one
        wrote, which data_version does not report."""
        with self._lock:
            self._texts.clear()
            self._cached_chars = 0
            self._records.clear()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._forget()
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- documents -------------------------------------------------------------------------

    def get(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord | None:
        if not with_text:
            with self._lock:
                self._fresh()
                if doc_id in self._records:
                    return self._records[doc_id]
        columns = _DOC_COLUMNS + (", text" if with_text else "")
        with self._lock:
            self._fresh()
            rows = self._conn.execute(
                f"SELECT {columns} FROM documents WHERE id = ?", (doc_id,)
            ).fetchall()
            record = _document(rows[0], with_text) if rows else None
            if not with_text:
                if len(self._records) >= 4 * _CACHED_TEXTS:
                    self._records.clear()
                self._records[doc_id] = record
        return record

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        rows = self._query(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE content_hash = ? LIMIT 1",
            (content_hash,),
        )
        return _document(rows[0]) if rows else None

    def page(self, *, offset: int, limit: int) -> list[DocumentRecord]:
        rows = self._query(
            f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY created_at, id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_document(r) for r in rows]

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        marks = ",".join("?" * len(doc_ids))
        rows = self._query(f"SELECT id, text FROM documents WHERE id IN ({marks})", doc_ids)
        return {r["id"]: r["text"] for r in rows}

    def versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Current content version of each known document."""
        if not doc_ids:
            return {}
        return {r[0]: r[1] for r in self._query(_versions_sql(len(doc_ids)), list(doc_ids))}

    def quote(self, doc_id: str, start: int, end: int) -> str | None:
        """``text[start:end]`` of the stored article, read straight from the article text."""
        text = self.text(doc_id)
        return None if text is None else text[start:end]

    def text(self, doc_id: str) -> str | None:
        """The stored article text; recently used ones are served from memory."""
        with self._lock:
            self._fresh()
            text = self._texts.get(doc_id)
            if text is not None:
                self._texts.move_to_end(doc_id)
                return text
            row = self._conn.execute(
                "SELECT text FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
            if row is None:
                return None
            self._texts[doc_id] = row[0]
            self._cached_chars += len(row[0])
            while len(self._texts) > _CACHED_TEXTS or (
                self._cached_chars > _CACHED_CHARS and len(self._texts) > 1
            ):
                self._cached_chars -= len(self._texts.popitem(last=False)[1])
            return row[0]

    def counts(self) -> tuple[int, int, int]:
        """(documents, chunks, sentences), from trigger-maintained counters: O(1)."""
        n = {r[0]: int(r[1]) for r in self._query("SELECT name, n FROM counters")}
        return n["documents"], n["chunks"], n["sentences"]

    def update_metadata(self, doc_id: str, fields: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE documents SET title = ?, source = ?, published_at = ?, metadata = ?, "
                "updated_at = ? WHERE id = ?",
                (
                    fields["title"],
                    fields["source"],
                    fields["published_at"],
                    json.dumps(fields["metadata"], ensure_ascii=False),
                    time.time(),
                    doc_id,
                ),
            )

    def replace(
        self,
        record: DocumentRecord,
        text: str,
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        """Write a document version, removing any previous one, in one transaction."""
        if sentence_vectors is not None and len(sentence_vectors) != len(sentences):
            raise ValueError("one vector per sentence")
        chunk_of = {}
        for ord_, chunk in enumerate(chunks):
            for s in range(chunk.first_sentence, chunk.last_sentence + 1):
                chunk_of[s] = ord_
        with self._transaction() as conn:
            old = conn.execute(
                "SELECT created_at FROM documents WHERE id = ?", (record.id,)
            ).fetchone()
            self._delete_rows(conn, record.id)
            now = time.time()
            conn.execute(
                f"INSERT INTO documents ({_DOC_COLUMNS}, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id,
                    record.version,
                    record.content_hash,
                    record.title,
                    record.source,
                    record.published_at,
                    json.dumps(record.metadata, ensure_ascii=False),
                    len(chunks),
                    len(sentences),
                    old["created_at"] if old else now,
                    now,
                    text,
                ),
            )
            for ord_, chunk in enumerate(chunks):
                cur = conn.execute(
                    'INSERT INTO chunks (doc_id, ord, start, "end", first_sentence, last_sentence)'
                    " VALUES (?,?,?,?,?,?)",
                    (
                        record.id,
                        ord_,
                        chunk.start,
                        chunk.end,
                        chunk.first_sentence,
                        chunk.last_sentence,
                    ),
                )
                conn.execute(
                    "INSERT INTO chunk_fts (rowid, tokens) VALUES (?, ?)",
                    (cur.lastrowid, index_text(text[chunk.start : chunk.end])),
                )
            for ord_, sentence in enumerate(sentences):
                sentence_text = text[sentence.start : sentence.end]
                cur = conn.execute(
                    "INSERT INTO sentences "
                    '(doc_id, ord, chunk_ord, start, "end", kind, text, vector)'
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (
                        record.id,
                        ord_,
                        chunk_of[ord_],
                        sentence.start,
                        sentence.end,
                        sentence.kind,
                        sentence_text,
                        _blob(sentence_vectors[ord_]) if sentence_vectors is not None else None,
                    ),
                )
                conn.execute(
                    "INSERT INTO sentence_fts (rowid, tokens) VALUES (?, ?)",
                    (cur.lastrowid, index_text(sentence_text)),
                )

    def delete(self, doc_id: str) -> bool:
        with self._transaction() as conn:
            return self._delete_rows(conn, doc_id)

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, doc_id: str) -> bool:
        conn.execute(
            "DELETE FROM chunk_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_id = ?)",
            (doc_id,),
        )
        conn.execute(
            "DELETE FROM sentence_fts WHERE rowid IN "
            "(SELECT rowid FROM sentences WHERE doc_id = ?)",
            (doc_id,),
        )
        conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
        return conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,)).rowcount > 0

    # -- journal of vector-store work in flight ------------------------------------------

    def journal_add(self, doc_id: str, version: str, op: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO journal (doc_id, version, op) VALUES (?,?,?)",
                (doc_id, version, op),
            )

    def journal_remove(self, doc_id: str, version: str, op: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM journal WHERE doc_id = ? AND version = ? AND op = ?",
                (doc_id, version, op),
            )

    def journal(self) -> list[tuple[str, str, str]]:
        return [(r[0], r[1], r[2]) for r in self._query("SELECT doc_id, version, op FROM journal")]

    # -- lookups used at query time ------------------------------------------------------

    def sentences_by_key(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], SentenceRow]:
        """Sentences by (doc_id, ord); keys that no longer exist are simply absent."""
        if not keys:
            return {}
        clause = " OR ".join(["(doc_id = ? AND ord = ?)"] * len(keys))
        params = [v for key in keys for v in key]
        rows = self._query(
            f'SELECT rowid, doc_id, ord, chunk_ord, start, "end", kind, text '
            f"FROM sentences WHERE {clause}",
            params,
        )
        return {(r["doc_id"], r["ord"]): SentenceRow(*r) for r in rows}

    def sentence_vectors(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], np.ndarray]:
        """Vectors of current sentences by (doc_id, ord): one indexed read, no vector store.

        Rows always belong to the version SQLite holds, so no version filtering is needed.
        Keys without a stored vector (an index not yet migrated) are absent.
        """
        if not keys:
            return {}
        clause = " OR ".join(["(doc_id = ? AND ord = ?)"] * len(keys))
        params = [v for key in keys for v in key]
        rows = self._query(
            f"SELECT doc_id, ord, vector FROM sentences WHERE ({clause}) AND vector IS NOT NULL",
            params,
        )
        return {(r[0], r[1]): np.frombuffer(r[2], dtype=np.float32) for r in rows}

    def missing_vector_docs(self) -> list[tuple[str, str]]:
        """(doc_id, version) of documents with sentences lacking a stored vector (migration)."""
        rows = self._query(
            "SELECT DISTINCT d.id, d.version FROM sentences AS s JOIN documents AS d "
            "ON d.id = s.doc_id WHERE s.vector IS NULL"
        )
        return [(r[0], r[1]) for r in rows]

    def set_sentence_vectors(
        self, doc_id: str, version: str, vectors: dict[int, np.ndarray]
    ) -> None:
        """Fill in a document's sentence vectors, if that version is still the stored one."""
        with self._transaction() as conn:
            row = conn.execute("SELECT version FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None or row[0] != version:
                return
            conn.executemany(
                "UPDATE sentences SET vector = ? WHERE doc_id = ? AND ord = ?",
                [(_blob(v), doc_id, o) for o, v in vectors.items()],
            )

    def sentences_of_chunks(self, keys: Sequence[tuple[str, int]]) -> list[SentenceRow]:
        if not keys:
            return []
        clause = " OR ".join(["(doc_id = ? AND chunk_ord = ?)"] * len(keys))
        params = [v for key in keys for v in key]
        rows = self._query(
            f'SELECT rowid, doc_id, ord, chunk_ord, start, "end", kind, text '
            f"FROM sentences WHERE {clause} ORDER BY doc_id, ord",
            params,
        )
        return [SentenceRow(*r) for r in rows]

    def chunks_by_key(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], ChunkRow]:
        if not keys:
            return {}
        clause = " OR ".join(["(doc_id = ? AND ord = ?)"] * len(keys))
        params = [v for key in keys for v in key]
        rows = self._query(
            f'SELECT rowid, doc_id, ord, start, "end", first_sentence, '
            f"last_sentence FROM chunks WHERE {clause}",
            params,
        )
        return {(r["doc_id"], r["ord"]): ChunkRow(*r) for r in rows}

    def search_sentences(self, query: str, limit: int) -> list[tuple[str, int, float]]:
        """BM25 over sentences: (doc_id, ord, score), best first; higher score is better."""
        return self._search("sentence_fts", "sentences", query, limit)

    def search_chunks(self, query: str, limit: int) -> list[tuple[str, int, float]]:
        """BM25 over chunks: (doc_id, ord, score), best first; higher score is better."""
        return self._search("chunk_fts", "chunks", query, limit)

    def _search(self, fts: str, table: str, query: str, limit: int) -> list[tuple[str, int, float]]:
        expression = match_query(query)
        if expression is None:
            return []
        # Rank inside FTS5 first, then join only the top ``limit`` rows: joining before the
        # sort looked up every matching row (at 100k chunks: 74 -> 40 ms, same results).
        rows = self._query(
            f"SELECT t.doc_id, t.ord, hit.score FROM "
            f"(SELECT rowid, -bm25({fts}) AS score FROM {fts} WHERE {fts} MATCH ? "
            f"ORDER BY bm25({fts}) LIMIT ?) AS hit "
            f"JOIN {table} AS t ON t.rowid = hit.rowid ORDER BY hit.score DESC",
            (expression, limit),
        )
        return [(r[0], r[1], float(r[2])) for r in rows]


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _versions_sql(n: int) -> str:
    return f"SELECT id, version FROM documents WHERE id IN ({','.join('?' * n)})"
