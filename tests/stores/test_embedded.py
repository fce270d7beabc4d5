"""Embedded mode (SQLite + embedded Chroma in one folder): the on-disk layout, its numbered
migrations, read caches that other processes' writes invalidate, and several processes
sharing the folder."""

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.models import Article, content_hash
from qa_service.service import QAService, build_service
from qa_service.stores.embedded import EmbeddedStores
from qa_service.stores.sqlite.documents import SCHEMA_VERSION, SQLiteDocumentStore
from qa_service.stores.sqlite.migrations import article_migrations
from tests.helpers.articles import TEXT
from tests.helpers.cli import run_cli
from tests.helpers.embedders import HashEmbedder, MemoEmbedder


def _open(tmp_path: Path, embedder: object, **settings: object) -> QAService:
    (tmp_path / "no-seeds").mkdir(exist_ok=True)
    return build_service(
        Settings(index_dir=tmp_path / "index", seeds_dir=tmp_path / "no-seeds", **settings),  # type: ignore[arg-type]
        embedder,  # type: ignore[arg-type]
    )


def test_counts_follow_updates_and_deletes(tmp_path: Path, embedder: MemoEmbedder) -> None:
    service = _open(tmp_path, embedder)
    service.add_document(Article(text=TEXT), "a")
    service.add_document(Article(text=TEXT + " Die Wahlbeteiligung lag bei 48 Prozent."), "b")
    service.add_document(Article(text=TEXT + " Neu."), "a")
    service.delete_document("b")
    docs, chunks, sentences = service.counts()
    raw = sqlite3.connect(tmp_path / "index" / "qa.sqlite3")
    assert docs == raw.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert chunks == raw.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert sentences == raw.execute("SELECT count(*) FROM sentences").fetchone()[0] == 4
    service.close()


def test_cached_reads_see_writes_of_another_connection(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    first = _open(tmp_path, embedder)
    first.add_document(Article(text=TEXT), "wahl")
    other = SQLiteDocumentStore(tmp_path / "index")  # another worker, as far as SQLite can tell
    assert other.quote("wahl", 0, 9) == "Die Stadt"
    assert other.get("wahl") is not None
    assert other.articles(["wahl"])["wahl"].text == TEXT  # records and text now cached
    first.add_document(Article(text="Ganz anders: " + TEXT), "wahl")
    # ``articles`` checks freshness once for all its articles: still a fresh read
    assert other.articles(["wahl", "wahl"])["wahl"].text == "Ganz anders: " + TEXT
    assert other.quote("wahl", 0, 12) == "Ganz anders:"
    first.delete_document("wahl")
    assert other.articles(["wahl"]) == {}
    assert other.get("wahl") is None and other.quote("wahl", 0, 3) is None
    other.close()
    first.close()


def test_layout_1_index_is_upgraded_on_open(tmp_path: Path, embedder: MemoEmbedder) -> None:
    service = _open(tmp_path, embedder)
    service.add_document(Article(text=TEXT), "wahl")
    expected = service.stores.documents.sentence_vectors([("wahl", i) for i in range(3)])
    service.close()
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

    stores = EmbeddedStores(tmp_path / "index")
    assert stores.documents.migrated == [
        "m001_articles",
        "m002_sentence_vectors_and_counters",
        "m003_canonical_content_hash",
        "m004_whitespace_content_hash",
    ]
    assert stores.documents.schema_version == SCHEMA_VERSION == 4
    assert tuple(stores.documents.counts()) == (1, 1, 3)
    got = stores.documents.sentence_vectors([("wahl", i) for i in range(3)])
    assert set(got) == set(expected)
    for key, vector in expected.items():
        np.testing.assert_allclose(got[key], vector, rtol=1e-6)
    stores.close()
    again = EmbeddedStores(tmp_path / "index")  # the upgrade is recorded: nothing to do
    assert again.documents.migrated == []
    again.close()


def test_content_hashes_of_an_older_index_are_canonicalised(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    """Before m003 the hash was of the raw text: such an index re-hashes on open, and the
    same article with a trailing newline then finds its document instead of a second one."""
    service = _open(tmp_path, embedder)
    service.add_document(Article(text=TEXT + "\n"), "wahl")
    service.close()
    raw = sqlite3.connect(tmp_path / "index" / "qa.sqlite3")
    old_hash = hashlib.sha256((TEXT + "\n").encode()).hexdigest()
    raw.execute("UPDATE documents SET content_hash = ?", (old_hash,))
    raw.execute("PRAGMA user_version = 2")
    raw.commit()
    raw.close()

    service = _open(tmp_path, embedder)
    assert service.stores.documents.migrated == [  # type: ignore[attr-defined]
        "m003_canonical_content_hash",
        "m004_whitespace_content_hash",
    ]
    record = service.stores.documents.get("wahl")
    assert record is not None and record.content_hash == content_hash(TEXT) != old_hash
    result = service.add_document(Article(text=TEXT))
    assert (result.id, result.created, result.updated) == ("wahl", False, False)
    assert service.counts().documents == 1
    service.close()


def test_content_hashes_of_an_older_index_read_whitespace_runs_as_one_space(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    """Before m004 the hash read every space (HUNT L8): such an index re-hashes on open, and
    the same article with one space fewer then finds its document instead of a second one."""
    spaced = TEXT.replace(" ", "  ", 1)
    service = _open(tmp_path, embedder)
    service.add_document(Article(text=spaced), "wahl")
    service.close()
    raw = sqlite3.connect(tmp_path / "index" / "qa.sqlite3")
    old_hash = hashlib.sha256(spaced.encode()).hexdigest()
    raw.execute("UPDATE documents SET content_hash = ?", (old_hash,))
    raw.execute("PRAGMA user_version = 3")
    raw.commit()
    raw.close()

    service = _open(tmp_path, embedder)
    assert service.stores.documents.migrated == ["m004_whitespace_content_hash"]  # type: ignore[attr-defined]
    result = service.add_document(Article(text=TEXT))
    assert (result.id, result.created, result.updated) == ("wahl", False, False)
    assert service.counts().documents == 1
    assert service.stores.documents.text("wahl") == spaced  # the text as first posted
    service.close()


def test_migrations_are_numbered_in_order() -> None:
    names = [step.__name__ for step in article_migrations.steps]
    assert names == [f"m{i:03d}_{n.split('_', 1)[1]}" for i, n in enumerate(names, start=1)]


@pytest.mark.slow  # second Python processes
def test_refresh_reads_vectors_another_process_wrote(
    tmp_path: Path, embedder: MemoEmbedder
) -> None:
    """`qa-service ingest` (or a second worker) writes while this process serves: Chroma's
    in-memory graphs here never see it by themselves; ``refresh`` re-reads them, at most once
    per ``reload_seconds``."""
    # Chroma answers (no exact copy): its graphs are what must be re-read.
    service = _open(tmp_path, embedder, vector_reload_seconds=3600, exact_search_max_sentences=0)
    stores = service.stores
    assert isinstance(stores, EmbeddedStores)
    service.add_document(Article(text=TEXT), "mayor")
    (tmp_path / "new").mkdir()
    pool = tmp_path / "new" / "pool.txt"
    pool.write_text("Die Gemeinde Wolkenstein hat ein neues Hallenbad eröffnet.", encoding="utf-8")
    vector = embedder.embed_query("Wo wurde ein Hallenbad eröffnet?")

    def found(doc_id: str) -> bool:
        return doc_id in {h.doc_id for h in stores.vectors.query("sentences", vector, 5)}

    assert not found("pool") and not stores.refresh()  # graphs loaded, nothing new yet
    run_cli(tmp_path / "index", pool.parent, "ingest", str(pool))
    assert not found("pool")  # what Chroma alone would go on answering with
    assert stores.refresh() and found("pool")

    later = tmp_path / "new" / "later.txt"
    later.write_text("Das Hallenbad in Wolkenstein hat sechs Bahnen.", encoding="utf-8")
    run_cli(tmp_path / "index", later.parent, "ingest", str(later))
    assert not stores.refresh()  # within reload_seconds of the last reload
    stores.reload_seconds = 0
    assert stores.refresh() and found("later")
    service.close()


@pytest.mark.slow  # second Python processes
def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two writers (`serve` workers, `qa-service ingest`) at the same moment: every vector of
    both must be readable and findable afterwards. Chroma alone loses some of them once a
    process persists its graphs (over 1,000 vectors each here)."""
    index_dir = tmp_path / "index"
    _open(tmp_path, HashEmbedder()).close()
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

    stores = EmbeddedStores(index_dir)
    records = stores.documents.page(offset=0, limit=1000)
    assert len(records) == 280
    assert stores.vectors.count("sentences") == 280 * 8
    lost = []
    for r in records:
        keys = [(r.id, r.version, i) for i in range(r.n_sentences)]
        assert len(stores.vectors.vectors("sentences", keys)) == r.n_sentences
        first = stores.documents.sentence_vectors([(r.id, 0)])[(r.id, 0)]
        if r.id not in {h.doc_id for h in stores.vectors.query("sentences", first, 3)}:
            lost.append(r.id)
    assert not lost
    stores.close()
