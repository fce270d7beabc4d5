"""Weighted reciprocal rank fusion."""

from qa_service.retrieval.fusion import fuse_rankings
from qa_service.tuning.retrieval import RRF_K


def test_fusion_rewards_agreement() -> None:
    fused = fuse_rankings([["a", "b", "c"], ["b", "a"], ["b"]])
    assert max(fused, key=fused.__getitem__) == "b"
    weighted = fuse_rankings([["a"], ["b"]], weights=[2.0, 1.0])
    assert weighted["a"] > weighted["b"]


def test_scores_follow_the_rrf_formula() -> None:
    fused = fuse_rankings([["a", "b"], ["b"]], weights=[1.0, 0.7])
    assert fused["a"] == 1 / (RRF_K + 1)
    assert abs(fused["b"] - (1 / (RRF_K + 2) + 0.7 / (RRF_K + 1))) < 1e-12
