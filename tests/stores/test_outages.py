"""PostgreSQL stopped, frozen, restarted and its writers' lock held, under a real replica.

Every request and /health gets its 503 BackendUnavailable within QA_BACKEND_TIMEOUT (plus a
small margin) however many wait at once, and the replica recovers by itself. The engines are
this module's own: the tests stop and freeze them (SIGSTOP of this cluster's processes only).
"""

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from qa_service.client import QAClient, QAClientError
from qa_service.tuning.stores import KEY_CACHE_S
from tests.helpers.engines import OwnEngines, run_cli

pytestmark = pytest.mark.slow

TIMEOUT_S = 2.0  # QA_BACKEND_TIMEOUT of the replica
MARGIN_S = 1.5  # the client's own bound (0.5 s past the server's) and HTTP round trips
CONCURRENT = 8
DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
WRITER_LOCK = 0x51A_0001


class Outage(OwnEngines):
    def __init__(self, root: Path) -> None:
        super().__init__(root, "outage", TIMEOUT_S)
        self.replica = self.add_replica("outage")
        self.key = ""

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    with Outage(tmp_path_factory.mktemp("outage")) as setup:
        setup.start_replicas()
        created = run_cli(
            {**setup.replica.env}, "keys", "create", "--name", "w", "--scope", "write"
        )
        assert created.returncode == 0, created.stderr
        setup.key = created.stdout.strip()
        yield setup


def _timed(method: str, url: str, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.request(method, url, timeout=60, **kwargs)  # type: ignore[arg-type]
    return response, time.monotonic() - started


def _all_at_once(outage: Outage, url: str = "") -> list[tuple[httpx.Response, float]]:
    """CONCURRENT questions with the key and one /health without, all at the same moment,
    to ``url`` (default: the module's replica)."""
    url = url or outage.replica.url
    with ThreadPoolExecutor(CONCURRENT + 1) as pool:
        asks = [
            pool.submit(
                _timed,
                "POST",
                url + "/v1/ask",
                json={"question": DRONES},
                headers=outage.headers(),
            )
            for _ in range(CONCURRENT)
        ]
        health = pool.submit(_timed, "GET", url + "/health")
        return [f.result() for f in [*asks, health]]


def _expect_all_unavailable(
    results: list[tuple[httpx.Response, float]], engine: str = "PostgreSQL"
) -> None:
    took = [round(t, 2) for _, t in results]
    print(f"503s after {took} s (timeout {TIMEOUT_S} s)")  # pytest -s shows them
    assert max(took) < TIMEOUT_S + MARGIN_S, took
    *asks, (health, _) = results
    for response, _ in asks:
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["type"] == "BackendUnavailable" and body["engine"] == engine, body
        assert engine in body["detail"]
        assert response.headers["retry-after"] == "1"  # L2
    backends = {"PostgreSQL": "ok", "Chroma": "ok"} | {engine: "unavailable"}
    assert health.status_code == 503
    assert health.json() == {"status": "degraded", "backends": backends}


def _expect_recovery(outage: Outage, within: float, url: str = "") -> float:
    """Seconds until a question to ``url`` (default: the module's replica) is answered
    again (at most ``within``)."""
    url = url or outage.replica.url
    started = time.monotonic()
    while True:
        response = httpx.post(
            url + "/v1/ask",
            json={"question": DRONES},
            headers=outage.headers(),
            timeout=60,
        )
        if response.status_code == 200:
            assert httpx.get(url + "/health").json()["status"] == "ok"
            return time.monotonic() - started
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < within, "did not recover"
        time.sleep(0.2)


def test_postgres_stopped_every_request_gets_503_within_the_timeout(outage: Outage) -> None:
    _expect_recovery(outage, within=5)  # warm: the pool holds connections from before
    outage.pg.stop()
    try:
        _expect_all_unavailable(_all_at_once(outage))
        _expect_all_unavailable(_all_at_once(outage))  # the pool's reconnecting meanwhile
    finally:
        outage.pg.start()
    assert _expect_recovery(outage, within=TIMEOUT_S + 5) < TIMEOUT_S + 5


ADMIN_ROUTES = [
    ("GET", "/v1/keys", None),
    ("POST", "/v1/keys", {"name": "new", "scope": "read"}),
    ("DELETE", "/v1/keys/w", None),
    ("GET", "/v1/audit", None),
]


def test_admin_routes_without_a_key_get_401_while_postgres_is_down(outage: Outage) -> None:
    # Found by a black-box hunt: an anonymous GET /v1/keys was 503 during the outage (the
    # keys were read before the missing key was noticed), not the documented 401.
    _expect_recovery(outage, within=5)
    url = outage.replica.url
    outage.pg.stop()
    try:
        time.sleep(KEY_CACHE_S + 0.5)  # the replica's copy of the keys is stale
        for method, path, body in ADMIN_ROUTES:
            anonymous = httpx.request(method, url + path, json=body, timeout=60)
            assert anonymous.status_code == 401, (path, anonymous.text)
            assert anonymous.json()["type"] == "NotAuthenticated", anonymous.text
            assert anonymous.headers["www-authenticate"] == "Bearer"
        # A key that is sent must be looked up, in the engine that is down: its 503.
        keyed = httpx.get(url + "/v1/keys", headers=outage.headers(), timeout=60)
        assert keyed.status_code == 503, keyed.text
        assert keyed.json()["type"] == "BackendUnavailable", keyed.text
        # README's /health row: with PostgreSQL down a key gets only the status and the
        # backends too (the counts and the keys live in PostgreSQL).
        health = httpx.get(url + "/health", headers=outage.headers(), timeout=60)
        assert health.status_code == 503
        backends = {"PostgreSQL": "unavailable", "Chroma": "ok"}
        assert health.json() == {"status": "degraded", "backends": backends}
    finally:
        outage.pg.start()
    _expect_recovery(outage, within=TIMEOUT_S + 5)


def test_the_client_reads_a_degraded_health_and_raises_on_the_rest(outage: Outage) -> None:
    # Found by a black-box hunt: QAClient.health() raised QAClientError(503) with the whole
    # health body as its detail, so a monitoring script had to catch it to read the status.
    _expect_recovery(outage, within=5)
    outage.pg.stop()
    try:
        for key in (None, outage.key):
            with QAClient(outage.replica.url, api_key=key, timeout=60) as qa:
                health = qa.health()
                assert health.status == "degraded", health
                assert health.backends == {"PostgreSQL": "unavailable", "Chroma": "ok"}
                assert health.documents is None and health.answer_mode is None
                with pytest.raises(QAClientError) as caught:  # the API's 503s still raise
                    qa.ask(DRONES)
                assert caught.value.status_code == 503
                assert caught.value.type == "BackendUnavailable"
    finally:
        outage.pg.start()
    _expect_recovery(outage, within=TIMEOUT_S + 5)
    with QAClient(outage.replica.url, api_key=outage.key, timeout=60) as qa:
        assert qa.health().status == "ok"


def test_postgres_frozen_every_request_gets_503_within_the_timeout(outage: Outage) -> None:
    _expect_recovery(outage, within=5)
    with outage.pg.frozen():
        _expect_all_unavailable(_all_at_once(outage))
        _expect_all_unavailable(_all_at_once(outage))  # new connections hang too
    assert _expect_recovery(outage, within=TIMEOUT_S + 5) < TIMEOUT_S + 5


def test_after_a_restart_stale_connections_give_no_503(outage: Outage) -> None:
    for _ in range(3):  # several pooled connections in use
        _expect_recovery(outage, within=5)
    outage.pg.stop()  # nobody asks in between: the pool still holds the dead connections
    outage.pg.start()
    health = httpx.get(outage.replica.url + "/health", timeout=30)
    assert health.status_code == 200, health.text
    with ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.post(
                    outage.replica.url + "/v1/ask",
                    json={"question": DRONES},
                    headers=outage.headers(),
                    timeout=60,
                ),
                range(CONCURRENT),
            )
        )
    assert [a.status_code for a in answers] == [200] * CONCURRENT, answers[0].text


def test_a_held_writers_lock_gives_writes_busy_not_a_hang(outage: Outage) -> None:
    with psycopg.connect(outage.database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK,))
        response, took = _timed(
            "POST",
            outage.replica.url + "/v1/documents",
            json={"id": "busy", "text": "Der Hafen von Kiel wurde 1865 zum Reichskriegshafen."},
            headers=outage.headers(),
        )
        assert response.status_code == 503, response.text
        assert response.json()["type"] == "WritesBusy", response.json()
        assert "writers' lock" in response.json()["detail"]
        assert response.headers["retry-after"] == "1"
        assert took < TIMEOUT_S + MARGIN_S, took
        # Questions do not need the lock.
        asked = httpx.post(
            outage.replica.url + "/v1/ask",
            json={"question": DRONES},
            headers=outage.headers(),
            timeout=60,
        )
        assert asked.status_code == 200
    response, _ = _timed(
        "POST",
        outage.replica.url + "/v1/documents",
        json={"id": "busy", "text": "Der Hafen von Kiel wurde 1865 zum Reichskriegshafen."},
        headers=outage.headers(),
    )
    assert response.status_code in (200, 201), response.text


def _cli(outage: Outage, *args: str) -> subprocess.CompletedProcess:
    return run_cli({**outage.replica.env}, *args)


def test_a_chroma_503_during_ingest_is_repaired_by_the_next_write(outage: Outage) -> None:
    outage.chroma.stop()
    try:
        failed = httpx.post(
            outage.replica.url + "/v1/documents",
            json={"id": "waehrend", "text": "Der Leuchtturm von Kiel wurde 1912 gebaut."},
            headers=outage.headers(),
            timeout=60,
        )
        assert failed.status_code == 503 and failed.json()["engine"] == "Chroma", failed.text
    finally:
        outage.chroma.start()
    # Chroma was down, so the write could not undo its vector side yet: check says so.
    before = _cli(outage, "check")
    assert before.returncode == 1 and "journal: 1 unfinished" in before.stdout, before
    _repaired_by_next_write(
        outage, "waehrend", {"id": "danach", "text": "Die Kieler Woche findet seit 1882 statt."}
    )


def _repaired_by_next_write(outage: Outage, failed_id: str, next_write: dict) -> None:
    """``next_write`` repairs the journal entry the failed write left; that write's
    document is not there (nothing half-stored), and `check` is clean."""
    deadline = time.monotonic() + TIMEOUT_S + 5
    while True:  # within BACKEND_QUIET_S of the outage a write gets 503 at once: try again
        after = httpx.post(
            outage.replica.url + "/v1/documents",
            json=next_write,
            headers=outage.headers(),
            timeout=60,
        )
        if after.status_code != 503 or time.monotonic() > deadline:
            break
        assert after.headers["retry-after"] == "1", after.text
        time.sleep(0.2)
    assert after.status_code in (200, 201), after.text
    clean = _cli(outage, "check")
    assert clean.returncode == 0, clean
    assert "journal: 0 unfinished writes; orphan vectors: 0 sentence, 0 chunk" in clean.stdout
    url = f"{outage.replica.url}/v1/documents/{failed_id}"
    assert httpx.get(url, headers=outage.headers()).status_code == 404


def test_a_write_into_a_frozen_chroma_gets_its_503_within_one_timeout(outage: Outage) -> None:
    """The write's vector add times out; its journal clean-up must not wait a second
    timeout on the same engine (it was 2x QA_BACKEND_TIMEOUT): the next write repairs."""
    body = {
        "id": "eingefroren",
        "text": "Die Talsperre im Harz war am Freitag zu 93 Prozent gefüllt.",
    }
    with outage.chroma.frozen():
        failed, took = _timed(
            "POST", outage.replica.url + "/v1/documents", json=body, headers=outage.headers()
        )
    assert failed.status_code == 503 and failed.json()["engine"] == "Chroma", failed.text
    # One timeout plus embedding two sentences and the round trips, never two timeouts (a
    # margin that a loaded 2-core machine does not eat: the old path took >= 2 x TIMEOUT_S).
    assert took < 2 * TIMEOUT_S, took
    _repaired_by_next_write(
        outage, "eingefroren", {"id": "aufgetaut", "text": "Der Brocken ist 1141 Meter hoch."}
    )
    # Nothing lost: the same write again goes in once.
    again = httpx.post(
        outage.replica.url + "/v1/documents", json=body, headers=outage.headers(), timeout=60
    )
    assert again.status_code == 201, again.text


def test_a_nul_in_an_id_is_404_like_embedded_mode(outage: Outage) -> None:
    """PostgreSQL text cannot hold NUL: an id with one names nothing (it was a 500)."""
    url, key = outage.replica.url, outage.headers()
    for method in ("GET", "DELETE"):
        for path in ("/v1/documents/a%00b", "/v1/conversations/a%00b"):
            response = httpx.request(method, url + path, headers=key, timeout=60)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["type"] in ("DocumentNotFound", "ConversationNotFound")
    for stream in (False, True):
        response = httpx.post(
            url + "/v1/chat",
            json={"conversation_id": "a\u0000b", "message": "Wann war das?", "stream": stream},
            headers=key,
            timeout=60,
        )
        assert response.status_code == 404, response.text
        assert response.json()["type"] == "ConversationNotFound"
    text = httpx.post(
        url + "/v1/documents",
        json={"text": "Ein Text mit \u0000 darin.", "metadata": {"a\u0000": "b"}},
        headers=key,
        timeout=60,
    )
    assert text.status_code == 422, text.text


def test_questions_that_need_chroma_get_its_503_within_the_timeout(outage: Outage) -> None:
    """Above the in-memory copy's bound (QA_EXACT_SEARCH_MAX_SENTENCES, 0 here) a question's
    dense queries go to the Chroma server. Stopped, then frozen: every question and /health
    get their 503 naming Chroma within the timeout, however many wait at once; started again
    on the same --path, the replica answers as before, every vector still there."""
    replica = outage.add_replica("engines")  # stopped with the others when the module ends
    replica.env["QA_EXACT_SEARCH_MAX_SENTENCES"] = "0"
    replica.start().wait_ready()
    url = replica.url

    def answer() -> list[tuple[str, int, int]]:
        response = httpx.post(
            url + "/v1/ask", json={"question": DRONES}, headers=outage.headers(), timeout=60
        )
        assert response.status_code == 200, response.text
        return [(c["document_id"], c["start"], c["end"]) for c in response.json()["citations"]]

    want = answer()
    vectors = run_cli({**replica.env}, "check")
    assert vectors.returncode == 0, vectors.stdout + vectors.stderr
    outage.chroma.stop()
    try:
        _expect_all_unavailable(_all_at_once(outage, url), "Chroma")
        _expect_all_unavailable(_all_at_once(outage, url), "Chroma")
    finally:
        outage.chroma.start()  # the same --path
    assert _expect_recovery(outage, within=TIMEOUT_S + 5, url=url) < TIMEOUT_S + 5
    assert answer() == want
    with outage.chroma.frozen():
        _expect_all_unavailable(_all_at_once(outage, url), "Chroma")
    assert _expect_recovery(outage, within=TIMEOUT_S + 5, url=url) < TIMEOUT_S + 5
    assert answer() == want
    after = run_cli({**replica.env}, "check")  # nothing lost: no vector missing
    assert after.returncode == 0 and "missing vectors: 0 sentence, 0 chunk" in after.stdout, after
