"""`qa-service migrate`: an embedded index copied into server mode, vectors and all."""

import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from qa_service.access import AccessService
from qa_service.chat.service import ChatService
from qa_service.config import Settings
from qa_service.errors import ConversationNotFound
from qa_service.models import Article
from qa_service.service import build_service
from qa_service.stores.chroma import ChromaVectorStore
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"


def _migrate(settings: Settings, server: Settings, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("QA_DATABASE_URL", "QA_CHROMA_URL")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "qa_service",
            "migrate",
            "--database-url",
            str(server.database_url),
            "--chroma-url",
            str(server.chroma_url),
            "--index-dir",
            str(settings.index_dir),
            *extra,
        ],
        env={**env, "PYTHONPATH": str(ROOT), "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_migrate_copies_without_embedding_and_twice_is_a_no_op(
    settings: Settings, server_settings: Settings, embedder: MemoEmbedder
) -> None:
    embedded = build_service(settings, embedder)
    embedded.ingest_seeds_if_empty()
    conversation = ChatService(embedded).chat(DRONES, None)
    access = AccessService(embedded.stores.documents)
    widget, secret = access.create("widget", "read", ["https://news.example"])
    owned = ChatService(embedded).chat(DRONES, None, owner=widget.id)
    access.revoke("widget")
    audit = access.audit()
    want = embedded.answerer.ask(DRONES, 4)
    records = embedded.list_documents(offset=0, limit=10)
    embedded.close()

    first = _migrate(settings, server_settings)
    assert first.returncode == 0, first.stderr
    assert "copied 2 documents" in first.stdout and "none re-embedded" in first.stdout
    assert "2 conversations, 1 API keys and 2 audit entries" in first.stdout
    second = _migrate(settings, server_settings)
    assert second.returncode == 0, second.stderr
    assert "copied 0 documents" in second.stdout and "already there: 2 documents" in second.stdout
    assert "0 conversations, 0 API keys and 0 audit entries" in second.stdout
    assert "2 conversations, 1 API keys" in second.stdout.split("already there")[1]

    before = embedder.passages_embedded
    server = build_service(server_settings, embedder)
    try:
        assert server.ingest_seeds_if_empty() == []  # not empty: the copy is there
        assert embedder.passages_embedded == before
        chunks, sentences = (sum(r.n_chunks for r in records), sum(r.n_sentences for r in records))
        assert server.counts() == (2, chunks, sentences)
        got = server.answerer.ask(DRONES, 4)
        assert got.answer == want.answer
        assert [(c.document_id, c.start, c.end) for c in got.citations] == [
            (c.document_id, c.start, c.end) for c in want.citations
        ]
        # The very vectors, not new ones.
        source = ChromaVectorStore(settings.index_dir / "chroma")
        for record in records:
            keys = [(record.id, record.version, i) for i in range(record.n_chunks)]
            theirs = source.vectors("chunks", keys)
            ours = server.stores.vectors.vectors("chunks", keys)
            assert theirs.keys() == ours.keys()
            for key in theirs:
                # Equal to float32 precision (the HTTP API carries floats as JSON).
                assert np.allclose(theirs[key], ours[key], rtol=0, atol=1e-6)
        source.close()
        created = [d.created_at for d in server.list_documents(offset=0, limit=10)]
        assert created == [r.created_at for r in records]
        stored = server.stores.documents.conversation(str(conversation.conversation_id))
        assert stored.turns[0].message == DRONES
        # Keys (the revoked one stays revoked, its key still matches), owners, the audit log.
        copied = AccessService(server.stores.documents)
        assert copied.all_keys() == [replace(widget, revoked_at=copied.all_keys()[0].revoked_at)]
        assert copied.all_keys()[0].revoked_at is not None
        assert copied.find(secret) == copied.all_keys()[0]
        theirs_owned = server.stores.documents.conversation(
            str(owned.conversation_id), owner=widget.id
        )
        assert theirs_owned.turns[0].message == DRONES
        with pytest.raises(ConversationNotFound):
            server.stores.documents.conversation(str(owned.conversation_id))
        *copied_audit, migrated = copied.audit()[::-1]
        assert copied_audit[::-1] == audit
        assert migrated.action == "index.migrate" and migrated.detail.startswith(
            "copied 2 documents, 2 conversations, 1 keys"
        )
        assert [e.action for e in audit] == ["key.revoke", "key.create"]
    finally:
        server.close()


def test_migrate_into_a_server_with_data_lists_conflicts_and_overwrites_only_when_asked(
    settings: Settings, server_settings: Settings, embedder: MemoEmbedder
) -> None:
    ours = "Der Hafen von Kiel wurde 1865 preußischer Marinehafen."
    theirs = "Der Hafen von Kiel wurde 1871 zum Reichskriegshafen erklärt."
    embedded = build_service(settings, embedder)
    embedded.add_document(Article(text=ours), "hafen")
    embedded_key, _ = AccessService(embedded.stores.documents).create("w1", "admin")
    embedded.close()
    server = build_service(server_settings, embedder)
    server.add_document(Article(text=theirs), "hafen")
    server_key, server_secret = AccessService(server.stores.documents).create("w1", "read")
    server.close()

    first = _migrate(settings, server_settings)
    assert first.returncode == 1, first
    assert "copied 0 documents" in first.stdout and "2 conflicts" in first.stdout
    assert "document 'hafen': the server holds other text" in first.stdout
    assert "key 'w1': the server has another key of this name" in first.stdout
    assert "already there: 0 documents, 0 conversations, 0 API keys" in first.stdout

    server = build_service(server_settings, embedder)
    try:
        assert server.stores.documents.text("hafen") == theirs  # not overwritten
        access = AccessService(server.stores.documents)
        assert access.all_keys() == [server_key] and access.find(server_secret) == server_key
    finally:
        server.close()

    forced = _migrate(settings, server_settings, "--overwrite")
    assert forced.returncode == 1, forced  # the key's conflict remains
    assert "copied 1 documents (1 replacing the server's other text: hafen)" in forced.stdout
    assert "1 conflicts" in forced.stdout and "key 'w1'" in forced.stdout
    server = build_service(server_settings, embedder)
    try:
        assert server.stores.documents.text("hafen") == ours
        answer = server.answerer.ask("Wann wurde der Hafen von Kiel preußischer Marinehafen?", 4)
        for c in answer.citations:
            assert ours[c.start : c.end] == c.quote
        actions = [
            (e.action, e.document_id, e.detail)
            for e in server.stores.documents.audit(offset=0, limit=10)
        ]
        assert ("document.replace", "hafen", "qa-service migrate --overwrite") in actions
        assert actions[0][0] == "index.migrate" and "conflicts: key 'w1'" in actions[0][2]
        assert embedded_key not in AccessService(server.stores.documents).all_keys()
    finally:
        server.close()


def test_migrate_again_after_edits_copies_no_history_the_server_did_not_get(
    settings: Settings, server_settings: Settings, embedder: MemoEmbedder
) -> None:
    """Hunt 8 M1: a second run copied the audit entries of a delete, a replace and a key
    revocation made in the embedded index since, none of which the server applied; the key
    revoked in the embedded index stayed valid on the server, unreported."""
    old = "Die Stadt Kleinhausen hat am Dienstag eine neue Bürgermeisterin gewählt."
    new = "Die Stadt Kleinhausen hat am Mittwoch einen neuen Bürgermeister gewählt."
    other = "Der Leuchtturm von Hallig Nordmark wurde am Freitag wieder eröffnet."
    later = "Die Fähre nach Amrum fährt ab Montag stündlich ab Dagebüll."
    embedded = build_service(settings, embedder)
    access = AccessService(embedded.stores.documents)
    for doc_id, text in (("kleinhausen", old), ("nordmark", other)):
        made = embedded.add_document(Article(text=text), doc_id)
        access.record(None, "document.create", doc_id, made.content_hash, "qa-service ingest")
    _, reader_secret = access.create("emread", "read")
    embedded.close()
    assert _migrate(settings, server_settings).returncode == 0

    embedded = build_service(settings, embedder)
    access = AccessService(embedded.stores.documents)
    replaced = embedded.add_document(Article(text=new), "kleinhausen")
    access.record(None, "document.replace", "kleinhausen", replaced.content_hash, "ingest")
    embedded.delete_document("nordmark")
    access.record(None, "document.delete", "nordmark")
    access.revoke("emread")
    added = embedded.add_document(Article(text=later), "faehre")
    access.record(None, "document.create", "faehre", added.content_hash, "qa-service ingest")
    embedded.close()

    again = _migrate(settings, server_settings)
    assert again.returncode == 1, again
    assert "copied 1 documents" in again.stdout and "1 audit entries" in again.stdout
    assert "2 conflicts" in again.stdout, again.stdout
    assert "document 'kleinhausen': the server holds other text" in again.stdout
    assert "key 'emread': revoked in the embedded index, still active in the server" in (
        again.stdout
    )
    server = build_service(server_settings, embedder)
    try:
        entries = server.stores.documents.audit(offset=0, limit=100)
        actions = [(e.action, e.document_id) for e in entries]
        # Only the history of what this run copied, then the run itself.
        assert actions[:2] == [("index.migrate", None), ("document.create", "faehre")], actions
        assert ("document.delete", "nordmark") not in actions
        assert ("document.replace", "kleinhausen") not in actions
        assert "key.revoke" not in [a for a, _ in actions]
        assert "conflicts: " in entries[0].detail and "emread" in entries[0].detail
        assert server.stores.documents.text("kleinhausen") == old
        assert server.get_document("nordmark").id == "nordmark"
        still = AccessService(server.stores.documents).find(reader_secret)
        assert still is not None and still.revoked_at is None  # reported, not hidden
    finally:
        server.close()
    # A third run changes nothing and records nothing new, but still names the conflicts.
    third = _migrate(settings, server_settings)
    assert third.returncode == 1 and "copied 0 documents" in third.stdout, third
    assert "0 audit entries" in third.stdout
