"""Hybrid retrieval over the real model, Chroma and SQLite (the seed articles)."""

import dataclasses

import pytest

from qa_service.config import Settings
from qa_service.retrieval.retriever import HybridRetriever, RetrievalConfig
from qa_service.service import QAService, build_service
from qa_service.tuning import retrieval as tuning
from tests.helpers.embedders import MemoEmbedder

QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt?"


def test_the_answer_sentence_is_a_candidate_and_chunks_are_best_first(service: QAService) -> None:
    vector = service.embedder.embed_query(QUESTION)
    retrieval = service.retriever.retrieve(QUESTION, vector, top_k=2)
    assert len(retrieval.chunks) == 2
    assert retrieval.chunks[0].score >= retrieval.chunks[1].score
    assert any("Browdi" in c.row.text for c in retrieval.candidates)
    keys = [(c.row.doc_id, c.row.ord) for c in retrieval.candidates]
    assert len(keys) == len(set(keys))  # each sentence once


def test_candidate_cosines_are_the_stored_sentence_vectors(service: QAService) -> None:
    vector = service.embedder.embed_query(QUESTION)
    candidates = service.retriever.retrieve(QUESTION, vector, top_k=4).candidates
    keys = [(c.row.doc_id, c.row.ord) for c in candidates]
    previous = [(d, o - 1) for d, o in keys if o > 0]
    stored = service.stores.documents.sentence_vectors(keys + previous)
    for c in candidates:
        key = (c.row.doc_id, c.row.ord)
        assert c.dense == pytest.approx(float(stored[key] @ vector), abs=1e-4)
        if c.row.ord == 0:
            assert c.previous_dense is None
        else:
            before = stored[(c.row.doc_id, c.row.ord - 1)]
            assert c.previous_dense == pytest.approx(float(before @ vector), abs=1e-4)


def test_candidates_are_the_best_chunks_sentences_plus_the_best_hits(service: QAService) -> None:
    vector = service.embedder.embed_query(QUESTION)
    narrow = HybridRetriever(
        service.stores, dataclasses.replace(RetrievalConfig(), candidate_chunks=1, hit_sentences=0)
    )
    retrieval = narrow.retrieve(QUESTION, vector, top_k=1)
    best = retrieval.chunks[0].row
    in_chunk = service.stores.documents.sentences_of_chunks([(best.doc_id, best.ord)])
    assert {(c.row.doc_id, c.row.ord) for c in retrieval.candidates} == {
        (r.doc_id, r.ord) for r in in_chunk
    }
    assert all(c.chunk_rank == 0 for c in retrieval.candidates)
    wide = service.retriever.retrieve(QUESTION, vector, top_k=1)
    assert len(wide.candidates) > len(retrieval.candidates)


def test_an_empty_index_retrieves_nothing(empty_settings: Settings, embedder: MemoEmbedder) -> None:
    service = build_service(empty_settings, embedder)
    try:
        vector = embedder.embed_query(QUESTION)
        retrieval = service.retriever.retrieve(QUESTION, vector, top_k=4)
        assert retrieval.chunks == [] and retrieval.candidates == []
    finally:
        service.close()


def test_english_questions_fuse_the_dense_rankings_only() -> None:
    config = RetrievalConfig()
    assert config.fusion_weights("en") == tuning.FUSION_WEIGHTS_BY_LANGUAGE["en"]
    assert config.fusion_weights("en")[1] == config.fusion_weights("en")[3] == 0.0
    assert config.fusion_weights("de") == config.fusion_weights(None) == tuning.FUSION_WEIGHTS
