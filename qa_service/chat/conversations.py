"""SQLite store of conversations and their turns, beside the article index.

A turn keeps what was asked, how it was searched, what was answered and the exact
citations, so a conversation can be shown again after a restart. It also keeps the
message's query embedding: follow-ups fold the last few turns into their search without
embedding them again, and reading those turns is one indexed range scan whatever the
conversation's length.
"""

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.answer.citations import Citation
from qa_service.errors import ConversationNotFound

_SCHEMA = """
PRAGMA journal_mode=WAL;
PRAGMA foreign_keys=ON;
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    message TEXT NOT NULL,
    retrieval_query TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    language TEXT NOT NULL,
    citations TEXT NOT NULL,
    embedder TEXT NOT NULL,
    vector BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, ord)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class StoredTurn:
    conversation_id: str
    ord: int
    message: str
    retrieval_query: str
    answer: str
    abstained: bool
    language: str
    citations: list[Citation]
    embedder: str
    vector: np.ndarray
    created_at: float


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    created_at: float
    updated_at: float
    turns: list[StoredTurn]


def new_conversation_id() -> str:
    return uuid.uuid4().hex


class ConversationStore:
    """Conversations in one SQLite file; safe to share between the server's threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._conn.executescript(_SCHEMA)

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

    def exists(self, conversation_id: str) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return row is not None

    def recent_turns(self, conversation_id: str, limit: int) -> list[StoredTurn]:
        """The last ``limit`` turns, oldest first; raises if the conversation does not exist."""
        with self._lock:
            if not self._conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone():
                raise ConversationNotFound(f"no conversation with id {conversation_id!r}")
            rows = self._conn.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY ord DESC LIMIT ?",
                (conversation_id, max(limit, 0)),
            ).fetchall()
        return [_turn(row) for row in reversed(rows)]

    def get(self, conversation_id: str) -> Conversation:
        with self._lock:
            head = self._conn.execute(
                "SELECT id, created_at, updated_at FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if head is None:
                raise ConversationNotFound(f"no conversation with id {conversation_id!r}")
            rows = self._conn.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY ord", (conversation_id,)
            ).fetchall()
        return Conversation(head[0], head[1], head[2], [_turn(row) for row in rows])

    def append(
        self,
        conversation_id: str,
        *,
        create: bool,
        message: str,
        retrieval_query: str,
        answer: str,
        abstained: bool,
        language: str,
        citations: list[Citation],
        embedder: str,
        vector: np.ndarray,
    ) -> StoredTurn:
        """Add a turn; ``create`` starts the conversation in the same transaction."""
        now = time.time()
        with self._transaction() as conn:
            if create:
                conn.execute(
                    "INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)",
                    (conversation_id, now, now),
                )
            elif not conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
            ).rowcount:
                # Deleted while its answer was being computed.
                raise ConversationNotFound(f"no conversation with id {conversation_id!r}")
            (ord_,) = conn.execute(
                "SELECT COALESCE(MAX(ord) + 1, 0) FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            row = (
                conversation_id,
                ord_,
                message,
                retrieval_query,
                answer,
                int(abstained),
                language,
                json.dumps([asdict(c) for c in citations], ensure_ascii=False),
                embedder,
                np.asarray(vector, dtype=np.float32).tobytes(),
                now,
            )
            conn.execute(f"INSERT INTO turns VALUES ({', '.join('?' * len(row))})", row)
        return _turn(row)

    def delete(self, conversation_id: str) -> None:
        with self._transaction() as conn:
            if not conn.execute(
                "DELETE FROM conversations WHERE id = ?", (conversation_id,)
            ).rowcount:
                raise ConversationNotFound(f"no conversation with id {conversation_id!r}")


def _turn(row: tuple[Any, ...]) -> StoredTurn:
    (cid, ord_, message, query, answer, abstained, language, citations, embedder, blob, at) = row
    return StoredTurn(
        conversation_id=cid,
        ord=ord_,
        message=message,
        retrieval_query=query,
        answer=answer,
        abstained=bool(abstained),
        language=language,
        citations=[Citation(**c) for c in json.loads(citations)],
        embedder=embedder,
        vector=np.frombuffer(blob, dtype=np.float32),
        created_at=at,
    )
