"""Reciprocal rank fusion: merge rankings from different retrievers without score scales."""

from collections.abc import Hashable, Sequence
from typing import TypeVar

from qa_service.tuning.retrieval import RRF_K

K = TypeVar("K", bound=Hashable)


def fuse_rankings(
    rankings: Sequence[Sequence[K]], weights: Sequence[float] | None = None, k: int = RRF_K
) -> dict[K, float]:
    """Weighted RRF: score(key) = sum_i w_i / (k + rank_i(key)), ranks starting at 1."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return scores
