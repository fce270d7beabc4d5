"""The embedded Chroma vector store: sentence and chunk vectors in ``index/chroma``.

Each entry carries ``doc``, ``ver`` (content version) and ``ord`` metadata. Entries of a
version that the document store no longer knows are ignored at query time and removed by
the index's repair step, so a crash mid-ingest never surfaces half a document.
"""

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import cast

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.client import Client
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from qa_service.stores.base import VECTOR_KINDS, Key, VectorHit, VectorKind

# Chroma's HNSW writer adds a batch with rayon threads; in Chroma 1.5 a batch added to an
# index that a read had already built loses about one entry in five fresh two-article
# indexes to ``query`` (``get`` still lists it, so counts look right; the lost entry was the
# best sentence for a seed question). One rayon thread: none lost in 40 of 40
# (tests/stores/test_chroma_recall.py). Set before the first client starts rayon's pool; a
# `chroma run` server needs the same environment (README, tests/helpers/engines.py).
CHROMA_ENV = {"RAYON_NUM_THREADS": "1"}
# ``qa-service check`` asks each entry's own vector: an entry the graph still links comes back
# first (or among identical twins); ten leaves room for duplicate sentences.
SELF_QUERY_RESULTS = 10
SAME_VECTOR_DISTANCE = 1e-5
"""Cosine distance at which a hit is the very vector asked (float32 rounding stays ~1e-7): a
numeric tolerance for ``unreachable``, not a tuning choice."""


class ChromaVectorStore:
    """Chroma keeps each process's HNSW graphs in memory and never sees what other processes
    write; ``reload`` re-reads them from disk (see ``EmbeddedStores.refresh``)."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._path = path
        # Around every call into Chroma: no call may use a client that reload() closed.
        self._calls: AbstractContextManager[object] = threading.Lock()
        self._open()

    def _open(self) -> None:
        os.environ.update(CHROMA_ENV)
        client = chromadb.PersistentClient(
            path=str(self._path),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        self._client = cast(Client, client)  # the concrete class: it has close()
        self._collections = open_collections(self._client)

    def reload(self) -> None:
        with self._calls:
            self._client.close()
            self._open()

    def close(self) -> None:
        with self._calls:
            self._client.close()

    def add(
        self,
        kind: VectorKind,
        entries: Sequence[tuple[str, str, np.ndarray]],
        batch: int = 4096,
    ) -> None:
        """Vectors of several (doc_id, version) at once: Chroma's cost is per call, so bulk
        loads group many documents into calls of ``batch`` entries."""
        ids: list[str] = []
        metadatas: list[dict] = []
        parts = []
        for doc_id, version, vectors in entries:
            ids += [_entry_id(doc_id, version, i) for i in range(len(vectors))]
            metadatas += [{"doc": doc_id, "ver": version, "ord": i} for i in range(len(vectors))]
            parts.append(np.asarray(vectors, dtype=np.float32))
        if not ids:
            return
        matrix = np.concatenate(parts)
        with self._calls:
            for lo in range(0, len(ids), batch):
                self._collections[kind].upsert(
                    ids=ids[lo : lo + batch],
                    embeddings=matrix[lo : lo + batch],
                    metadatas=metadatas[lo : lo + batch],  # type: ignore[arg-type]
                )

    def delete(self, doc_id: str, *, version: str | None = None, keep: str | None = None) -> None:
        """Delete a document's entries: one version, all but ``keep``, or all."""
        where: dict = {"doc": doc_id}
        if version is not None:
            where = {"$and": [{"doc": doc_id}, {"ver": version}]}
        elif keep is not None:
            where = {"$and": [{"doc": doc_id}, {"ver": {"$ne": keep}}]}
        with self._calls:
            for collection in self._collections.values():
                collection.delete(where=where)  # type: ignore[arg-type]

    def query(self, kind: VectorKind, vector: np.ndarray, n: int) -> list[VectorHit]:
        # Only distances: an entry's id already says (doc, version, ord), and asking Chroma
        # for metadatas too costs ~0.5-1 ms more per query (benchmarks/README.md).
        with self._calls:
            result = self._collections[kind].query(
                query_embeddings=[vector], n_results=n, include=["distances"]
            )
        ids = result["ids"][0] if result["ids"] else []
        distances = (result["distances"] or [[]])[0]
        return [
            VectorHit(*_parse_id(id_), 1.0 - float(d))
            for id_, d in zip(ids, distances, strict=True)
        ]

    def vectors(
        self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]
    ) -> dict[Key, np.ndarray]:
        """Stored vectors by (doc_id, version, ord); returned keyed by (doc_id, ord)."""
        if not keys:
            return {}
        ids = [_entry_id(doc, ver, i) for doc, ver, i in keys]
        with self._calls:
            got = self._collections[kind].get(ids=ids, include=["embeddings"])
        embeddings = got["embeddings"]
        out = {}
        for id_, e in zip(got["ids"], embeddings if embeddings is not None else [], strict=True):
            doc, _ver, ord_ = _parse_id(id_)
            out[(doc, ord_)] = np.asarray(e, dtype=np.float32)
        return out

    def entries(self, kind: VectorKind, page: int = 10_000) -> Iterator[tuple[str, str, int]]:
        """Every entry's (doc_id, version, ord), page by page (``qa-service check``)."""
        offset = 0
        while True:
            with self._calls:
                ids = self._collections[kind].get(include=[], limit=page, offset=offset)["ids"]
            yield from (_parse_id(i) for i in ids)
            if len(ids) < page:
                return
            offset += len(ids)

    def delete_entries(self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]) -> None:
        """Delete entries by (doc_id, version, ord)."""
        for lo in range(0, len(keys), 4096):
            ids = [_entry_id(*key) for key in keys[lo : lo + 4096]]
            with self._calls:
                self._collections[kind].delete(ids=ids)

    def count(self, kind: VectorKind) -> int:
        with self._calls:
            return self._collections[kind].count()

    def unreachable(
        self,
        kind: VectorKind,
        page: int = 1_000,
        keys: Sequence[tuple[str, str, int]] | None = None,
    ) -> list[tuple[str, str, int]]:
        """Entries whose own vector, asked as a query, brings back neither them nor an
        identical vector (distance 0) among the first ``SELF_QUERY_RESULTS``. An article that
        repeats one sentence stores more identical vectors than a query returns; any of
        them answers for all, so they are not reported (the graph reaches that vector).
        ``keys``: only these entries (those not stored are not reported), else all."""
        lost: list[tuple[str, str, int]] = []
        offset = 0
        while True:
            with self._calls:
                collection = self._collections[kind]
                if keys is None:
                    got = collection.get(include=["embeddings"], limit=page, offset=offset)
                else:
                    asked = [_entry_id(*key) for key in keys[offset : offset + page]]
                    got = collection.get(ids=asked, include=["embeddings"])
                ids = got["ids"]
                hits: list[list[str]] = []
                distances: list[list[float]] = []
                if ids:
                    found = collection.query(
                        query_embeddings=got["embeddings"],  # type: ignore[arg-type]
                        n_results=min(SELF_QUERY_RESULTS, collection.count()),
                        include=["distances"],
                    )
                    hits = found["ids"]
                    distances = [list(d) for d in found["distances"] or [[] for _ in ids]]
            lost += [
                _parse_id(i)
                for i, near, far in zip(ids, hits, distances, strict=True)
                if i not in near and not (far and min(far) <= SAME_VECTOR_DISTANCE)
            ]
            if len(ids) < page if keys is None else offset + page >= len(keys):
                return lost
            offset += len(ids) if keys is None else page

    def stored(
        self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]
    ) -> list[tuple[str, str, int]]:
        """Those of ``keys`` (doc_id, version, ord) that are stored now."""
        found: set[str] = set()
        for lo in range(0, len(keys), 4096):
            ids = [_entry_id(*key) for key in keys[lo : lo + 4096]]
            with self._calls:
                found.update(self._collections[kind].get(ids=ids, include=[])["ids"])
        return [key for key in keys if _entry_id(*key) in found]

    def rewrite(self, kind: VectorKind, keys: Sequence[tuple[str, str, int]]) -> None:
        """Upsert the entries with their own vectors: Chroma re-links an updated entry into
        its graph (delete + add would lose them to a crash in between)."""
        for lo in range(0, len(keys), 4096):
            ids = [_entry_id(*key) for key in keys[lo : lo + 4096]]
            with self._calls:
                collection = self._collections[kind]
                got = collection.get(ids=ids, include=["embeddings", "metadatas"])
                if got["ids"]:
                    collection.upsert(
                        ids=got["ids"],
                        embeddings=got["embeddings"],  # type: ignore[arg-type]
                        metadatas=got["metadatas"],
                    )


def open_collections(client: ClientAPI) -> dict[VectorKind, Collection]:
    """Our two collections, created when missing (embedded or server Chroma alike)."""
    # embedding_function=None: we always pass vectors; Chroma must never fetch a model.
    return {
        kind: client.get_or_create_collection(
            f"qa_{kind}",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
        )
        for kind in VECTOR_KINDS
    }


def _entry_id(doc_id: str, version: str, ord_: int) -> str:
    return f"{doc_id}\x1f{version}\x1f{ord_}"


def _parse_id(entry_id: str) -> tuple[str, str, int]:
    doc_id, version, ord_ = entry_id.split("\x1f")
    return doc_id, version, int(ord_)
