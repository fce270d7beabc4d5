"""The SQLite document store: articles, their sentence and chunk spans, the BM25 (FTS5)
index, the ingest journal and store properties in ``qa.sqlite3``; conversations in
``conversations.sqlite3`` beside it.

One transaction replaces everything of a document, so readers see either the old or the
new version, never a mix. The ``journal`` table records vector-store work in flight so a
crash between SQLite and the vector store is repaired at the next start (retrieval/index.py).

Query-time lookups are kept O(result), not O(corpus): each sentence row carries its vector
(float32 blob), so scoring candidate sentences needs no vector-store round trip; ``counters``
is maintained by triggers, so ``counts()`` does not scan tables; article texts and records
read by the answerer are cached in memory until any connection (this process or another
worker) commits a change, which ``PRAGMA data_version`` reveals.
"""

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from qa_service.models import Chunk, Sentence
from qa_service.retrieval.lexical import index_text, match_query
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
    Retention,
    SentenceSpan,
    StoredTurn,
    VectorStore,
)
from qa_service.stores.rows import (
    CHUNK_COLUMNS,
    DOC_COLUMNS,
    SENTENCE_COLUMNS,
    chunk_rows,
    document_record,
    document_row,
    metadata_values,
    sentence_rows,
)
from qa_service.stores.sqlite.access import SQLiteAccess
from qa_service.stores.sqlite.conversations import SQLiteConversations
from qa_service.stores.sqlite.migrations import MigrationContext, article_migrations
from qa_service.stores.sqlite.transaction import immediate
from qa_service.tuning.stores import CACHED_CHARS, CACHED_TEXTS

ARTICLES_FILENAME = "qa.sqlite3"
CONVERSATIONS_FILENAME = "conversations.sqlite3"
ACCESS_FILENAME = "access.sqlite3"
SCHEMA_VERSION = article_migrations.version


_SENTENCE_COLUMNS = 'doc_id, ord, chunk_ord, start, "end", kind, text'
_IDS_PER_QUERY = 500  # well below SQLite's bound on parameters (32,766)


class ChunkRange(NamedTuple):
    first_sentence: int
    last_sentence: int  # inclusive


class DocumentVectors(NamedTuple):
    """A document's vectors as stored (``sentences`` None when a sentence has none: an
    index not yet migrated) and its chunks' sentences."""

    version: str
    sentences: np.ndarray | None
    chunks: list[ChunkRange]


class SQLiteDocumentStore:
    """Thread-safe access to the index folder's SQLite files; one connection each,
    serialised by a lock.

    ``vectors``: the index's vector store, read once by a migration that copies vectors
    into an index written by an older release.
    """

    def __init__(
        self,
        index_dir: Path,
        *,
        vectors: VectorStore | None = None,
        retention: Retention = Retention(),
    ) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.path = index_dir / ARTICLES_FILENAME
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self.migrated = article_migrations.apply(self._conn, MigrationContext(vectors))
        self._conversations = SQLiteConversations(index_dir / CONVERSATIONS_FILENAME, retention)
        self._access = SQLiteAccess(index_dir / ACCESS_FILENAME)
        self._data_version = -1
        self.outside_commits = 0  # commits of other connections seen so far (``changed``)
        self.own_commits = 0  # write transactions of this store (``data_version`` omits them)
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._cached_chars = 0
        self._records: dict[str, DocumentRecord | None] = {}

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

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
        self._conversations.close()
        self._access.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with immediate(self._conn) as conn:
                    yield conn
            finally:
                self.own_commits += 1
                self._forget()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- documents -------------------------------------------------------------------------

    def get(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord | None:
        with self._lock:
            self._fresh()
            return self._record(doc_id, with_text)

    def _record(self, doc_id: str, with_text: bool = False) -> DocumentRecord | None:
        """``get`` once the lock is held and the read caches are fresh."""
        if not with_text and doc_id in self._records:
            return self._records[doc_id]
        columns = DOC_COLUMNS + (", text" if with_text else "")
        rows = self._conn.execute(
            f"SELECT {columns} FROM documents WHERE id = ?", (doc_id,)
        ).fetchall()
        record = document_record(rows[0], with_text) if rows else None
        if not with_text:
            if len(self._records) >= 4 * CACHED_TEXTS:
                self._records.clear()
            self._records[doc_id] = record
        return record

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        rows = self._query(
            f"SELECT {DOC_COLUMNS} FROM documents WHERE content_hash = ? LIMIT 1",
            (content_hash,),
        )
        return document_record(rows[0]) if rows else None

    def page(
        self, *, offset: int, limit: int, order: DocumentOrder = "oldest"
    ) -> list[DocumentRecord]:
        rows = self._query(
            f"SELECT {DOC_COLUMNS} FROM documents ORDER BY {PAGE_ORDER[order]} LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [document_record(r) for r in rows]

    def articles(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]:
        """From the in-memory records and texts where they are: no query for most, and one
        freshness check (``PRAGMA data_version``) for all of them, not two per article."""
        found = {}
        with self._lock:
            self._fresh()
            for doc_id in dict.fromkeys(doc_ids):
                record, text = self._record(doc_id), self._text(doc_id)
                if record is not None and text is not None:
                    found[doc_id] = replace(record, text=text)
        return found

    def versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Current content version of each known document."""
        if not doc_ids:
            return {}
        return {r[0]: r[1] for r in self._query(_versions_sql(len(doc_ids)), list(doc_ids))}

    def all_versions(self) -> dict[str, str]:
        """Current version of every document: what the exact index (stores/exact.py) holds
        is compared with it after each change."""
        return {r[0]: r[1] for r in self._query("SELECT id, version FROM documents")}

    def document_vectors(self, doc_ids: Sequence[str]) -> dict[str, DocumentVectors]:
        """Each known document's version, sentence vectors and chunk ranges, read in one
        transaction (a consistent version even while another process writes)."""
        found: dict[str, DocumentVectors] = {}
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                for lo in range(0, len(doc_ids), _IDS_PER_QUERY):
                    found.update(self._document_vectors(doc_ids[lo : lo + _IDS_PER_QUERY]))
            finally:
                self._conn.execute("COMMIT")
        return found

    def _document_vectors(self, doc_ids: Sequence[str]) -> dict[str, DocumentVectors]:
        """Lock and transaction held."""
        marks = ",".join("?" * len(doc_ids))
        sentences: dict[str, list[bytes | None]] = {}
        for doc_id, blob in self._conn.execute(
            f"SELECT doc_id, vector FROM sentences WHERE doc_id IN ({marks}) ORDER BY doc_id, ord",
            list(doc_ids),
        ):
            sentences.setdefault(doc_id, []).append(blob)
        chunks: dict[str, list[ChunkRange]] = {}
        for doc_id, first, last in self._conn.execute(
            f"SELECT doc_id, first_sentence, last_sentence FROM chunks "
            f"WHERE doc_id IN ({marks}) ORDER BY doc_id, ord",
            list(doc_ids),
        ):
            chunks.setdefault(doc_id, []).append(ChunkRange(first, last))
        out = {}
        for doc_id, version in self._conn.execute(_versions_sql(len(doc_ids)), list(doc_ids)):
            stored = sentences.get(doc_id, [])
            blobs = [b for b in stored if b is not None]
            vectors = None
            if len(blobs) == len(stored):
                vectors = np.zeros((len(blobs), 0), dtype=np.float32)
                if blobs:
                    vectors = np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs])
            out[doc_id] = DocumentVectors(version, vectors, chunks.get(doc_id, []))
        return out

    def quote(self, doc_id: str, start: int, end: int) -> str | None:
        """``text[start:end]`` of the stored article, read straight from the article text."""
        text = self.text(doc_id)
        return None if text is None else text[start:end]

    def text(self, doc_id: str) -> str | None:
        """The stored article text; recently used ones are served from memory."""
        with self._lock:
            self._fresh()
            return self._text(doc_id)

    def _text(self, doc_id: str) -> str | None:
        """``text`` once the lock is held and the read caches are fresh."""
        text = self._texts.get(doc_id)
        if text is not None:
            self._texts.move_to_end(doc_id)
            return text
        row = self._conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        self._texts[doc_id] = row[0]
        self._cached_chars += len(row[0])
        while len(self._texts) > CACHED_TEXTS or (
            self._cached_chars > CACHED_CHARS and len(self._texts) > 1
        ):
            self._cached_chars -= len(self._texts.popitem(last=False)[1])
        return row[0]

    def counts(self) -> IndexCounts:
        """From trigger-maintained counters: O(1)."""
        n = {r[0]: int(r[1]) for r in self._query("SELECT name, n FROM counters")}
        return IndexCounts(n["documents"], n["chunks"], n["sentences"])

    def update_metadata(self, doc_id: str, fields: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE documents SET title = ?, source = ?, published_at = ?, metadata = ?, "
                "updated_at = ? WHERE id = ?",
                (*metadata_values(fields), time.time(), doc_id),
            )

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
        with self._transaction() as conn:
            old = conn.execute(
                "SELECT created_at FROM documents WHERE id = ?", (record.id,)
            ).fetchone()
            self._delete_rows(conn, record.id)
            conn.execute(
                f"INSERT INTO documents ({DOC_COLUMNS}, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                document_row(
                    record, text, len(chunks), len(sentences), old["created_at"] if old else None
                ),
            )
            for chunk, row in zip(chunks, chunk_rows(record.id, chunks), strict=True):
                cur = conn.execute(
                    f"INSERT INTO chunks ({CHUNK_COLUMNS}) VALUES (?,?,?,?,?,?)", row
                )
                conn.execute(
                    "INSERT INTO chunk_fts (rowid, tokens) VALUES (?, ?)",
                    (cur.lastrowid, index_text(text[chunk.start : chunk.end])),
                )
            for sentence, row in zip(sentences, new_sentences, strict=True):
                cur = conn.execute(
                    f"INSERT INTO sentences ({SENTENCE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", row
                )
                conn.execute(
                    "INSERT INTO sentence_fts (rowid, tokens) VALUES (?, ?)",
                    (cur.lastrowid, index_text(text[sentence.start : sentence.end])),
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

    def journal_add(self, entry: JournalEntry) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO journal (doc_id, version, op) VALUES (?,?,?)", entry
            )

    def journal_remove(self, entry: JournalEntry) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM journal WHERE doc_id = ? AND version = ? AND op = ?", entry)

    def journal(self) -> list[JournalEntry]:
        rows = self._query("SELECT doc_id, version, op FROM journal")
        return [JournalEntry(r[0], r[1], r[2]) for r in rows]

    # -- lookups used at query time ------------------------------------------------------

    def sentences_by_key(self, keys: Sequence[Key]) -> dict[Key, SentenceSpan]:
        """Sentences by (doc_id, ord); keys that no longer exist are simply absent."""
        if not keys:
            return {}
        clause, params = _keys_where(keys)
        rows = self._query(f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE {clause}", params)
        return {(r["doc_id"], r["ord"]): SentenceSpan(*r) for r in rows}

    def sentence_vectors(self, keys: Sequence[Key]) -> dict[Key, np.ndarray]:
        """Vectors of current sentences by (doc_id, ord): one indexed read, no vector store.

        Rows always belong to the version SQLite holds, so no version filtering is needed.
        Keys without a stored vector (an index not yet migrated) are absent.
        """
        if not keys:
            return {}
        clause, params = _keys_where(keys)
        rows = self._query(
            f"SELECT doc_id, ord, vector FROM sentences WHERE ({clause}) AND vector IS NOT NULL",
            params,
        )
        return {(r[0], r[1]): np.frombuffer(r[2], dtype=np.float32) for r in rows}

    def sentences_of_chunks(self, keys: Sequence[Key]) -> list[SentenceSpan]:
        if not keys:
            return []
        clause, params = _keys_where(keys, "chunk_ord")
        rows = self._query(
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE {clause} ORDER BY doc_id, ord",
            params,
        )
        return [SentenceSpan(*r) for r in rows]

    def sentences_within(self, doc_id: str, start: int, end: int) -> list[SentenceSpan]:
        rows = self._query(
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences "
            'WHERE doc_id = ? AND start >= ? AND "end" <= ? ORDER BY ord',
            [doc_id, start, end],
        )
        return [SentenceSpan(*r) for r in rows]

    def sentences_with_vectors(
        self, chunks: Sequence[Key], sentences: Sequence[Key]
    ) -> tuple[list[SentenceSpan], dict[Key, np.ndarray]]:
        spans = self.sentences_of_chunks(chunks)
        asked = [*((s.doc_id, s.ord) for s in spans), *sentences]
        keys = dict.fromkeys([*asked, *((d, o - 1) for d, o in asked if o > 0)])
        return spans, self.sentence_vectors(list(keys))

    def chunks_by_key(self, keys: Sequence[Key]) -> dict[Key, ChunkSpan]:
        if not keys:
            return {}
        clause, params = _keys_where(keys)
        rows = self._query(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE {clause}", params)
        return {(r["doc_id"], r["ord"]): ChunkSpan(*r) for r in rows}

    def search_sentences(self, query: str, limit: int) -> list[LexicalHit]:
        """BM25 over sentences, best first."""
        return self._search("sentence_fts", "sentences", query, limit)

    def search_chunks(self, query: str, limit: int) -> list[LexicalHit]:
        """BM25 over chunks, best first."""
        return self._search("chunk_fts", "chunks", query, limit)

    # -- conversations, in their own file -------------------------------------------------

    def append_turn(
        self, conversation_id: str, turn: NewTurn, *, create: bool, owner: str | None = None
    ) -> StoredTurn:
        return self._conversations.append_turn(conversation_id, turn, create=create, owner=owner)

    def recent_turns(
        self, conversation_id: str, limit: int, *, owner: str | None = None
    ) -> list[StoredTurn]:
        return self._conversations.recent_turns(conversation_id, limit, owner=owner)

    def conversation(self, conversation_id: str, *, owner: str | None = None) -> Conversation:
        return self._conversations.conversation(conversation_id, owner=owner)

    def delete_conversation(
        self, conversation_id: str, *, owner: str | None = None, any_owner: bool = False
    ) -> None:
        self._conversations.delete_conversation(conversation_id, owner=owner, any_owner=any_owner)

    # -- API keys and the audit log, in their own file --------------------------------------
    # Their own file: a key's last-used time is written while the service runs, and a commit
    # to qa.sqlite3 tells every other worker to re-read its vector store.

    def add_key(self, key: KeyRecord) -> None:
        self._access.add_key(key)

    def api_keys(self) -> list[KeyRecord]:
        return self._access.api_keys()

    def revoke_key(self, name: str, at: float, *, keep_an_admin: bool = False) -> bool:
        return self._access.revoke_key(name, at, keep_an_admin=keep_an_admin)

    def touch_key(self, key_id: str, at: float) -> None:
        self._access.touch_key(key_id, at)

    def add_audit(self, entry: AuditEntry) -> None:
        self._access.add_audit(entry)

    def audit(self, *, offset: int, limit: int) -> list[AuditEntry]:
        return self._access.audit(offset=offset, limit=limit)

    def merge_keyword_segments(self, pages: int) -> bool:
        """FTS5's incremental ``merge`` with a negative page count: segments of any level are
        merged (a positive one merges only a level holding ``usermerge`` (4) of them, what
        automerge does already). A change count under 2 means it found nothing to merge
        (sqlite.org/fts5.html, "The 'merge' command")."""
        merged = False
        with self._transaction() as conn:
            for fts in ("chunk_fts", "sentence_fts"):
                before = conn.total_changes
                conn.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('merge', ?)", (-pages,))
                merged |= conn.total_changes - before >= 2
        return merged

    def _search(self, fts: str, table: str, query: str, limit: int) -> list[LexicalHit]:
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
        return [LexicalHit(r[0], r[1], float(r[2])) for r in rows]


def _keys_where(keys: Sequence[Key], ord_column: str = "ord") -> tuple[str, list[Any]]:
    """A condition that matches rows whose (doc_id, ``ord_column``) is one of ``keys``,
    and its parameters."""
    clause = " OR ".join([f"(doc_id = ? AND {ord_column} = ?)"] * len(keys))
    return clause, [v for key in keys for v in key]


def _versions_sql(n: int) -> str:
    return f"SELECT id, version FROM documents WHERE id IN ({','.join('?' * n)})"
