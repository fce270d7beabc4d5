"""Exact dense search over an in-memory copy of the current vectors.

Chroma answers a query in ~0.8 ms even over 200 vectors (its Rust frontend's fixed cost), and
a question asks two. Over a small index a plain cosine scan with numpy is ~10x cheaper
(benchmarks/README.md, "Exact dense search"), so while the index holds at most
``max_sentences`` sentences (qa_service/tuning/latency.py) ``ExactIndex`` answers both queries
and Chroma is only written to; above it the copy is dropped and Chroma answers again.

The copy is read from SQLite, which holds every current sentence's vector (chunk vectors are
the normalised means of their sentences', computed by the same function as at ingest), so it
never holds a version SQLite does not: no hits of writes in flight to drop. It follows this
process's writes and other processes' (``PRAGMA data_version``, as the document store's read
caches do) at the next ``follow``, i.e. the next question: incrementally, by each document's
version.

Server mode keeps the same copy per replica, fed from the vectors PostgreSQL stores
(stores/postgres/mirror.py subclasses ``ExactIndex``).
"""

import threading
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

from qa_service.retrieval.index import SentenceRange, chunk_vectors
from qa_service.stores.base import VECTOR_KINDS, IndexCounts, VectorHit, VectorKind
from qa_service.stores.chroma import ChromaVectorStore
from qa_service.stores.sqlite.documents import SQLiteDocumentStore


class StoredVectors(Protocol):
    """A document's vectors as its store holds them (``sentences`` None: one is missing)."""

    @property
    def version(self) -> str: ...
    @property
    def sentences(self) -> np.ndarray | None: ...
    @property
    def chunks(self) -> Sequence[SentenceRange]: ...


class VectorSource(Protocol):
    """The document store an ``ExactIndex`` is read from."""

    def counts(self) -> IndexCounts: ...
    def document_vectors(self, doc_ids: Sequence[str]) -> Mapping[str, StoredVectors]: ...


class Held(NamedTuple):
    """One document's rows in the copy: unit vectors, ords from 0, and what the store
    returned for it (``stored``: a subclass may keep more of it)."""

    version: str
    vectors: dict[VectorKind, np.ndarray]
    stored: Any = None


class _Matrix(NamedTuple):
    keys: list[tuple[str, str, int]]  # (doc_id, version, ord) of each row
    vectors: np.ndarray  # float32, one unit row per key


Matrices = dict[VectorKind, _Matrix]


class ExactIndex:
    """Queries read one immutable snapshot; ``follow`` builds the next under a lock."""

    def __init__(self, documents: VectorSource, max_sentences: int) -> None:
        self._documents = documents
        self.max_sentences = max_sentences
        self._lock = threading.Lock()
        self._seen: Hashable | None = None  # the store's change counts synced to
        self._held: dict[str, Held] = {}
        self._snapshot: Matrices | None = None  # None: Chroma answers

    @property
    def active(self) -> bool:
        return self._snapshot is not None

    def _changes(self) -> Hashable:
        """What changes whenever any process writes (compared, never interpreted)."""
        docs = self._documents
        assert isinstance(docs, SQLiteDocumentStore)  # subclasses read other stores
        return docs.changed(), docs.own_commits

    def _versions(self) -> dict[str, str]:
        """Every current document's version (a subclass may read more with them)."""
        docs = self._documents
        assert isinstance(docs, SQLiteDocumentStore)
        return docs.all_versions()

    def follow(self) -> bool:
        """Bring the copy up to the document store's current state; cheap (one PRAGMA) when
        nothing was written since. Returns whether it read anything."""
        if self._changes() == self._seen:
            return False
        with self._lock:
            seen = self._changes()
            if seen == self._seen:
                return False  # another thread followed meanwhile
            self._sync()
            self._seen = seen
        return True

    def _sync(self) -> None:
        """Lock held. Drops changed or deleted documents, reads new versions."""
        docs = self._documents
        if docs.counts().sentences > self.max_sentences:
            self._held.clear()
            self._snapshot = None
            return
        versions = self._versions()
        held = {d: h for d, h in self._held.items() if versions.get(d) == h.version}
        changed = len(held) != len(self._held)
        new = [d for d, v in versions.items() if d not in held]
        for doc_id, stored in docs.document_vectors(new).items():
            if stored.sentences is None:  # a vector missing: only Chroma has them all
                self._held.clear()
                self._snapshot = None
                return
            chunks = chunk_vectors(stored.sentences, stored.chunks)
            held[doc_id] = Held(
                stored.version,
                {"sentences": _unit(stored.sentences), "chunks": _unit(chunks)},
                stored,
            )
            changed = True
        if changed or self._snapshot is None:
            self._held, self._snapshot = _rebuild(held)

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit] | None:
        """The ``n`` most similar entries, best first, by cosine; None when Chroma must
        answer (above the size limit, or before the first ``follow``)."""
        snapshot = self._snapshot
        return None if snapshot is None else search(snapshot, kind, vector, n)


def search(snapshot: Matrices, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]:
    """The ``n`` entries of ``snapshot`` most similar to ``vector``, best first, by cosine."""
    keys, matrix = snapshot[kind]
    n = min(n, len(keys))
    if n <= 0:
        return []
    query = np.asarray(vector, dtype=np.float32)
    # einsum, not BLAS: OpenBLAS runs a matrix-vector product over 24+ rows on all cores,
    # slower here (5,000 rows: 1.2 vs 0.5 ms) and spinning against the embedder's threads.
    similarity = np.einsum("ij,j->i", matrix, query / (np.linalg.norm(query) or 1.0))
    best = np.argpartition(-similarity, n - 1)[:n]
    best = best[np.argsort(-similarity[best], kind="stable")]
    return [
        VectorHit(doc_id, version, ord_, float(similarity[i]))
        for i in best
        for doc_id, version, ord_ in (keys[i],)
    ]


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, as Chroma's cosine space stores them."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _rebuild(held: dict[str, Held]) -> tuple[dict[str, Held], Matrices]:
    """One matrix per kind; each document's rows become views into it, so the copy is held
    once."""
    snapshot: dict[VectorKind, _Matrix] = {}
    views: dict[str, dict[VectorKind, np.ndarray]] = {d: {} for d in held}
    for kind in VECTOR_KINDS:
        parts = [h.vectors[kind] for h in held.values() if len(h.vectors[kind])]
        matrix = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
        keys: list[tuple[str, str, int]] = []
        row = 0
        for doc_id, h in held.items():
            size = len(h.vectors[kind])
            keys += [(doc_id, h.version, i) for i in range(size)]
            views[doc_id][kind] = matrix[row : row + size]
            row += size
        snapshot[kind] = _Matrix(keys, matrix)
    return {d: Held(h.version, views[d], h.stored) for d, h in held.items()}, snapshot


class ExactFirstVectorStore(ChromaVectorStore):
    """Embedded mode's vector store: Chroma keeps and persists every vector; queries are
    answered by ``exact`` while it is active."""

    exact: ExactIndex | None = None

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]:
        hits = self.exact.query(kind, vector, n) if self.exact is not None else None
        return super().query(kind, vector, n) if hits is None else hits
