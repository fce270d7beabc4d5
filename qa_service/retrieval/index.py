"""The journalled writer: documents, spans, BM25 rows and vectors kept consistent.

Write order for a new version V of document D (``write``, for one document or many):
  1. journal (D, V, "add") in the document store;  2. vectors of V into the vector store;
  3. one document-store transaction swaps D's rows to V;  4. vectors of D other than V go;
  5. journal entry removed.
A crash anywhere leaves the document store on the old or the new version; ``repair`` (run
when the index opens) finishes or rolls back the vector side from the journal. A write that
fails (an engine down: 503) repairs its own entries on the way out if it can; if it cannot
(the engine is still down), the next write repairs them first: whoever holds the writers'
lock knows every journal entry it finds is left over from a write that ended, so `qa-service
check` is clean again after the next successful write, with no `--fix`. Query code
ignores vector hits whose version the document store does not hold, so readers never see a
partial document.

What to write (validation, ids, metadata, segmentation, embedding) is decided before, by
the document service (qa_service/documents.py).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from qa_service.errors import DocumentNotFound, StoreUnavailable
from qa_service.models import Chunk, Sentence
from qa_service.stores.base import (
    VECTOR_KINDS,
    DocumentRecord,
    JournalEntry,
    Stores,
    VectorKind,
)
from qa_service.tuning.ingest import KEYWORD_MERGE_STEP_PAGES


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document ready to write: segmented, its sentences embedded."""

    record: DocumentRecord
    text: str
    sentences: list[Sentence]
    chunks: list[Chunk]
    vectors: np.ndarray  # one per sentence
    replaces: bool = False  # an older version of this id may exist


class SentenceRange(Protocol):
    """What a chunk's vector needs: its sentences (a ``Chunk`` or a stored ``ChunkSpan``)."""

    @property
    def first_sentence(self) -> int: ...
    @property
    def last_sentence(self) -> int: ...


def chunk_vectors(sentence_vectors: np.ndarray, chunks: Sequence[SentenceRange]) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentences' vectors: no second pass.
    The exact index (stores/exact.py) computes it again from the stored sentence vectors."""
    out = np.zeros((len(chunks), sentence_vectors.shape[1]), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        mean = sentence_vectors[chunk.first_sentence : chunk.last_sentence + 1].mean(axis=0)
        out[i] = mean / (np.linalg.norm(mean) or 1.0)
    return out


Entry = tuple[str, str, int]  # (doc_id, version, ord) of a vector
OPENING_WORDS = 8
"""How many of a span's first words ``qa-service check`` shows to name it."""


@dataclass(frozen=True, slots=True)
class LostSpan:
    """A sentence or chunk of a current version that dense search cannot reach: its vector
    is ``missing`` from the vector store, or stored but ``unreachable`` (no query finds it).
    ``start``/``end``/``opening``: where it is in the article and its first words (None /
    "" when the document store no longer holds it)."""

    kind: VectorKind
    doc_id: str
    version: str
    ord: int
    why: str  # "missing" or "unreachable"
    start: int | None = None
    end: int | None = None
    opening: str = ""

    def describe(self) -> str:
        """One line naming it: what, where, which words."""
        where = f" [{self.start}:{self.end}]" if self.start is not None else ""
        words = f' "{self.opening}"' if self.opening else ""
        return (
            f"{self.why} {self.kind[:-1]} vector: document {self.doc_id!r} version "
            f"{self.version} {self.kind[:-1]} {self.ord}{where}{words}"
        )


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``ArticleIndex.check`` found."""

    journal: int  # unfinished writes in the journal
    orphan_sentence_vectors: int  # vectors of versions no document holds
    orphan_chunk_vectors: int
    fixed: bool
    unreachable_sentence_vectors: int = 0  # stored, but no query finds them (stores/chroma.py)
    unreachable_chunk_vectors: int = 0
    missing_sentence_vectors: int = 0  # spans of current versions with no vector at all
    missing_chunk_vectors: int = 0
    lost: tuple[LostSpan, ...] = ()  # each unreachable or missing one, named (HUNT7 L15)
    asked_sentence_vectors: int = 0  # stored vectors asked as queries (``unreachable``)
    asked_chunk_vectors: int = 0
    sentences: int = 0  # sentences of current versions (the service fills these two in)
    exact_max_sentences: int = 0  # questions search an exact copy up to this many (0: never)

    def checked(self) -> str:
        """What the vector scan asked, and whether questions ask the same graph: an operator
        reads an "unreachable" count by it (fix16). The check asks Chroma's graph as this
        process loaded it: what Chroma saved (every 1,000 writes) plus the later writes it
        links again on opening, which need not be linked as the serving process linked them.
        While the exact copy answers questions (stores/exact.py), no question asks that graph."""
        asked = (
            f"checked: {self.asked_sentence_vectors:,} sentence and "
            f"{self.asked_chunk_vectors:,} chunk vectors, each asked as a query of Chroma's "
            "HNSW graph as this process loaded it (each its own query); "
        )
        if 0 < self.sentences <= self.exact_max_sentences:
            return asked + (
                f"questions search an exact copy of the vectors while the index holds at most "
                f"{self.exact_max_sentences:,} sentences (now {self.sentences:,}), so an "
                "unreachable vector hides no sentence from them until the index outgrows it"
            )
        return asked + (
            f"questions search that graph (the index holds {self.sentences:,} sentences, the "
            f"exact copy at most {self.exact_max_sentences:,}): an unreachable vector is a "
            "sentence no question finds until `check --fix`"
        )

    @property
    def clean(self) -> bool:
        return not (
            self.journal
            or self.orphan_sentence_vectors
            or self.orphan_chunk_vectors
            or self.unreachable_sentence_vectors
            or self.unreachable_chunk_vectors
            or self.missing_sentence_vectors
            or self.missing_chunk_vectors
        )


class ArticleIndex:
    """Writes through ``stores``; opening it repairs what a crash left half done (unless
    ``repair`` is false: ``qa-service check`` reports before it repairs)."""

    def __init__(self, stores: Stores, *, repair: bool = True) -> None:
        self.stores = stores
        if repair:
            with stores.writing():
                self.repair()

    def writing(self):  # type: ignore[no-untyped-def]
        """Held around a read-decide-write sequence (the document service's id checks)."""
        return self.stores.writing()

    def repair(self) -> int:
        """Finish or undo vector-store work a crash interrupted. Returns entries repaired.

        Caller holds ``writing()``."""
        docs, vectors = self.stores.documents, self.stores.vectors
        pending = docs.journal()
        for entry in pending:
            current = docs.get(entry.doc_id)
            if current is None:
                vectors.delete(entry.doc_id)
            elif current.version == entry.version:
                vectors.delete(entry.doc_id, keep=entry.version)
            else:
                vectors.delete(entry.doc_id, version=entry.version)
            docs.journal_remove(entry)
        return len(pending)

    def check(self, *, fix: bool) -> CheckReport:
        """Find (and with ``fix`` remove) what a crash can leave behind: journal entries of
        unfinished writes and vectors of versions the document store does not hold (never
        visible in answers: queries drop them); and spans of current versions that dense
        search cannot reach: vectors no query finds (with ``fix`` written again so that
        queries do) and vectors missing from the vector store (with ``fix`` written from the
        sentence vectors the document store keeps). Each of those is named in the report.

        Reads every vector once and asks it as a query: O(vectors), a command for operators,
        so the scan runs without the writers' lock (writes on every replica go on); what it
        found is then checked again as the writer, so a write in flight during the scan is
        never taken for debris, and the lock is held only for that check and the fixes.
        """
        docs, vectors = self.stores.documents, self.stores.vectors
        found: dict[VectorKind, list[Entry]] = {}
        unreachable: dict[VectorKind, list[Entry]] = {}
        missing: dict[VectorKind, list[Entry]] = {}
        asked: dict[VectorKind, int] = {}
        for kind in VECTOR_KINDS:
            entries = list(vectors.entries(kind))
            asked[kind] = len(entries)
            current = docs.versions(list({doc for doc, _, _ in entries}))
            found[kind] = [e for e in entries if current.get(e[0]) != e[1]]
            unreachable[kind] = [e for e in vectors.unreachable(kind) if current.get(e[0]) == e[1]]
            missing[kind] = self._missing(kind, set(entries))
        with self.writing():
            journal = len(docs.journal())
            orphans: dict[VectorKind, list[Entry]] = {}
            for kind in VECTOR_KINDS:
                candidates = found[kind] + unreachable[kind] + missing[kind]
                current = docs.versions(list({doc for doc, _, _ in candidates}))
                orphans[kind] = [e for e in found[kind] if current.get(e[0]) != e[1]]
                unreachable[kind] = [e for e in unreachable[kind] if current.get(e[0]) == e[1]]
                missing[kind] = [e for e in missing[kind] if current.get(e[0]) == e[1]]
                # Asked again as they are now: a write that finished during the scan may
                # have removed or re-written what the scan saw (hunt 8 L5).
                if orphans[kind]:
                    orphans[kind] = vectors.stored(kind, orphans[kind])
                if unreachable[kind]:
                    unreachable[kind] = vectors.unreachable(kind, keys=unreachable[kind])
                if missing[kind]:
                    stored = set(vectors.stored(kind, missing[kind]))
                    missing[kind] = [e for e in missing[kind] if e not in stored]
            if fix:
                self.repair()
                for kind in VECTOR_KINDS:
                    vectors.delete_entries(kind, orphans[kind])
                    vectors.rewrite(kind, unreachable[kind])
                self._restore(missing)
        lost = self._named(unreachable, "unreachable") + self._named(missing, "missing")
        return CheckReport(
            journal,
            len(orphans["sentences"]),
            len(orphans["chunks"]),
            fixed=fix,
            unreachable_sentence_vectors=len(unreachable["sentences"]),
            unreachable_chunk_vectors=len(unreachable["chunks"]),
            missing_sentence_vectors=len(missing["sentences"]),
            missing_chunk_vectors=len(missing["chunks"]),
            lost=tuple(lost),
            asked_sentence_vectors=asked["sentences"],
            asked_chunk_vectors=asked["chunks"],
        )

    def _missing(self, kind: VectorKind, stored: set[Entry], page: int = 1000) -> list[Entry]:
        """Spans of current versions that have no entry in ``stored``."""
        docs = self.stores.documents
        out: list[Entry] = []
        offset = 0
        while records := docs.page(offset=offset, limit=page):
            for r in records:
                n = r.n_sentences if kind == "sentences" else r.n_chunks
                spans = [(r.id, r.version, i) for i in range(n)]
                out += [e for e in spans if e not in stored]
            offset += len(records)
        return out

    def _restore(self, missing: dict[VectorKind, list[Entry]]) -> None:
        """Write the vectors of documents with missing ones again, from the sentence vectors
        the document store keeps (a chunk's is their mean: ``chunk_vectors``); an index that
        lacks some of them (stored before they were kept) is left as it is. Caller holds
        ``writing()``."""
        docs, vectors = self.stores.documents, self.stores.vectors
        for doc_id, version in dict.fromkeys((d, v) for e in missing.values() for d, v, _ in e):
            record = docs.get(doc_id)
            if record is None or record.version != version:
                continue
            keys = [(doc_id, i) for i in range(record.n_sentences)]
            stored = docs.sentence_vectors(keys)
            if len(stored) < len(keys):
                continue
            matrix = np.stack([stored[k] for k in keys])
            if any(e[0] == doc_id for e in missing["sentences"]):
                vectors.add("sentences", [(doc_id, version, matrix)])
            if any(e[0] == doc_id for e in missing["chunks"]):
                spans = docs.chunks_by_key([(doc_id, i) for i in range(record.n_chunks)])
                chunks = [spans[(doc_id, i)] for i in range(record.n_chunks)]
                vectors.add("chunks", [(doc_id, version, chunk_vectors(matrix, chunks))])

    def _named(self, entries: dict[VectorKind, list[Entry]], why: str) -> list[LostSpan]:
        """``entries`` as the spans they stand for: offsets and first words (``LostSpan``)."""
        docs = self.stores.documents
        out = []
        for kind, keys in entries.items():
            wanted = [(doc, ord_) for doc, _, ord_ in keys]
            spans: dict[Any, Any] = (
                docs.sentences_by_key(wanted) if kind == "sentences" else docs.chunks_by_key(wanted)
            )
            for doc, version, ord_ in keys:
                span = spans.get((doc, ord_))
                if span is None:
                    out.append(LostSpan(kind, doc, version, ord_, why))
                    continue
                text = getattr(span, "text", None) or docs.quote(doc, span.start, span.end) or ""
                words = text.split()
                opening = " ".join(words[:OPENING_WORDS])
                if len(words) > OPENING_WORDS:
                    opening += " ..."
                out.append(LostSpan(kind, doc, version, ord_, why, span.start, span.end, opening))
        return out

    def write(self, items: Sequence[PreparedDocument]) -> None:
        """Write documents whose segmentation and sentence vectors are known.

        The vector-store calls are shared by all ``items`` (its cost is mostly per call, which
        matters for bulk loads). Caller holds ``writing()``.
        """
        docs, vectors = self.stores.documents, self.stores.vectors
        self.repair()  # entries of a write that failed before (see the module docstring)
        entries = [JournalEntry(i.record.id, i.record.version, "add") for i in items]
        for entry in entries:
            docs.journal_add(entry)
        with self._undone_on_failure():
            vectors.add("sentences", [(i.record.id, i.record.version, i.vectors) for i in items])
            vectors.add(
                "chunks",
                [
                    (i.record.id, i.record.version, chunk_vectors(i.vectors, i.chunks))
                    for i in items
                ],
            )
            for item in items:
                docs.replace(item.record, item.text, item.sentences, item.chunks, item.vectors)
            for item, entry in zip(items, entries, strict=True):
                if item.replaces:
                    vectors.delete(item.record.id, keep=item.record.version)
                docs.journal_remove(entry)

    @contextmanager
    def _undone_on_failure(self) -> Iterator[None]:
        """A write an engine refused (down: a 503) repairs its journal entries at once when
        the engines allow (the caller still holds the lock); else they wait for the next
        write. An engine that timed out is not asked again here: the repair would wait a
        second timeout before the 503 (README promises QA_BACKEND_TIMEOUT + 0.5 s), so the
        entries wait for the next write or start-up. Anything else stays as a crash would
        leave it, for the same repair."""
        try:
            yield
        except StoreUnavailable as exc:
            if not getattr(exc, "timed_out", False):
                with suppress(Exception):
                    self.repair()
            raise

    def add_prepared(self, items: Sequence[PreparedDocument]) -> None:
        """``write`` under its own lock: the bulk path (benchmarks, re-imports)."""
        with self.writing():
            self.write(items)

    def merge_keyword_segments(self, pages: int) -> int:
        """Merge the keyword index towards one segment, about ``pages`` pages at most, in
        steps that each hold ``writing()`` briefly (KEYWORD_MERGE_STEP_PAGES). Returns the
        pages of the steps that merged something (0: already one segment, or ``pages`` 0)."""
        merged = 0
        while merged < pages:
            step = min(KEYWORD_MERGE_STEP_PAGES, pages - merged)
            with self.writing():
                if not self.stores.documents.merge_keyword_segments(step):
                    break
            merged += step
        return merged

    def update_metadata(self, doc_id: str, fields: dict[str, Any]) -> None:
        """Caller holds ``writing()``: only the document store changes, no journal needed."""
        self.stores.documents.update_metadata(doc_id, fields)

    def delete(self, doc_id: str) -> DocumentRecord:
        """The deleted document's record (as it was when the delete ran)."""
        with self.writing():
            existing = self.stores.documents.get(doc_id)
            if existing is None:
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            self.repair()
            entry = JournalEntry(doc_id, existing.version, "delete")
            self.stores.documents.journal_add(entry)
            with self._undone_on_failure():
                self.stores.documents.delete(doc_id)
                self.stores.vectors.delete(doc_id)
                self.stores.documents.journal_remove(entry)
        return existing
