"""Conversations and their turns in their own SQLite file beside the article index.

A turn keeps what was asked, how it was searched, what was answered and the exact
citations, so a conversation can be shown again after a restart. It also keeps the
message's query embedding: follow-ups fold the last few turns into their search without
embedding them again, and reading those turns is one indexed range scan whatever the
conversation's length. Conversations are kept as ``Retention`` says (stores/base.py).
"""

import sqlite3
import time
from pathlib import Path

from qa_service.errors import ConversationNotFound
from qa_service.stores.base import Conversation, NewTurn, PurgeClock, Retention, StoredTurn
from qa_service.stores.rows import stored_turn, turn_row
from qa_service.stores.sqlite.lazy import LazyFile
from qa_service.stores.sqlite.migrations import conversation_migrations


class SQLiteConversations(LazyFile):
    """Safe to share between the server's threads; the file is opened at first use, so
    commands that never chat (``qa-service ingest``) do not create it."""

    def __init__(self, path: Path, retention: Retention = Retention()) -> None:
        super().__init__(path, conversation_migrations, ["foreign_keys=ON"])
        self.retention = retention
        self._purge = PurgeClock(retention)

    def _head(self, conn: sqlite3.Connection, conversation_id: str, owner: str | None) -> tuple:
        """The conversation's (id, created_at, updated_at); raises ConversationNotFound when
        it does not exist, is another owner's or expired."""
        head = conn.execute(
            "SELECT id, created_at, updated_at FROM conversations "
            "WHERE id = ? AND owner IS ? AND updated_at >= ?",
            (conversation_id, owner, self.retention.expired_before(time.time())),
        ).fetchone()
        if head is None:
            raise _not_found(conversation_id)
        return tuple(head)

    def recent_turns(
        self, conversation_id: str, limit: int, *, owner: str | None = None
    ) -> list[StoredTurn]:
        with self._lock:
            conn = self._connection()
            self._head(conn, conversation_id, owner)
            rows = conn.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY ord DESC LIMIT ?",
                (conversation_id, max(limit, 0)),
            ).fetchall()
        return [stored_turn(row) for row in reversed(rows)]

    def conversation(self, conversation_id: str, *, owner: str | None = None) -> Conversation:
        with self._lock:
            conn = self._connection()
            head = self._head(conn, conversation_id, owner)
            rows = conn.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY ord", (conversation_id,)
            ).fetchall()
        return Conversation(head[0], head[1], head[2], [stored_turn(row) for row in rows])

    def append_turn(
        self, conversation_id: str, turn: NewTurn, *, create: bool, owner: str | None = None
    ) -> StoredTurn:
        now = time.time()
        expired_before = self.retention.expired_before(now)
        with self._transaction() as conn:
            if create:
                if self._purge.due(now):
                    conn.execute(
                        "DELETE FROM conversations WHERE updated_at < ?", (expired_before,)
                    )
                    self._purge.purged(now)
                conn.execute(
                    "INSERT INTO conversations (id, created_at, updated_at, owner) "
                    "VALUES (?, ?, ?, ?)",
                    (conversation_id, now, now, owner),
                )
            elif not conn.execute(
                "UPDATE conversations SET updated_at = ? "
                "WHERE id = ? AND owner IS ? AND updated_at >= ?",
                (now, conversation_id, owner, expired_before),
            ).rowcount:
                # Deleted (or expired) while its answer was being computed.
                raise _not_found(conversation_id)
            (ord_,) = conn.execute(
                "SELECT COALESCE(MAX(ord) + 1, 0) FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            row = turn_row(conversation_id, ord_, turn, now)
            conn.execute(f"INSERT INTO turns VALUES ({', '.join('?' * len(row))})", row)
            conn.execute(
                "DELETE FROM turns WHERE conversation_id = ? AND ord < ?",
                (conversation_id, self.retention.first_kept(ord_)),
            )
        return stored_turn(row)

    def delete_conversation(
        self, conversation_id: str, *, owner: str | None = None, any_owner: bool = False
    ) -> None:
        with self._transaction() as conn:
            if not conn.execute(
                "DELETE FROM conversations WHERE id = ? AND (? OR owner IS ?) AND updated_at >= ?",
                (conversation_id, any_owner, owner, self.retention.expired_before(time.time())),
            ).rowcount:
                raise _not_found(conversation_id)


def _not_found(conversation_id: str) -> ConversationNotFound:
    return ConversationNotFound(f"no conversation with id {conversation_id!r}")
