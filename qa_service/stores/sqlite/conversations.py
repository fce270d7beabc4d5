"""Conversations and their turns in their own SQLite file beside the article index.

A turn keeps what was asked, how it was searched, what was answered and the exact
citations, so a conversation can be shown again after a restart. It also keeps the
message's query embedding: follow-ups fold the last few turns into their search without
embedding them again, and reading those turns is one indexed range scan whatever the
conversation's length.
"""

import time
from pathlib import Path

from qa_service.errors import ConversationNotFound
from qa_service.stores.base import Conversation, NewTurn, StoredTurn
from qa_service.stores.rows import stored_turn, turn_row
from qa_service.stores.sqlite.lazy import LazyFile
from qa_service.stores.sqlite.migrations import conversation_migrations


class SQLiteConversations(LazyFile):
    """Safe to share between the server's threads; the file is opened at first use, so
    commands that never chat (``qa-service ingest``) do not create it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, conversation_migrations, ["foreign_keys=ON"])

    def recent_turns(
        self, conversation_id: str, limit: int, *, owner: str | None = None
    ) -> list[StoredTurn]:
        with self._lock:
            conn = self._connection()
            if not conn.execute(
                "SELECT 1 FROM conversations WHERE id = ? AND owner IS ?", (conversation_id, owner)
            ).fetchone():
                raise _not_found(conversation_id)
            rows = conn.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY ord DESC LIMIT ?",
                (conversation_id, max(limit, 0)),
            ).fetchall()
        return [stored_turn(row) for row in reversed(rows)]

    def conversation(self, conversation_id: str, *, owner: str | None = None) -> Conversation:
        with self._lock:
            conn = self._connection()
            head = conn.execute(
                "SELECT id, created_at, updated_at FROM conversations WHERE id = ? AND owner IS ?",
                (conversation_id, owner),
            ).fetchone()
            if head is None:
                raise _not_found(conversation_id)
            rows = conn.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY ord", (conversation_id,)
            ).fetchall()
        return Conversation(head[0], head[1], head[2], [stored_turn(row) for row in rows])

    def append_turn(
        self, conversation_id: str, turn: NewTurn, *, create: bool, owner: str | None = None
    ) -> StoredTurn:
        now = time.time()
        with self._transaction() as conn:
            if create:
                conn.execute(
                    "INSERT INTO conversations (id, created_at, updated_at, owner) "
                    "VALUES (?, ?, ?, ?)",
                    (conversation_id, now, now, owner),
                )
            elif not conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ? AND owner IS ?",
                (now, conversation_id, owner),
            ).rowcount:
                # Deleted while its answer was being computed.
                raise _not_found(conversation_id)
            (ord_,) = conn.execute(
                "SELECT COALESCE(MAX(ord) + 1, 0) FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            row = turn_row(conversation_id, ord_, turn, now)
            conn.execute(f"INSERT INTO turns VALUES ({', '.join('?' * len(row))})", row)
        return stored_turn(row)

    def delete_conversation(self, conversation_id: str, *, owner: str | None = None) -> None:
        with self._transaction() as conn:
            if not conn.execute(
                "DELETE FROM conversations WHERE id = ? AND owner IS ?", (conversation_id, owner)
            ).rowcount:
                raise _not_found(conversation_id)


def _not_found(conversation_id: str) -> ConversationNotFound:
    return ConversationNotFound(f"no conversation with id {conversation_id!r}")
