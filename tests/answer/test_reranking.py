"""The optional cross-encoder reranker: ordering, plumbing through the service, loading.

No reachable package ships a trained cross-encoder, so the real ``CrossEncoder`` here is a
tiny randomly initialised BERT (``tiny_cross_encoder`` in conftest): it proves loading,
scoring and the HTTP path, not answer quality. Which sentence wins is proven
with a reranker whose preference the test controls, over the real model, Chroma and SQLite.
"""

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from qa_service.answer.reranking import CrossEncoderReranker, rerank
from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.errors import RerankerUnavailable
from qa_service.service import QAService, build_service
from tests.helpers.checks import assert_citations_exact
from tests.helpers.embedders import MemoEmbedder

QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt?"


class PrefersWord:
    """Scores a passage 1 when it contains ``word``, else 0; records what it was shown."""

    name = "prefers-word"

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: list[str] = []
        self.question = ""

    def score(self, question: str, passages: list[str]) -> np.ndarray:
        self.seen, self.question = list(passages), question
        return np.array([float(self.word in p) for p in passages], dtype=np.float32)


def test_rerank_reorders_the_head_and_keeps_the_scores_in_place() -> None:
    ranked = [(0.9, "a"), (0.8, "b"), (0.7, "c"), (0.6, "d")]
    out = rerank(PrefersWord("c"), "q", ranked, ["a", "b", "c"])
    assert out == [(0.9, "c"), (0.8, "a"), (0.7, "b"), (0.6, "d")]
    # A head of one has nothing to reorder and the reranker is not asked.
    reranker = PrefersWord("b")
    assert rerank(reranker, "q", ranked, ["a"]) == ranked
    assert reranker.seen == []


def test_reranker_decides_the_first_citation(service: QAService, seed_texts: dict) -> None:
    plain = service.answerer.ask(QUESTION)
    assert "Browdi" in plain.citations[0].quote
    # Prefer a sentence the scorer ranked lower: it must become the first citation.
    reranker = PrefersWord("Apostol")
    service.answerer.reranker = reranker
    try:
        answer = service.answerer.ask(QUESTION)
    finally:
        service.answerer.reranker = None
    assert len(reranker.seen) == service.answerer.config.rerank_candidates
    assert any("Apostol" in text for text in reranker.seen)
    first = answer.citations[0]
    assert "Apostol" in first.quote, answer.citations
    assert first.score == plain.citations[0].score  # the place's score, not the sentence's
    assert answer.diagnostics["reranked"] == len(reranker.seen)
    for c in answer.citations:
        assert seed_texts[c.document_id][c.start : c.end] == c.quote


@pytest.mark.slow  # loads torch and a cross-encoder
def test_cross_encoder_scores_each_passage(tiny_cross_encoder: Path) -> None:
    reranker = CrossEncoderReranker(str(tiny_cross_encoder))
    passages = ["Robert Browdi wurde ernannt.", "Es regnete.", "Oleh Apostol führt."]
    scores = reranker.score(QUESTION, passages)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert len(set(scores.tolist())) == 3  # a real model: different inputs, different scores
    np.testing.assert_allclose(reranker.score(QUESTION, passages), scores, rtol=1e-5)
    assert reranker.score(QUESTION, []).shape == (0,)


@pytest.mark.slow  # loads torch and a cross-encoder
def test_service_with_a_cross_encoder_answers_over_http(
    settings: Settings, embedder: MemoEmbedder, tiny_cross_encoder: Path
) -> None:
    settings = settings.model_copy(update={"reranker_model": str(tiny_cross_encoder)})
    svc = build_service(settings, embedder)
    svc.ingest_seeds_if_empty()
    try:
        assert isinstance(svc.answerer.reranker, CrossEncoderReranker)
        with TestClient(create_app(settings, svc)) as client:
            assert client.get("/health").json()["reranker"] == str(tiny_cross_encoder)
            for question in (QUESTION, "Who was appointed head of the drone forces?"):
                response = client.post("/v1/ask", json={"question": question})
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["abstained"] is False and 1 <= len(body["citations"]) <= 3
                assert_citations_exact(client, body)
    finally:
        svc.close()


@pytest.mark.slow  # loads torch and a cross-encoder
def test_unloadable_reranker_is_a_clear_error(
    tmp_path: Path, empty_settings: Settings, embedder: MemoEmbedder
) -> None:
    with pytest.raises(RerankerUnavailable, match="cannot load reranker model"):
        CrossEncoderReranker(str(tmp_path))  # a folder without a model
    settings = empty_settings.model_copy(update={"reranker_model": str(tmp_path / "no-seeds")})
    with pytest.raises(RerankerUnavailable):
        build_service(settings, embedder)
    assert not settings.index_dir.exists()  # checked before the index is opened


def test_in_a_conversation_the_reranker_reads_the_search_query(service: QAService) -> None:
    """A follow-up alone ("Wann war das?") says nothing; its search carries the topic."""
    from qa_service.chat.service import ChatService

    chat = ChatService(service)
    reranker = PrefersWord("Browdi")
    try:
        first = chat.chat(QUESTION)
        service.answerer.reranker = reranker
        follow_up = chat.chat("Wann war das?", first.conversation_id)
    finally:
        service.answerer.reranker = None
    assert reranker.question == follow_up.rewrite.query != "Wann war das?"
    assert "Drohnentruppen" in reranker.question
