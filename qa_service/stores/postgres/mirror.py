"""Server mode's in-memory copy of a small index, per replica: what embedded mode reads
in-process (exact dense search, spans, texts), fed from PostgreSQL.

Over a small index a question's time in server mode was round trips: two Chroma queries
(~1.2 ms fixed server cost each) and three steps of PostgreSQL lookups after them (~1 ms
each), against embedded mode's exact in-memory search and in-process SQLite
(benchmarks/README.md, "Scale-out"). While the index holds at most
``QA_EXACT_SEARCH_MAX_SENTENCES`` sentences (the same bound as embedded mode's exact search,
qa_service/tuning/latency.py) each replica keeps:

* every current version's sentence and chunk spans, article text and sentence vectors (chunk
  vectors computed from them as at ingest), read once per version: a version never changes
  once written (a new text is a new version id), so this cache is the replica's own and no
  other replica needs it;
* every document's record (title, source, ...), which ``update_metadata`` may change, read
  again with the versions at each change.

Liveness is PostgreSQL's, asked at every question: ``counters.changes`` is bumped by every
ingest, delete and metadata update in its own transaction (migration 6), and one indexed read
of it (started while the question is embedded, retrieval/retriever.py) says whether any
replica wrote since the copy was made. If so the copy follows before the question is answered:
the versions of all documents, then the new versions' contents. So a write that returned on
another replica is seen by the next question here (read-your-writes), and a document deleted
there is absent here at once. Above the bound the copy is dropped and Chroma and PostgreSQL
answer every lookup, as before. Keyword (BM25) searches always run in PostgreSQL.
"""

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from qa_service.stores.base import (
    ChunkSpan,
    DocumentRecord,
    Key,
    SentenceSpan,
    VectorHit,
    VectorKind,
)
from qa_service.stores.exact import ExactIndex, Held, Matrices, search
from qa_service.stores.postgres.documents import DocumentContents, PostgresDocumentStore


class MirroredReads:
    """One immutable state of the copy: the question-time lookups of ``DocumentStore`` and
    the vector store's ``query``, answered in memory exactly as SQLite and the exact index
    answer them in embedded mode (same rows, same order)."""

    def __init__(
        self, held: dict[str, Held], matrices: Matrices, records: dict[str, DocumentRecord]
    ) -> None:
        self._matrices = matrices
        self._versions = {d: h.version for d, h in held.items()}
        contents: dict[str, DocumentContents] = {d: h.stored for d, h in held.items()}
        self._texts = {d: c.text for d, c in contents.items()}
        self._records = {d: r for d, r in records.items() if d in contents}
        self._spans = {d: c.spans for d, c in contents.items()}
        self._vectors = {d: c.sentences for d, c in contents.items()}
        self._chunks = {d: c.chunks for d, c in contents.items()}

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]:
        return search(self._matrices, kind, vector, n)

    def versions(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return {d: self._versions[d] for d in doc_ids if d in self._versions}

    def _at(self, table: dict[str, list], key: Key):  # type: ignore[no-untyped-def]
        rows = table.get(key[0])
        return rows[key[1]] if rows is not None and 0 <= key[1] < len(rows) else None

    def sentences_by_key(self, keys: Sequence[Key]) -> dict[Key, SentenceSpan]:
        found = {tuple(k): self._at(self._spans, k) for k in keys}
        return {k: row for k, row in found.items() if row is not None}  # type: ignore[misc]

    def chunks_by_key(self, keys: Sequence[Key]) -> dict[Key, ChunkSpan]:
        found = {tuple(k): self._at(self._chunks, k) for k in keys}
        return {k: row for k, row in found.items() if row is not None}  # type: ignore[misc]

    def sentences_of_chunks(self, keys: Sequence[Key]) -> list[SentenceSpan]:
        """By document, then position (SQLite's order: binary, as Python compares str)."""
        rows: list[SentenceSpan] = []
        for key in dict.fromkeys(keys):
            chunk = self._at(self._chunks, key)
            if chunk is not None:
                rows += self._spans[key[0]][chunk.first_sentence : chunk.last_sentence + 1]
        return sorted(rows, key=lambda r: (r.doc_id, r.ord))

    def sentence_vectors(self, keys: Sequence[Key]) -> dict[Key, np.ndarray]:
        found = {}
        for doc_id, ord_ in keys:
            vectors = self._vectors.get(doc_id)
            if vectors is not None and 0 <= ord_ < len(vectors):
                found[(doc_id, ord_)] = vectors[ord_]
        return found

    def articles(self, doc_ids: Sequence[str]) -> dict[str, DocumentRecord]:
        return {
            d: replace(self._records[d], text=self._texts[d])
            for d in dict.fromkeys(doc_ids)
            if d in self._records
        }


class Mirror(ExactIndex):
    """``ExactIndex`` over PostgreSQL, holding each version's contents beside its vectors."""

    _documents: PostgresDocumentStore

    def __init__(self, documents: PostgresDocumentStore, max_sentences: int) -> None:
        super().__init__(documents, max_sentences)
        self._records: dict[str, DocumentRecord] = {}
        self.reads: MirroredReads | None = None

    def _changes(self) -> int:
        return self._documents.change_count()

    def _versions(self) -> dict[str, str]:
        self._records = self._documents.all_records()
        return {d: r.version for d, r in self._records.items()}

    def _sync(self) -> None:
        super()._sync()
        snapshot, held = self._snapshot, self._held
        self.reads = None if snapshot is None else MirroredReads(held, snapshot, self._records)

    def current(self) -> MirroredReads | None:
        """The copy as of now (one round trip when no replica wrote since the last call);
        None when the index is above the bound: the engines answer."""
        if self.max_sentences <= 0:
            return None
        self.follow()
        return self.reads
