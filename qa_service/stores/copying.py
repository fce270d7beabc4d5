"""`qa-service migrate`: copy an embedded index into server mode, vectors and all.

Nothing is embedded again: sentence vectors are read from the embedded index and written
through the index's own journalled write (``ArticleIndex.write``: journal, vectors, one
transaction for the rows, journal cleared), whose chunk vectors are the same mean of the
sentence vectors the ingest once computed. It runs under the writers' advisory lock, so a
copy interrupted half-way is repaired like a crashed ingest, and running it again finishes
it. A document already there with the same text is left alone: a second run copies nothing.
Conversations keep their owners; API keys (their hashes) and the audit log are copied too.
"""

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_service.errors import EmbedderMismatch, InvalidInput, KeyExists
from qa_service.models import Chunk, Sentence
from qa_service.retrieval.index import ArticleIndex, PreparedDocument
from qa_service.stores.base import AuditEntry, DocumentStore, Key
from qa_service.stores.embedded import EmbeddedStores
from qa_service.stores.server import ServerStores
from qa_service.stores.sqlite.documents import ARTICLES_FILENAME, CONVERSATIONS_FILENAME

_BATCH = 50  # documents per write: the vector store's cost is mostly per call


@dataclass
class CopyReport:
    documents_copied: int = 0
    documents_unchanged: int = 0
    sentence_vectors: int = 0
    conversations_copied: int = 0
    conversations_unchanged: int = 0
    keys_copied: int = 0
    keys_unchanged: int = 0
    audit_copied: int = 0

    def summary(self) -> str:
        return (
            f"copied {self.documents_copied} documents ({self.sentence_vectors} sentence "
            f"vectors, none re-embedded), {self.conversations_copied} conversations, "
            f"{self.keys_copied} API keys and {self.audit_copied} audit entries; "
            f"already there: {self.documents_unchanged} documents, "
            f"{self.conversations_unchanged} conversations, {self.keys_unchanged} API keys"
        )


def copy_embedded_index(
    index_dir: Path,
    target: ServerStores,
    progress: Callable[[int, int], None] | None = None,
) -> CopyReport:
    """Copy the embedded index in ``index_dir`` into ``target``; see the module docstring."""
    if not (index_dir / ARTICLES_FILENAME).is_file():
        raise InvalidInput(f"no embedded index in {index_dir} ({ARTICLES_FILENAME} is missing)")
    source = EmbeddedStores(index_dir)
    report = CopyReport()
    try:
        embedder = source.documents.get_property("embedder")
        if embedder is not None:
            recorded = target.documents.set_property_if_absent("embedder", embedder)
            if recorded != embedder:
                raise EmbedderMismatch(
                    f"the server index holds vectors of '{recorded}', the embedded index of "
                    f"'{embedder}': vectors of two models cannot be mixed"
                )
        index = ArticleIndex(target)  # repairs a copy interrupted before
        total = source.documents.counts().documents
        with index.writing():
            for batch in _batches(source.documents, total):
                todo = [p for p in (_prepared(source.documents, i, target) for i in batch) if p]
                report.documents_unchanged += len(batch) - len(todo)
                index.write(todo)
                report.documents_copied += len(todo)
                report.sentence_vectors += sum(len(p.vectors) for p in todo)
                if progress:
                    progress(report.documents_copied + report.documents_unchanged, total)
        _copy_conversations(index_dir / CONVERSATIONS_FILENAME, source, target, report)
        _copy_access(source, target, report)
    finally:
        source.close()
    return report


def _batches(documents: DocumentStore, total: int) -> Iterator[list[str]]:
    for offset in range(0, total, _BATCH):
        yield [r.id for r in documents.page(offset=offset, limit=_BATCH)]


def _prepared(source: DocumentStore, doc_id: str, target: ServerStores) -> PreparedDocument | None:
    """The stored document as the index writes it; None if the target has this text."""
    record = source.get(doc_id)
    text = source.text(doc_id)
    if record is None or text is None:
        return None  # deleted meanwhile
    existing = target.documents.get(doc_id)
    if existing is not None and existing.content_hash == record.content_hash:
        return None
    sentence_keys = [(doc_id, i) for i in range(record.n_sentences)]
    spans = _batched(source.sentences_by_key, sentence_keys)
    chunk_spans = _batched(source.chunks_by_key, [(doc_id, i) for i in range(record.n_chunks)])
    vectors = _batched(source.sentence_vectors, sentence_keys)
    if len(vectors) < len(sentence_keys):
        raise InvalidInput(
            f"document {doc_id!r} lacks sentence vectors in the embedded index; run "
            "`qa-service check --fix` there, or ingest it again, before copying"
        )
    return PreparedDocument(
        record,
        text,
        [Sentence(spans[k].start, spans[k].end, spans[k].kind) for k in sentence_keys],  # type: ignore[arg-type]
        [
            Chunk(c.start, c.end, c.first_sentence, c.last_sentence)
            for c in (chunk_spans[(doc_id, i)] for i in range(record.n_chunks))
        ],
        np.stack([vectors[k] for k in sentence_keys]),
        replaces=existing is not None,
    )


def _batched(lookup: Callable[[Sequence[Key]], dict], keys: list[Key]) -> dict:
    """SQLite lookups by key in slices: one OR per key, and SQLite nests expressions at most
    1000 deep."""
    found: dict = {}
    for lo in range(0, len(keys), 400):
        found.update(lookup(keys[lo : lo + 400]))
    return found


def _copy_conversations(
    path: Path, source: EmbeddedStores, target: ServerStores, report: CopyReport
) -> None:
    if not path.is_file():
        return
    with closing(sqlite3.connect(path)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(conversations)")}
        owner = "owner" if "owner" in columns else "NULL"  # a file from before owners
        heads = conn.execute(
            f"SELECT id, {owner} FROM conversations ORDER BY created_at"
        ).fetchall()
    for conversation_id, owner in heads:
        conversation = source.documents.conversation(conversation_id, owner=owner)
        if target.documents.import_conversation(conversation, owner):
            report.conversations_copied += 1
        else:
            report.conversations_unchanged += 1


def _copy_access(source: EmbeddedStores, target: ServerStores, report: CopyReport) -> None:
    """API keys (hashes, with their ids: copied conversations keep their owners) and the
    audit log, oldest entry first; what the target has already is left alone."""
    for key in source.documents.api_keys():
        try:
            target.documents.add_key(key)
            report.keys_copied += 1
        except KeyExists:
            report.keys_unchanged += 1
    entries: list[AuditEntry] = []
    while batch := source.documents.audit(offset=len(entries), limit=1000):
        entries.extend(batch)
    report.audit_copied = target.documents.import_audit(entries[::-1])
