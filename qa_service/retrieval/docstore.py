"""SQLite store of articles, their sentence and chunk spans, and the BM25 (FTS5) index.

One transaction replaces everything of a document, so readers see either the old or the
new version, never a mix. The ``journal`` table records vector-store work in flight so a
crash between SQLite and Chroma is repaired at the next start (see index.py).
"""

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
CREATE TABLE IF NOT EXISTS journal (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    op TEXT NOT NULL,
    PRIMARY KEY (doc_id, version, op)
);
"""


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
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()

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
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- documents -------------------------------------------------------------------------

    def get(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord | None:
        columns = _DOC_COLUMNS + (", text" if with_text else "")
        rows = self._query(f"SELECT {columns} FROM documents WHERE id = ?", (doc_id,))
        return _document(rows[0], with_text) if rows else None

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
        rows = self._query(
            "SELECT substr(text, ?, ?) FROM documents WHERE id = ?",
            (start + 1, end - start, doc_id),
        )
        return rows[0][0] if rows else None

    def counts(self) -> tuple[int, int, int]:
        """(documents, chunks, sentences)"""
        row = self._query(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks), "
            "(SELECT count(*) FROM sentences)"
        )[0]
        return int(row[0]), int(row[1]), int(row[2])

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
    ) -> None:
        """Write a document version, removing any previous one, in one transaction."""
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
                    'INSERT INTO sentences (doc_id, ord, chunk_ord, start, "end", kind, text)'
                    " VALUES (?,?,?,?,?,?,?)",
                    (
                        record.id,
                        ord_,
                        chunk_of[ord_],
                        sentence.start,
                        sentence.end,
                        sentence.kind,
                        sentence_text,
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
        rows = self._query(
            f"SELECT t.doc_id, t.ord, -bm25({fts}) AS score FROM {fts} "
            f"JOIN {table} AS t ON t.rowid = {fts}.rowid "
            f"WHERE {fts} MATCH ? ORDER BY bm25({fts}) LIMIT ?",
            (expression, limit),
        )
        return [(r[0], r[1], float(r[2])) for r in rows]


def _versions_sql(n: int) -> str:
    return f"SELECT id, version FROM documents WHERE id IN ({','.join('?' * n)})"
