"""Layout 2 of the index: sentence vectors in SQLite, O(1) counts, read caches that other
processes' writes invalidate, and the transparent upgrade of a layout-1 index."""

import sqlite3
from pathlib import Path

import numpy as np

from qa_service.models import Article
from qa_service.retrieval.docstore import SCHEMA_VERSION, DocStore
from qa_service.retrieval.index import ArticleIndex, PreparedDocument
from tests.helpers.articles import TEXT
from tests.helpers.embedders import MemoEmbedder


def test_sentence_vectors_match_the_vector_store(index: ArticleIndex) -> None:
    index.add(Article(text=TEXT), "wahl")
    version = index.get("wahl").version
    keys = [("wahl", i) for i in range(3)]
    local = index.docs.sentence_vectors(keys)
    stored = index.vectors.vectors("sentences", [("wahl", version, i) for i in range(3)])
    assert set(local) == set(stored) == set(keys)
    for key in keys:
        np.testing.assert_allclose(local[key], stored[key], rtol=1e-6)


def test_counts_follow_updates_and_deletes(index: ArticleIndex) -> None:
    index.add(Article(text=TEXT), "a")
    index.add(Article(text=TEXT + " Die Wahlbeteiligung lag bei 48 Prozent."), "b")
    index.add(Article(text=TEXT + " Neu."), "a")
    index.delete("b")
    docs, chunks, sentences = index.docs.counts()
    raw = sqlite3.connect(index.docs_path)
    assert docs == raw.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert chunks == raw.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert sentences == raw.execute("SELECT count(*) FROM sentences").fetchone()[0] == 4


def test_cached_reads_see_writes_of_another_connection(tmp_path: Path, embedder) -> None:
    first = ArticleIndex(tmp_path / "index", embedder)
    first.add(Article(text=TEXT), "wahl")
    other = DocStore(first.docs_path)  # another worker process, as far as SQLite can tell
    assert other.quote("wahl", 0, 9) == "Die Stadt"
    assert other.get("wahl") is not None
    first.add(Article(text="Ganz anders: " + TEXT), "wahl")
    assert other.quote("wahl", 0, 12) == "Ganz anders:"
    first.delete("wahl")
    assert other.get("wahl") is None and other.quote("wahl", 0, 3) is None


def test_layout_1_index_is_upgraded_on_open(tmp_path: Path, embedder: MemoEmbedder) -> None:
    index = ArticleIndex(tmp_path / "index", embedder)
    index.add(Article(text=TEXT), "wahl")
    expected = index.docs.sentence_vectors([("wahl", i) for i in range(3)])
    index.close()
    # Turn it into what the first release wrote: no vector column, no counters, version 0.
    raw = sqlite3.connect(tmp_path / "index" / "qa.sqlite3")
    raw.executescript(
        "DROP TABLE counters;"
        + "".join(
            f"DROP TRIGGER count_{t}_{e};"
            for t in ("documents", "chunks", "sentences")
            for e in ("insert", "delete")
        )
        + "ALTER TABLE sentences DROP COLUMN vector; PRAGMA user_version = 0;"
    )
    raw.close()

    reopened = ArticleIndex(tmp_path / "index", embedder)
    assert reopened.docs.schema_version == SCHEMA_VERSION
    assert reopened.docs.counts() == (1, 1, 3)
    got = reopened.docs.sentence_vectors([("wahl", i) for i in range(3)])
    assert set(got) == set(expected)
    for key, vector in expected.items():
        np.testing.assert_allclose(got[key], vector, rtol=1e-6)


def test_add_prepared_writes_like_add(tmp_path: Path, embedder: MemoEmbedder) -> None:
    normal = ArticleIndex(tmp_path / "a", embedder)
    normal.add(Article(text=TEXT, title="Wahl"), "wahl")
    record = normal.get("wahl")
    sentences = normal.docs.sentences_of_chunks([("wahl", 0)])
    vectors = normal.docs.sentence_vectors([("wahl", s.ord) for s in sentences])

    from qa_service.ingest.segmentation import segment_article

    seg = segment_article(TEXT)
    bulk = ArticleIndex(tmp_path / "b", embedder)
    bulk.add_prepared(
        [
            PreparedDocument(
                record,
                TEXT,
                seg.sentences,
                seg.chunks,
                np.stack([vectors[("wahl", i)] for i in range(len(seg.sentences))]),
            )
        ]
    )
    assert bulk.docs.counts() == normal.docs.counts()
    assert bulk.vectors.count("sentences") == normal.vectors.count("sentences")
    assert bulk.vectors.count("chunks") == normal.vectors.count("chunks")
    assert bulk.docs.journal() == []
    assert bulk.docs.search_sentences("Bürgermeister", 3) == normal.docs.search_sentences(
        "Bürgermeister", 3
    )
