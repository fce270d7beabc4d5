"""Records as both SQL document stores (SQLite, PostgreSQL) write and read them: each row
shape defined once."""

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, Protocol

import numpy as np

from qa_service.errors import LastAdminKey
from qa_service.models import Chunk, Citation, Sentence
from qa_service.stores.base import AuditEntry, DocumentRecord, KeyRecord, NewTurn, StoredTurn

DOC_COLUMNS = (
    "id, version, content_hash, title, source, published_at, metadata, n_chunks, n_sentences, "
    "created_at, updated_at"
)
TURN_COLUMNS = (
    "conversation_id, ord, message, retrieval_query, answer, abstained, language, citations, "
    "embedder, vector, created_at"
)
CHUNK_COLUMNS = 'doc_id, ord, start, "end", first_sentence, last_sentence'
SENTENCE_COLUMNS = 'doc_id, ord, chunk_ord, start, "end", kind, text, vector'
KEY_COLUMNS = "id, name, scope, origins, prefix, key_hash, created_at, last_used_at, revoked_at"
ACTIVE_ADMINS = "SELECT name FROM api_keys WHERE scope = 'admin' AND revoked_at IS NULL"


def refuse_last_admin(name: str, active_admins: Sequence[str]) -> None:
    """Called inside the revocation's transaction, with the active admin keys it sees."""
    if list(active_admins) == [name]:
        raise LastAdminKey(
            f"the key {name!r} is the last active admin key: revoking it would lock the "
            "admin routes until someone runs `qa-service keys create --scope admin` on the "
            "host. Create another admin key first (POST /v1/keys), then revoke this one."
        )


AUDIT_COLUMNS = "at, key_name, action, document_id, content_hash, detail"


class NamedRow(Protocol):
    """A row read by column name: a ``sqlite3.Row`` (no ``Mapping``) or a psycopg dict row."""

    def __getitem__(self, column: str, /) -> Any: ...


def document_record(row: NamedRow, with_text: bool = False) -> DocumentRecord:
    """A ``DOC_COLUMNS`` row (metadata as JSON text or already decoded)."""
    metadata = row["metadata"]
    return DocumentRecord(
        id=row["id"],
        version=row["version"],
        content_hash=row["content_hash"],
        title=row["title"],
        source=row["source"],
        published_at=row["published_at"],
        metadata=json.loads(metadata) if isinstance(metadata, str) else metadata,
        n_chunks=row["n_chunks"],
        n_sentences=row["n_sentences"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        text=row["text"] if with_text else None,
    )


def metadata_values(fields: Mapping[str, Any]) -> tuple[Any, ...]:
    """(title, source, published_at, metadata as JSON) of an ``update_metadata`` call."""
    return (
        fields["title"],
        fields["source"],
        fields["published_at"],
        json.dumps(fields["metadata"], ensure_ascii=False),
    )


def document_row(
    record: DocumentRecord,
    text: str,
    n_chunks: int,
    n_sentences: int,
    created_at: float | None,
) -> tuple[Any, ...]:
    """A ``DOC_COLUMNS, text`` row of a version written now (``created_at`` None: now too)."""
    now = time.time()
    return (
        record.id,
        record.version,
        record.content_hash,
        record.title,
        record.source,
        record.published_at,
        json.dumps(record.metadata, ensure_ascii=False),
        n_chunks,
        n_sentences,
        now if created_at is None else created_at,
        now,
        text,
    )


def chunk_rows(doc_id: str, chunks: Sequence[Chunk]) -> list[tuple[Any, ...]]:
    """A ``CHUNK_COLUMNS`` row of each chunk."""
    return [
        (doc_id, ord_, chunk.start, chunk.end, chunk.first_sentence, chunk.last_sentence)
        for ord_, chunk in enumerate(chunks)
    ]


def sentence_rows(
    doc_id: str,
    text: str,
    sentences: Sequence[Sentence],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
) -> list[tuple[Any, ...]]:
    """A ``SENTENCE_COLUMNS`` row of each sentence (its text cut from ``text``); raises
    ValueError unless there is one vector per sentence."""
    if len(vectors) != len(sentences):
        raise ValueError("one vector per sentence")
    chunk_of = {
        s: ord_
        for ord_, chunk in enumerate(chunks)
        for s in range(chunk.first_sentence, chunk.last_sentence + 1)
    }
    return [
        (
            doc_id,
            ord_,
            chunk_of[ord_],
            sentence.start,
            sentence.end,
            sentence.kind,
            text[sentence.start : sentence.end],
            to_blob(vectors[ord_]),
        )
        for ord_, sentence in enumerate(sentences)
    ]


def turn_row(
    conversation_id: str, ord_: int, turn: NewTurn | StoredTurn, created_at: float
) -> tuple[Any, ...]:
    """A ``TURN_COLUMNS`` row."""
    return (
        conversation_id,
        ord_,
        turn.message,
        turn.retrieval_query,
        turn.answer,
        bool(turn.abstained),
        turn.language,
        json.dumps([asdict(c) for c in turn.citations], ensure_ascii=False),
        turn.embedder,
        to_blob(turn.vector),
        created_at,
    )


def stored_turn(row: Sequence[Any]) -> StoredTurn:
    """A turn from a ``TURN_COLUMNS`` row (citations as JSON text or already decoded)."""
    (cid, ord_, message, query, answer, abstained, language, citations, embedder, blob, at) = row
    return StoredTurn(
        conversation_id=cid,
        ord=ord_,
        message=message,
        retrieval_query=query,
        answer=answer,
        abstained=bool(abstained),
        language=language,
        citations=[
            Citation(**c)
            for c in (json.loads(citations) if isinstance(citations, str) else citations)
        ],
        embedder=embedder,
        vector=np.frombuffer(bytes(blob), dtype=np.float32),
        created_at=at,
    )


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def key_row(key: KeyRecord) -> tuple[Any, ...]:
    """A ``KEY_COLUMNS`` row (origins as JSON text)."""
    return (
        key.id,
        key.name,
        key.scope,
        json.dumps(list(key.origins)),
        key.prefix,
        key.key_hash,
        key.created_at,
        key.last_used_at,
        key.revoked_at,
    )


def key_record(row: Sequence[Any]) -> KeyRecord:
    """A key from a ``KEY_COLUMNS`` row (origins as JSON text or already decoded)."""
    key_id, name, scope, origins, prefix, key_hash, created_at, last_used_at, revoked_at = row
    return KeyRecord(
        key_id,
        name,
        scope,
        tuple(json.loads(origins) if isinstance(origins, str) else origins),
        prefix,
        key_hash,
        created_at,
        last_used_at,
        revoked_at,
    )


def audit_row(entry: AuditEntry) -> tuple[Any, ...]:
    """An ``AUDIT_COLUMNS`` row."""
    return (
        entry.at,
        entry.key_name,
        entry.action,
        entry.document_id,
        entry.content_hash,
        entry.detail,
    )
