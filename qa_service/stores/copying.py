"""`qa-service migrate`: copy an embedded index into server mode, vectors and all.

Nothing is embedded again: sentence vectors are read from the embedded index and written
through the index's own journalled write (``ArticleIndex.write``: journal, vectors, one
transaction for the rows, journal cleared), whose chunk vectors are the same mean of the
sentence vectors the ingest once computed. Each batch runs under the writers' advisory lock
(taken per batch, so the replicas' writes go on between batches), so a copy interrupted
half-way is repaired like a crashed ingest, and running it again finishes it. A document
already there with the same text is left alone: a second run copies nothing.
Conversations keep their owners; API keys (their hashes) and the audit log are copied too.

Conflicts are never resolved silently: a document the server holds with other text (or whose
text the server holds under another id), and a key whose name the server gives another key,
are left as the server has them and listed (``conflicts``); ``overwrite=True`` replaces such
documents with the embedded copy (audited as ``document.replace``). A key revoked on one side
and active on the other is a conflict too (revoke it where it is still active). A copy that
copied anything or found a conflict ends with one ``index.migrate`` audit entry saying so.

The audit log is copied whole by the first run (the embedded index's history), except entries
about a conflicting document or key: the server did not take those. A later run (the first
run's oldest entry is on the server) copies only the entries of what it copied itself, so
edits made in the embedded index since (a delete, a revocation, a new text) are never recorded
on a server that did not apply them.
"""

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa_service.errors import EmbedderMismatch, InvalidInput, KeyExists
from qa_service.models import Chunk, Sentence
from qa_service.retrieval.index import ArticleIndex, PreparedDocument
from qa_service.stores.base import AuditEntry, DocumentStore, Key
from qa_service.stores.embedded import EmbeddedStores
from qa_service.stores.server import ServerStores
from qa_service.stores.sqlite.documents import ARTICLES_FILENAME, CONVERSATIONS_FILENAME
from qa_service.tuning.stores import COPY_BATCH


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
    documents_overwritten: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    """What was not copied because the server holds something else under the same name."""
    conflicting: set[str] = field(default_factory=set)  # those documents' ids and keys' names
    copied_versions: set[tuple[str, str]] = field(default_factory=set)  # (id, content hash)

    def summary(self) -> str:
        overwritten = (
            f" ({len(self.documents_overwritten)} replacing the server's other text: "
            f"{', '.join(self.documents_overwritten)})"
            if self.documents_overwritten
            else ""
        )
        lines = [
            f"copied {self.documents_copied} documents{overwritten} ({self.sentence_vectors} "
            f"sentence vectors, none re-embedded), {self.conversations_copied} conversations, "
            f"{self.keys_copied} API keys and {self.audit_copied} audit entries; "
            f"already there: {self.documents_unchanged} documents, "
            f"{self.conversations_unchanged} conversations, {self.keys_unchanged} API keys"
        ]
        if self.conflicts:
            lines.append(f"{len(self.conflicts)} conflicts, left as the server has them:")
            lines.extend(f"  {conflict}" for conflict in self.conflicts)
        return "\n".join(lines)


def copy_embedded_index(
    index_dir: Path,
    target: ServerStores,
    progress: Callable[[int, int], None] | None = None,
    *,
    overwrite: bool = False,
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
        for batch in _batches(source.documents, total):
            with index.writing():  # per batch: live writers wait one batch at most
                todo = []
                for doc_id in batch:
                    prepared = _prepared(source.documents, doc_id, target, overwrite, report)
                    if prepared is not None:
                        todo.append(prepared)
                index.write(todo)
            report.documents_copied += len(todo)
            report.copied_versions.update((p.record.id, p.record.content_hash) for p in todo)
            report.sentence_vectors += sum(len(p.vectors) for p in todo)
            for p in todo:
                if p.replaces:
                    report.documents_overwritten.append(p.record.id)
                    target.documents.add_audit(
                        AuditEntry(
                            time.time(),
                            None,
                            "document.replace",
                            p.record.id,
                            p.record.content_hash,
                            "qa-service migrate --overwrite",
                        )
                    )
            if progress:
                progress(report.documents_copied + report.documents_unchanged, total)
        _copy_conversations(index_dir / CONVERSATIONS_FILENAME, source, target, report)
        keys_copied = _copy_keys(source, target, report)
        _copy_audit(source, target, report, keys_copied)
        if (
            report.documents_copied
            or report.conversations_copied
            or report.keys_copied
            or report.audit_copied
            or report.conflicts
        ):
            target.documents.add_audit(
                AuditEntry(time.time(), None, "index.migrate", None, None, _audit_detail(report))
            )
    finally:
        source.close()
    return report


def _batches(documents: DocumentStore, total: int) -> Iterator[list[str]]:
    for offset in range(0, total, COPY_BATCH):
        yield [r.id for r in documents.page(offset=offset, limit=COPY_BATCH)]


def _audit_detail(report: CopyReport) -> str:
    detail = (
        f"copied {report.documents_copied} documents, {report.conversations_copied} "
        f"conversations, {report.keys_copied} keys, {report.audit_copied} audit entries"
    )
    return detail + (f"; conflicts: {'; '.join(report.conflicts)}" if report.conflicts else "")


def _prepared(
    source: DocumentStore,
    doc_id: str,
    target: ServerStores,
    overwrite: bool,
    report: CopyReport,
) -> PreparedDocument | None:
    """The stored document as the index writes it; None if the target has this text
    (counted as unchanged) or holds something else under its id or its text under another
    id (a conflict, unless ``overwrite``: then the embedded copy replaces the server's)."""
    record = source.get(doc_id)
    text = source.text(doc_id)
    if record is None or text is None:
        return None  # deleted meanwhile
    existing = target.documents.get(doc_id)
    if existing is not None and existing.content_hash == record.content_hash:
        report.documents_unchanged += 1
        return None
    elsewhere = target.documents.find_by_hash(record.content_hash)
    if elsewhere is not None:
        _conflict(
            report,
            doc_id,
            f"document {doc_id!r}: its text is on the server as document {elsewhere.id!r}",
        )
        return None
    if existing is not None and not overwrite:
        _conflict(
            report,
            doc_id,
            f"document {doc_id!r}: the server holds other text under this id "
            f"(version {existing.version}; --overwrite replaces it with the embedded copy)",
        )
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


def _copy_keys(source: EmbeddedStores, target: ServerStores, report: CopyReport) -> set[str]:
    """API keys (hashes, with their ids: copied conversations keep their owners); what the
    target has already is left alone. Returns the names of the keys copied."""
    theirs = {key.name: key for key in target.documents.api_keys()}
    copied = set()
    for key in source.documents.api_keys():
        there = theirs.get(key.name)
        if there is not None:
            if (there.id, there.key_hash) != (key.id, key.key_hash):
                _conflict(
                    report,
                    key.name,
                    f"key {key.name!r}: the server has another key of this name; the "
                    "embedded one is not copied and does not work on the server",
                )
            elif (there.revoked_at is None) != (key.revoked_at is None):
                where = "on the server" if key.revoked_at is None else "in the embedded index"
                active = "the embedded index" if key.revoked_at is None else "the server"
                _conflict(
                    report,
                    key.name,
                    f"key {key.name!r}: revoked {where}, still active in {active} "
                    f"(revoke it there: qa-service keys revoke {key.name})",
                )
            else:
                report.keys_unchanged += 1
            continue
        try:
            target.documents.add_key(key)
        except KeyExists:  # created on the server meanwhile
            _conflict(report, key.name, f"key {key.name!r}: created on the server meanwhile")
        else:
            report.keys_copied += 1
            copied.add(key.name)
    return copied


def _copy_audit(
    source: EmbeddedStores, target: ServerStores, report: CopyReport, keys_copied: set[str]
) -> None:
    """The audit log, oldest entry first (see the module docstring for which entries)."""
    entries: list[AuditEntry] = []
    while batch := source.documents.audit(offset=len(entries), limit=1000):
        entries.extend(batch)
    entries.reverse()
    if entries and target.documents.has_audit(entries[0]):  # a later run
        entries = [
            e
            for e in entries
            if (e.document_id, e.content_hash) in report.copied_versions
            or _key_named(e) in keys_copied
        ]
    else:
        entries = [
            e
            for e in entries
            if e.document_id not in report.conflicting and _key_named(e) not in report.conflicting
        ]
    report.audit_copied = target.documents.import_audit(entries)


def _key_named(entry: AuditEntry) -> str | None:
    """The key a key.* entry is about (its detail: "name (scope)" or "name")."""
    if not entry.action.startswith("key.") or not entry.detail:
        return None
    return entry.detail.split(" (", 1)[0]


def _conflict(report: CopyReport, name: str, what: str) -> None:
    report.conflicts.append(what)
    report.conflicting.add(name)
