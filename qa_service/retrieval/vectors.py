"""Chroma collections of sentence and chunk vectors, computed by our own embedder.

Each entry carries ``doc``, ``ver`` (content version) and ``ord`` metadata. Entries of a
version that SQLite no longer knows are ignored at query time and removed by the index's
repair step, so a crash mid-ingest never surfaces half a document.
"""

from dataclasses import dataclass
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

_KINDS = ("sentences", "chunks")


@dataclass(frozen=True, slots=True)
class VectorHit:
    doc_id: str
    version: str
    ord: int
    similarity: float


class VectorStore:
    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(path),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        # embedding_function=None: we always pass vectors; Chroma must never fetch a model.
        self._collections = {
            kind: self._client.get_or_create_collection(
                f"qa_{kind}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
            )
            for kind in _KINDS
        }

    def add(self, kind: str, doc_id: str, version: str, vectors: np.ndarray) -> None:
        if len(vectors) == 0:
            return
        collection = self._collections[kind]
        ids = [f"{doc_id}\x1f{version}\x1f{i}" for i in range(len(vectors))]
        metadatas = [{"doc": doc_id, "ver": version, "ord": i} for i in range(len(vectors))]
        batch = 4096
        for lo in range(0, len(ids), batch):
            collection.upsert(
                ids=ids[lo : lo + batch],
                embeddings=vectors[lo : lo + batch],
                metadatas=metadatas[lo : lo + batch],  # type: ignore[arg-type]
            )

    def delete(self, doc_id: str, *, version: str | None = None, keep: str | None = None) -> None:
        """Delete a document's entries: one version, all but ``keep``, or all."""
        where: dict = {"doc": doc_id}
        if version is not None:
            where = {"$and": [{"doc": doc_id}, {"ver": version}]}
        elif keep is not None:
            where = {"$and": [{"doc": doc_id}, {"ver": {"$ne": keep}}]}
        for collection in self._collections.values():
            collection.delete(where=where)  # type: ignore[arg-type]

    def query(self, kind: str, vector: np.ndarray, n: int) -> list[VectorHit]:
        collection = self._collections[kind]
        result = collection.query(
            query_embeddings=[vector], n_results=n, include=["metadatas", "distances"]
        )
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            VectorHit(str(m["doc"]), str(m["ver"]), int(m["ord"]), 1.0 - float(d))  # type: ignore[arg-type]
            for m, d in zip(metadatas, distances, strict=True)
        ]

    def vectors(
        self, kind: str, keys: list[tuple[str, str, int]]
    ) -> dict[tuple[str, int], np.ndarray]:
        """Stored vectors by (doc_id, version, ord); returned keyed by (doc_id, ord)."""
        if not keys:
            return {}
        ids = [f"{doc}\x1f{ver}\x1f{i}" for doc, ver, i in keys]
        got = self._collections[kind].get(ids=ids, include=["embeddings", "metadatas"])
        embeddings = got["embeddings"]
        metadatas = got["metadatas"] or []
        return {
            (str(m["doc"]), int(m["ord"])): np.asarray(e, dtype=np.float32)  # type: ignore[arg-type]
            for m, e in zip(metadatas, embeddings if embeddings is not None else [], strict=True)
        }

    def count(self, kind: str) -> int:
        return self._collections[kind].count()
