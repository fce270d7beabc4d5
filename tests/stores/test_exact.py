"""The exact in-memory index of embedded mode (stores/exact.py): the same hits as Chroma's
HNSW query on the seeds, kept in step with ingests and deletes of this process and of
another one, and dropped above its size limit (Chroma answers again)."""

from pathlib import Path

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.evaluation.squad import load_squad
from qa_service.models import Article
from qa_service.retrieval.retriever import RetrievalConfig
from qa_service.service import QAService, build_service
from qa_service.stores.base import VECTOR_KINDS, VectorHit, VectorKind
from qa_service.stores.chroma import ChromaVectorStore
from qa_service.stores.embedded import EmbeddedStores
from tests.helpers.articles import MORE, TEXT
from tests.helpers.cli import run_cli
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import ROOT

SEED_QUESTIONS = ROOT / "tests" / "evaluation" / "data" / "seed-questions.json"


def _stores(service: QAService) -> EmbeddedStores:
    assert isinstance(service.stores, EmbeddedStores)
    return service.stores


def _chroma(
    stores: EmbeddedStores, kind: VectorKind, vector: np.ndarray, n: int
) -> list[VectorHit]:
    """What Chroma's HNSW index answers, bypassing the exact index."""
    return ChromaVectorStore.query(stores.vectors, kind, vector, n)


def _docs_found(stores: EmbeddedStores, vector: np.ndarray) -> set[str]:
    stores.refresh()
    return {h.doc_id for h in stores.vectors.query("sentences", vector, 10)}


def test_exact_hits_are_chromas_on_the_seed_questions(
    service: QAService, embedder: MemoEmbedder
) -> None:
    stores = _stores(service)
    stores.refresh()
    assert stores.exact.active
    n = {"chunks": RetrievalConfig().dense_chunks, "sentences": RetrievalConfig().dense_sentences}
    questions = load_squad(SEED_QUESTIONS).questions
    assert len(questions) >= 40
    for q in questions:
        vector = embedder.embed_query(q.question)
        for kind in VECTOR_KINDS:
            exact, hnsw = (
                stores.vectors.query(kind, vector, n[kind]),
                _chroma(stores, kind, vector, n[kind]),
            )
            assert [h[:3] for h in exact] == [h[:3] for h in hnsw], (q.question, kind)
            assert np.allclose(
                [h.similarity for h in exact], [h.similarity for h in hnsw], atol=1e-5
            )


def test_exact_index_follows_an_ingest_and_a_delete(
    service: QAService, embedder: MemoEmbedder
) -> None:
    stores = _stores(service)
    vector = embedder.embed_query("Wer wurde zum Bürgermeister gewählt?")
    assert "wahl" not in _docs_found(stores, vector)
    service.add_document(Article(text=TEXT), "wahl")
    assert "wahl" in _docs_found(stores, vector)
    assert stores.vectors.query("chunks", vector, 1)[0].doc_id == "wahl"
    service.add_document(Article(text="Ganz anders: " + TEXT), "wahl")  # a new version
    version = stores.documents.versions(["wahl"])["wahl"]
    stores.refresh()  # what every question does first
    hits = stores.vectors.query("sentences", vector, 50)
    assert {h.version for h in hits if h.doc_id == "wahl"} == {version}
    service.delete_document("wahl")
    assert "wahl" not in _docs_found(stores, vector)
    assert stores.exact.active


def test_above_the_size_limit_chroma_answers(settings: Settings, embedder: MemoEmbedder) -> None:
    service = build_service(
        settings.model_copy(update={"exact_search_max_sentences": 80}), embedder
    )
    service.ingest_seeds_if_empty()  # 69-71 sentences (captions masked)
    stores = _stores(service)
    vector = embedder.embed_query("Wer wurde zum Chef der Drohnentruppen ernannt?")
    stores.refresh()
    assert stores.exact.active
    service.add_document(Article(text=TEXT + " Die Wahlbeteiligung lag bei 48 Prozent."), "wahl")
    stores.refresh()  # 73-75 sentences: still exact
    assert stores.exact.active
    service.add_document(Article(text=TEXT), "mehr")  # 76-78
    service.add_document(Article(text=TEXT + MORE), "noch")  # 81-83 > 80
    stores.refresh()
    assert not stores.exact.active and stores.exact.query("sentences", vector, 5) is None
    assert stores.vectors.query("sentences", vector, 8) == _chroma(stores, "sentences", vector, 8)
    service.delete_document("noch")  # back under the limit: the copy is read again
    stores.refresh()
    assert stores.exact.active
    assert [h[:3] for h in stores.vectors.query("sentences", vector, 8)] == [
        h[:3] for h in _chroma(stores, "sentences", vector, 8)
    ]
    service.close()


@pytest.mark.slow  # two more Python processes loading the model
def test_exact_index_follows_another_process(
    service: QAService, settings: Settings, embedder: MemoEmbedder, tmp_path: Path
) -> None:
    """`qa-service ingest` and `qa-service delete` in another process while this one serves:
    the next question's dense hits include, then drop, the article (the delete within
    ``vector_reload_seconds`` of the ingest, so no Chroma re-read is needed for it)."""
    stores = _stores(service)
    vector = embedder.embed_query("Wo wurde ein Hallenbad eröffnet?")
    assert "pool" not in _docs_found(stores, vector)
    (tmp_path / "new").mkdir()
    pool = tmp_path / "new" / "pool.txt"
    pool.write_text("Die Gemeinde Wolkenstein hat ein neues Hallenbad eröffnet.", encoding="utf-8")
    run_cli(settings.index_dir, tmp_path / "new", "ingest", str(pool))
    assert "pool" in _docs_found(stores, vector)
    assert stores.vectors.query("sentences", vector, 1)[0].doc_id == "pool"
    run_cli(settings.index_dir, tmp_path / "new", "delete", "pool")
    assert "pool" not in _docs_found(stores, vector)
    assert stores.exact.active
