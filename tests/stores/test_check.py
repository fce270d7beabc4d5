"""`qa-service check` names each span that dense search cannot reach (HUNT7 L15), in both
storage modes, on a real index with a vector planted missing; `--fix` writes it again."""

import os

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.service import build_service
from qa_service.tuning.latency import EXACT_SEARCH_MAX_SENTENCES
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.engines import run_cli
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow


def _env(settings: Settings) -> dict[str, str]:
    """The CLI's settings: those of ``settings`` (server mode when it has a database URL)."""
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(settings.index_dir),
        "QA_SEEDS_DIR": str(settings.seeds_dir),
        "QA_EMBEDDER": settings.embedder,
        "PYTHONPATH": str(ROOT),
    }
    if settings.database_url:
        env |= {"QA_DATABASE_URL": settings.database_url, "QA_CHROMA_URL": str(settings.chroma_url)}
    return env


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_check_names_the_sentence_and_chunk_whose_vectors_are_gone(
    mode: str, settings: Settings, request: pytest.FixtureRequest, embedder: MemoEmbedder
) -> None:
    chosen = settings if mode == "embedded" else request.getfixturevalue("server_settings")
    service = build_service(chosen, embedder)
    try:
        service.ingest_seeds_if_empty()
        docs, vectors = service.stores.documents, service.stores.vectors
        record = docs.page(offset=0, limit=1)[0]
        sentence = docs.sentences_by_key([(record.id, 2)])[(record.id, 2)]
        chunk = docs.chunks_by_key([(record.id, 0)])[(record.id, 0)]
        text = docs.text(record.id)
        assert text is not None and text[sentence.start : sentence.end] == sentence.text
        vectors.delete_entries("sentences", [(record.id, record.version, 2)])
        vectors.delete_entries("chunks", [(record.id, record.version, 0)])
        stored = vectors.count("sentences")
        assert stored == service.counts().sentences - 1
    finally:
        service.close()
    env = _env(chosen)

    found = run_cli(env, "check")
    assert found.returncode == 1, found.stdout + found.stderr
    assert "missing vectors: 1 sentence, 1 chunk" in found.stdout, found.stdout
    opening = " ".join(sentence.text.split()[:8])
    named = (
        f"missing sentence vector: document {record.id!r} version {record.version} "
        f'sentence 2 [{sentence.start}:{sentence.end}] "{opening}'
    )
    assert named in found.stdout, found.stdout
    chunk_words = " ".join(text[chunk.start : chunk.end].split()[:8])
    assert (
        f"missing chunk vector: document {record.id!r} version {record.version} chunk 0 "
        f'[{chunk.start}:{chunk.end}] "{chunk_words}'
    ) in found.stdout, found.stdout

    fixed = run_cli(env, "check", "--fix")
    assert fixed.returncode == 0 and "; fixed" in fixed.stdout, fixed.stdout + fixed.stderr
    clean = run_cli(env, "check")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "missing vectors: 0 sentence, 0 chunk" in clean.stdout
    assert "vector:" not in clean.stdout  # nothing named
    # fix16: an "unreachable" count is read by what was asked and whether questions ask
    # that graph at all: below the exact copy's bound they never do.
    sentences = stored + 1
    assert (
        f"checked: {sentences:,} sentence and " in clean.stdout
        and "each asked as a query of Chroma's HNSW graph as this process loaded it" in clean.stdout
        and "questions search an exact copy of the vectors while the index holds at most "
        f"{EXACT_SEARCH_MAX_SENTENCES:,} sentences (now {sentences:,})"
        in clean.stdout
    ), clean.stdout
    beyond = run_cli({**env, "QA_EXACT_SEARCH_MAX_SENTENCES": "0"}, "check")
    assert "questions search that graph" in beyond.stdout, beyond.stdout

    service = build_service(chosen, embedder)
    try:  # written again with the vector the sentence had: a query for it finds it first
        vectors = service.stores.vectors
        assert vectors.count("sentences") == stored + 1
        own = service.stores.documents.sentence_vectors([(record.id, 2)])[(record.id, 2)]
        hit = vectors.query("sentences", own, 1)[0]
        assert (hit.doc_id, hit.version, hit.ord) == (record.id, record.version, 2)
        assert np.isclose(hit.similarity, 1.0, atol=1e-4)
    finally:
        service.close()
