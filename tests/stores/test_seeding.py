"""The seed articles at start-up (qa_service/seeding.py).

Two real `serve` replicas on one new PostgreSQL database and Chroma database, started at the
same moment, store each seed exactly once (document, version, vectors); a seed file that
cannot be ingested is logged with its name and reason, and tried again at the next start
while the index holds only seeds.
"""

import logging
import shutil
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from qa_service.config import Settings
from qa_service.documents import FileOutcome, FilePlan, IngestReport
from qa_service.errors import BackendUnavailable
from qa_service.models import Article
from qa_service.seeding import SeedingFailed, ingest_seeds
from qa_service.service import build_service
from qa_service.stores.chroma_server import HttpVectorStore
from tests.helpers import engines
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import SEEDS

SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.mark.slow
def test_two_replicas_starting_at_once_store_every_seed_exactly_once(
    tmp_path: Path,
    postgres_server: engines.PostgresServer,
    chroma_server: engines.ChromaServer,
) -> None:
    database_url, chroma_url = postgres_server.create_database(), chroma_server.database_url()
    env = engines.replica_env(tmp_path, database_url, chroma_url, timeout=5.0)
    replicas = [engines.Replica(tmp_path, env, name) for name in ("a", "b")]
    try:
        for replica in replicas:  # both before either is up: they race for the empty index
            replica.start()
        for replica in replicas:
            replica.wait_ready()
    finally:
        for replica in replicas:
            replica.stop()
    logs = [r.log.read_text(errors="replace") for r in replicas]
    assert not any("ERROR" in log for log in logs), logs
    # One replica seeded; the other found every seed stored and ingested nothing.
    seeded = [log for log in logs if "ingested 2 of 2 seed articles" in log]
    assert len(seeded) == 1, logs
    with psycopg.connect(database_url, autocommit=True) as conn:
        documents = conn.execute(
            "SELECT id, version, n_sentences, n_chunks FROM documents ORDER BY id"
        ).fetchall()
        sentences = dict(
            conn.execute("SELECT doc_id, count(*) FROM sentences GROUP BY doc_id").fetchall()
        )
        chunks = dict(
            conn.execute("SELECT doc_id, count(*) FROM chunks GROUP BY doc_id").fetchall()
        )
        journal = conn.execute("SELECT count(*) FROM journal").fetchone()
    assert [d[0] for d in documents] == SEED_IDS
    store = HttpVectorStore(chroma_url)
    try:
        vectors = {
            kind: Counter((d, v) for d, v, _ in store.entries(kind))
            for kind in ("sentences", "chunks")
        }
    finally:
        store.close()
    for doc_id, version, n_sentences, n_chunks in documents:
        assert sentences[doc_id] == n_sentences > 0 and chunks[doc_id] == n_chunks > 0
        assert vectors["sentences"][(doc_id, version)] == n_sentences, (doc_id, vectors)
        assert vectors["chunks"][(doc_id, version)] == n_chunks, (doc_id, vectors)
    # Nothing else: no second version, no vectors of another document.
    assert sum(vectors["sentences"].values()) == sum(d[2] for d in documents)
    assert sum(vectors["chunks"].values()) == sum(d[3] for d in documents)
    assert journal == (0,)


def test_a_broken_seed_is_logged_and_the_missing_seeds_are_tried_at_the_next_start(
    settings: Settings, embedder: MemoEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    seeds = settings.seeds_dir
    (seeds / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    (seeds / "nowords.txt").write_text("!!! ??? ...", encoding="utf-8")
    held_back = seeds.parent / "held-back"
    held_back.mkdir()
    shutil.move(seeds / f"{SEED_IDS[1]}.txt", held_back)  # as if it had failed to go in
    caplog.set_level(logging.INFO, logger="qa_service")

    def start() -> list[str]:
        caplog.clear()
        service = build_service(settings, embedder)
        try:
            return [r.id for r in service.ingest_seeds_if_empty()]
        finally:
            service.close()

    assert start() == [SEED_IDS[0]]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2, errors
    assert any("bad.txt" in e and "UTF-8" in e for e in errors), errors
    assert any("nowords.txt" in e and "no words" in e for e in errors), errors
    summary = [r.getMessage() for r in caplog.records if "seed articles from" in r.getMessage()]
    assert summary and "ingested 1 of 3 seed articles" in summary[0], summary
    assert "2 failed" in summary[0]

    # The next start, with the missing seed back: only seeds in the index, so it goes in
    # (the one stored is a no-op) and the broken files are reported again.
    shutil.move(held_back / f"{SEED_IDS[1]}.txt", seeds)
    assert start() == [SEED_IDS[1]]
    assert sum(r.levelno == logging.ERROR for r in caplog.records) == 2

    # An index with a document of its own is not seeded any more (the operator's choice).
    service = build_service(settings, embedder)
    try:
        service.delete_document(SEED_IDS[1])
        service.add_document(
            Article(text="Der Hafen von Kiel wurde 1865 zum Reichskriegshafen erklärt."), "eigen"
        )
    finally:
        service.close()
    assert start() == []


def test_a_seed_an_engine_refused_is_tried_again_and_start_up_fails_if_it_stays_refused(
    settings: Settings, embedder: MemoEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planted 503 (an engine down while seeding): tried again; if every try is refused,
    start-up fails naming the files instead of serving part of the seeds."""
    service = build_service(settings, embedder)
    real = service.documents.ingest_files
    refusals = {"left": 1}

    def flaky(plan: FilePlan) -> IngestReport:
        if refusals["left"]:
            refusals["left"] -= 1
            down = BackendUnavailable("Chroma", "timed out")
            return IngestReport([FileOutcome(p, d, "failed", error=down) for d, p in plan.files])
        return real(plan)

    monkeypatch.setattr(service.documents, "ingest_files", flaky)
    try:
        stored = ingest_seeds(settings.seeds_dir, service.stores, service.documents, lambda _: None)
        assert sorted(o.doc_id for o in stored if o.state == "created") == SEED_IDS
        for doc_id in SEED_IDS:
            service.delete_document(doc_id)
        refusals["left"] = 99
        with pytest.raises(SeedingFailed) as failed:
            ingest_seeds(settings.seeds_dir, service.stores, service.documents, lambda _: None)
        assert all(f"{doc_id}.txt" in str(failed.value) for doc_id in SEED_IDS)
        assert "Chroma is unavailable" in str(failed.value)
        assert refusals["left"] == 99 - 3  # SEED_ATTEMPTS
    finally:
        service.close()
