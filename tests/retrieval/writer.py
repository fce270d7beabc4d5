"""A second process writing to an index: `python -m tests.retrieval.writer INDEX PREFIX N`.

Adds N articles of 8 sentences through ``ArticleIndex.add`` (the real write path, real
Chroma), embedded by ``HashEmbedder`` so that thousands of vectors take seconds.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np

from qa_service.models import Article
from qa_service.retrieval.index import ArticleIndex


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


def article(prefix: str, i: int) -> str:
    return " ".join(
        f"Die Meldung {prefix}{i} nennt im Absatz {j} die Zahl {i * 100 + j} als Wert."
        for j in range(8)
    )


def main(index_dir: str, prefix: str, n: int) -> None:
    index = ArticleIndex(Path(index_dir), HashEmbedder())  # type: ignore[arg-type]
    for i in range(n):
        index.add(Article(text=article(prefix, i)), f"{prefix}{i}")
    index.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
