"""Two real `qa-service serve` replicas on one PostgreSQL and one `chroma run` server.

Consistency (read-your-writes, one copy of a text posted to both at once, deletes, chats
moving between replicas) and faults (each engine stopped and started again, a replica
killed with SIGKILL mid-ingest). The engines here are this module's own, because the fault
tests stop them; the replicas start together on an empty database, so their migrations
and seed ingests race on purpose.
"""

import contextlib
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from qa_service.stores.chroma_server import HttpVectorStore
from tests.helpers.engines import OwnEngines, run_cli
from tests.helpers.paths import ROOT, SEEDS

pytestmark = pytest.mark.slow

TIMEOUT_S = 2.0  # QA_BACKEND_TIMEOUT of the replicas
DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
XQUAD = ROOT / "tests" / "evaluation" / "data" / "xquad-de-dev.json"


class Cluster(OwnEngines):
    def __init__(self, root: Path) -> None:
        super().__init__(root, "replicas", TIMEOUT_S)
        self.a = self.add_replica("a")
        self.b = self.add_replica("b")

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def vector_versions(self, kind: str = "sentences") -> dict[str, Counter]:
        """Chroma's entries per document: how many of each version."""
        found: dict[str, Counter] = {}
        for doc, version, _ord in HttpVectorStore(self.chroma_url).entries(kind):
            found.setdefault(doc, Counter())[version] += 1
        return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster(tmp_path_factory.mktemp("replicas")) as cluster:
        cluster.start_replicas()  # at once: both migrate and seed an empty database
        yield cluster


def _post(url: str, body: dict, path: str = "/v1/documents") -> httpx.Response:
    return httpx.post(url + path, json=body, timeout=120)


def test_replicas_started_together_migrated_and_seeded_once(cluster: Cluster) -> None:
    versions = [r[0] for r in cluster.sql("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == list(range(1, len(versions) + 1)) and versions
    for replica in (cluster.a, cluster.b):
        health = httpx.get(replica.url + "/health").json()
        assert health["status"] == "ok" and health["mode"] == "server"
        assert health["documents"] == 2
        assert health["backends"] == {"PostgreSQL": "ok", "Chroma": "ok"}
    assert {d: dict(c) for d, c in cluster.vector_versions().items()}.keys() == {
        p.stem for p in SEEDS.glob("*.txt")
    }


def test_read_your_writes_across_replicas(cluster: Cluster) -> None:
    text = (
        "Die Stadt Kleinhausen hat am Dienstag eine neue Bürgermeisterin gewählt. "
        "Mit 62 Prozent der Stimmen setzte sich Anna Vogel durch."
    )
    created = _post(cluster.a.url, {"id": "kleinhausen", "text": text})
    assert created.status_code == 201, created.text
    got = httpx.get(cluster.b.url + "/v1/documents/kleinhausen")
    assert got.status_code == 200 and got.json()["text"] == text
    answer = _post(
        cluster.b.url, {"question": "Wer wurde Bürgermeisterin von Kleinhausen?"}, "/v1/ask"
    ).json()
    top = answer["citations"][0]
    assert top["document_id"] == "kleinhausen"
    assert text[top["start"] : top["end"]] == top["quote"]


def test_same_text_posted_to_both_at_once_is_stored_once(cluster: Cluster) -> None:
    before = cluster.sql("SELECT count(*) FROM documents")[0][0]
    ids = []
    with ThreadPoolExecutor(2) as pool:
        for round_ in range(20):
            text = (
                f"Meldung {round_}: Der Gemeinderat von Talheim Nummer {round_} beschloss am "
                f"Montag einen neuen Radweg. Er soll {round_ + 3} Kilometer lang werden."
            )
            start = threading.Barrier(2)

            def post(
                url: str, text: str = text, start: threading.Barrier = start
            ) -> httpx.Response:
                start.wait()
                return _post(url, {"text": text})

            responses = list(pool.map(post, [cluster.a.url, cluster.b.url]))
            assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
            assert sorted(r.status_code for r in responses) == [200, 201]
            assert len({r.json()["id"] for r in responses}) == 1
            ids.append(responses[0].json()["id"])
    assert cluster.sql("SELECT count(*) FROM documents")[0][0] == before + 20
    rows = dict(cluster.sql("SELECT id, n_sentences FROM documents WHERE id = ANY(%s)", (ids,)))
    vectors, chunk_vectors = cluster.vector_versions(), cluster.vector_versions("chunks")
    chunks = dict(cluster.sql("SELECT id, n_chunks FROM documents WHERE id = ANY(%s)", (ids,)))
    for doc_id in ids:
        assert len(vectors[doc_id]) == 1  # one version
        assert sum(vectors[doc_id].values()) == rows[doc_id]  # one vector per sentence
        assert chunk_vectors[doc_id] == Counter({next(iter(vectors[doc_id])): chunks[doc_id]})


def test_delete_through_b_is_gone_from_a_at_once(cluster: Cluster) -> None:
    text = "Der Zoo von Obertal hat ein Okapi namens Kiki bekommen. Es stammt aus Antwerpen."
    assert _post(cluster.a.url, {"id": "okapi", "text": text}).status_code == 201
    assert "okapi" in cluster.vector_versions()
    assert httpx.delete(cluster.b.url + "/v1/documents/okapi").status_code == 204
    assert httpx.get(cluster.a.url + "/v1/documents/okapi").status_code == 404
    listing = httpx.get(cluster.a.url + "/v1/documents", params={"limit": 500}).json()
    assert "okapi" not in [d["id"] for d in listing["items"]]
    answer = _post(
        cluster.a.url, {"question": "Wie heißt das Okapi im Zoo von Obertal?"}, "/v1/ask"
    )
    assert all(c["document_id"] != "okapi" for c in answer.json()["citations"])
    assert "okapi" not in cluster.vector_versions()
    assert "okapi" not in cluster.vector_versions("chunks")


def test_conversation_started_on_a_continues_on_b(cluster: Cluster) -> None:
    first = _post(cluster.a.url, {"message": DRONES}, "/v1/chat").json()
    follow_up = _post(
        cluster.b.url,
        {"message": "Wann war das?", "conversation_id": first["conversation_id"]},
        "/v1/chat",
    ).json()
    assert follow_up["conversation_id"] == first["conversation_id"] and follow_up["turn"] == 1
    assert follow_up["retrieval_query"].startswith("Wann war das?")
    assert follow_up["retrieval_query"] != "Wann war das?"  # the context came from A's turn
    assert "Robert Browdi als Chef der Drohnentruppen" in follow_up["citations"][0]["quote"]
    turns = httpx.get(cluster.a.url + f"/v1/conversations/{first['conversation_id']}").json()
    assert [t["message"] for t in turns["turns"]] == [DRONES, "Wann war das?"]


def _expect_unavailable(
    url: str, engine: str, body: dict | None = None, path: str = "/v1/ask"
) -> None:
    started = time.monotonic()
    response = _post(url, body or {"question": DRONES}, path)
    took = time.monotonic() - started
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["type"] == "BackendUnavailable" and body["engine"] == engine, body
    assert engine in body["detail"]
    assert took < TIMEOUT_S + 5, took  # bounded by QA_BACKEND_TIMEOUT, not a hang
    health = httpx.get(url + "/health", timeout=30)
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["backends"][engine] != "ok"


def _expect_recovery(url: str, within: float = 60.0) -> dict:
    """Answers and a healthy /health within ``within`` seconds. A question over a small index
    can be answered from the replica's in-memory copy before /health sees the restarted
    backend again, so an answer alone does not end the wait."""
    deadline = time.monotonic() + within
    while True:
        response = _post(url, {"question": DRONES}, "/v1/ask")
        assert response.status_code in (200, 503), response.text
        health = httpx.get(url + "/health", timeout=30).json()
        if response.status_code == 200 and health["status"] == "ok":
            return response.json()
        assert time.monotonic() < deadline, f"did not recover: {health}"
        time.sleep(0.5)


def test_postgres_stopped_then_started(cluster: Cluster) -> None:
    cluster.pg.stop()
    try:
        for replica in (cluster.a, cluster.b):
            _expect_unavailable(replica.url, "PostgreSQL")
        upload = _post(cluster.a.url, {"text": "Ein Text, während die Datenbank fehlt."})
        assert upload.status_code == 503 and upload.json()["engine"] == "PostgreSQL"
    finally:
        cluster.pg.start()
    for replica in (cluster.a, cluster.b):
        body = _expect_recovery(replica.url)
        assert "Robert Browdi" in body["citations"][0]["quote"]


def test_chroma_stopped_then_restarted_on_the_same_path(cluster: Cluster) -> None:
    before = {k: dict(v) for k, v in cluster.vector_versions().items()}
    cluster.chroma.stop()
    try:
        for replica in (cluster.a, cluster.b):
            # A write needs Chroma: 503 naming it (its journal entry is cleared below).
            upload = {"id": f"while-{replica.name}", "text": "Ein Text, während Chroma fehlt."}
            _expect_unavailable(replica.url, "Chroma", upload, "/v1/documents")
            # A question over this small index reads the replica's in-memory copy, fed from
            # PostgreSQL (stores/postgres/mirror.py): answered, Chroma or not. Above the
            # copy's bound a question needs Chroma and gets the 503
            # (test_concurrent_retrieval.py, Chroma failing).
            answer = _post(replica.url, {"question": DRONES}, "/v1/ask")
            assert answer.status_code == 200, answer.text
            assert "Robert Browdi" in answer.json()["citations"][0]["quote"]
    finally:
        cluster.chroma.start()
    for replica in (cluster.a, cluster.b):
        _expect_recovery(replica.url)
    assert {k: dict(v) for k, v in cluster.vector_versions().items()} == before  # nothing lost
    for replica in (cluster.a, cluster.b):
        assert httpx.get(replica.url + f"/v1/documents/while-{replica.name}").status_code == 404
    # The two refused writes' journal entries: the second write repairs the first's when it
    # can (a leftover under the writers' lock), so one or two are left for check to fix.
    fixed = _cli(cluster, "check", "--fix")
    assert fixed.returncode == 0, fixed
    assert re.search(r"journal: [12] unfinished", fixed.stdout), fixed.stdout
    clean = _cli(cluster, "check")
    assert clean.returncode == 0 and "journal: 0 unfinished" in clean.stdout, clean


def test_kill_9_mid_ingest_leaves_nothing_partial(cluster: Cluster) -> None:
    import json

    data = json.loads(XQUAD.read_text(encoding="utf-8"))
    text = "\n\n".join(p["context"] for a in data["data"][:4] for p in a["paragraphs"])
    # Killed while its write is journalled (vectors going in, rows not yet). A write that
    # ends before the journal is seen is deleted and posted again: the kill must happen.
    for _attempt in range(3):
        if _killed_mid_ingest(cluster, text):
            break
        assert httpx.delete(cluster.a.url + "/v1/documents/big").status_code == 204
    else:
        pytest.fail("the write finished before its journal entry was seen, three times")
    document = httpx.get(cluster.b.url + "/v1/documents/big")
    assert document.status_code == 404  # nothing partial is visible
    listing = httpx.get(cluster.b.url + "/v1/documents", params={"limit": 500}).json()
    assert "big" not in [d["id"] for d in listing["items"]]
    check = _cli(cluster, "check")
    assert check.returncode == 1 and "journal: 1 unfinished" in check.stdout, check
    fixed = _cli(cluster, "check", "--fix")
    assert fixed.returncode == 0, fixed
    clean = _cli(cluster, "check")
    assert (
        clean.returncode == 0
        and "journal: 0 unfinished writes; orphan vectors: 0 sentence, 0 chunk" in clean.stdout
    )
    again = _post(cluster.b.url, {"id": "big", "text": text})
    assert again.status_code in (200, 201), again.text
    n_sentences = again.json()["sentences"]
    assert dict(cluster.vector_versions()["big"]).popitem()[1] == n_sentences
    assert len(cluster.vector_versions()["big"]) == 1
    cluster.a.start().wait_ready()
    assert httpx.get(cluster.a.url + "/v1/documents/big").json()["sentences"] == n_sentences


def _killed_mid_ingest(cluster: Cluster, text: str) -> bool:
    """Post ``text`` as 'big' to A and kill -9 A once the write's journal entry shows; False
    when the write finished first (nothing was killed)."""
    poster = threading.Thread(
        target=lambda: _post_ignoring_errors(cluster.a.url, {"id": "big", "text": text})
    )
    poster.start()
    killed = False
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if cluster.sql("SELECT 1 FROM journal WHERE doc_id = 'big'"):
            cluster.a.kill()
            killed = True
            break
        if cluster.sql("SELECT 1 FROM documents WHERE id = 'big'"):
            break
        time.sleep(0.005)
    poster.join(timeout=60)
    return killed


def _post_ignoring_errors(url: str, body: dict) -> None:
    with contextlib.suppress(httpx.TransportError):  # the replica was killed under it
        _post(url, body)


def _cli(cluster: Cluster, *args: str) -> subprocess.CompletedProcess:
    return run_cli({**cluster.a.env}, *args)
