"""An optional cross-encoder that reorders the best candidate sentences.

Off by default: no package on the registries this project installs from ships a
cross-encoder's weights (benchmarks/README.md lists what was searched and measured). An
install with hub access, or a model folder on disk, turns it on with ``QA_RERANKER_MODEL``
(e.g. a multilingual MS MARCO or bge reranker). The reranker only changes which of the
``rerank_candidates`` best-scored sentences comes first; retrieval, abstention and the
citation checks stay as they are.
"""

import threading
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from qa_service.errors import RerankerUnavailable

T = TypeVar("T")


class Reranker(Protocol):
    name: str

    def score(self, question: str, passages: list[str]) -> np.ndarray:
        """One relevance score per passage; higher is more relevant."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` given by a local folder or a hub name."""

    def __init__(self, model: str, max_length: int = 256) -> None:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RerankerUnavailable(f"sentence-transformers is not installed: {exc}") from None
        try:
            # A local folder must not reach for the hub (it may not be reachable at all).
            self._model = CrossEncoder(
                model, device="cpu", max_length=max_length, local_files_only=Path(model).exists()
            )
        except Exception as exc:
            raise RerankerUnavailable(f"cannot load reranker model {model!r}: {exc}") from None
        self.name = model
        self._lock = threading.Lock()

    def score(self, question: str, passages: list[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            scores = self._model.predict(
                [(question, p) for p in passages], convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(scores, dtype=np.float32).reshape(len(passages))


def rerank(
    reranker: Reranker,
    question: str,
    ranked: list[tuple[float, T]],
    texts: list[str],
) -> list[tuple[float, T]]:
    """Reorder the first ``len(texts)`` entries of ``ranked`` by the reranker's scores.

    ``texts[i]`` is what the reranker reads for ``ranked[i]``. The scores along the list stay
    the scorer's, in their sorted order: only which sentence holds each place changes, so the
    margins that decide merging and the answer text keep their meaning, and the entries after
    the reranked head keep their places.
    """
    head = len(texts)
    if head < 2:
        return ranked
    relevance = reranker.score(question, texts)
    order = sorted(range(head), key=lambda i: float(relevance[i]), reverse=True)
    places = [score for score, _ in ranked[:head]]
    return [(places[place], ranked[i][1]) for place, i in enumerate(order)] + ranked[head:]
