"""`qa-service serve` as a real uvicorn process: seeds ingested at start, answers over HTTP."""

import json
import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers.checks import assert_unique_operation_ids
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # real `qa-service serve` processes

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
POOL = (
    "Die Gemeinde Wolkenstein hat am Dienstag ihr neues Hallenbad eröffnet. Das Becken ist "
    "25 Meter lang und hat sechs Bahnen."
)
POOL_QUESTION = "Which town opened an indoor swimming pool?"


def test_server_ingests_seeds_and_answers(live_server: str) -> None:
    health = httpx.get(f"{live_server}/health").json()
    assert health["documents"] == 2 and health["chunks"] > 0
    body = httpx.post(
        f"{live_server}/v1/ask", json={"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}
    ).json()
    assert "Browdi" in body["citations"][0]["quote"]
    c = body["citations"][0]
    text = httpx.get(f"{live_server}/v1/documents/{c['document_id']}").json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]


def test_openapi_docs_are_served(live_server: str) -> None:
    assert httpx.get(f"{live_server}/docs").status_code == 200
    spec = httpx.get(f"{live_server}/openapi.json").json()
    assert {"/health", "/v1/ask", "/v1/documents"} <= set(spec["paths"])
    assert_unique_operation_ids(spec)  # as served (tests/api/test_openapi.py)
    schemas = spec["components"]["schemas"]
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(schemas), refs - set(schemas)  # code generators need them all
    upload = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert upload["application/json"]["schema"]["required"] == ["text"]


def test_workers_share_the_connections(tmp_path: Path) -> None:
    """`serve --workers 2`: keep-alive connections reach both workers, and both answer.

    With one shared socket, the kernel gives every connection to the worker waiting in
    accept(); each worker's own SO_REUSEPORT socket spreads them (16 connections all landing
    on one of 2 workers by chance: p = 2 / 2**16).
    """
    with serve_process(tmp_path, "--workers", "2") as (url, proc):
        clients = [httpx.Client(base_url=url, timeout=60) for _ in range(16)]
        try:
            pids = {c.get("/health").json()["pid"] for c in clients}
            assert len(pids) == 2 and proc.pid not in pids
            for client in clients:  # every worker has its vector store loaded from here on
                body = client.post("/v1/ask", json={"question": DRONES}).json()
                assert "Browdi" in body["citations"][0]["quote"]
            assert {c.get("/health").json()["documents"] for c in clients} == {2}  # seeded once

            # A document posted to one worker is found by the others' vector search too.
            # English question, German article: no shared word, so only the dense search
            # (each worker's in-memory Chroma graphs) can find it.
            added = clients[0].post("/v1/documents", json={"id": "bad", "text": POOL})
            assert added.status_code == 201
            for client in clients:
                body = client.post("/v1/ask", json={"question": POOL_QUESTION}).json()
                assert "bad" in [p["document_id"] for p in body["passages"]], body
        finally:
            for client in clients:
                client.close()
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    for pid in pids:  # no worker outlives the server
        assert not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid)


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "qa_service", "serve", "--port", str(port), "--workers", "2"],
            env={**os.environ, "QA_INDEX_DIR": str(tmp_path / "i"), "QA_SEEDS_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert "error:" in result.stderr and "Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def _state(pid: int) -> str:
    status = Path(f"/proc/{pid}/status")
    return status.read_text().lower() if status.exists() else ""


def test_posts_racing_deletes_of_the_same_id_never_answer_404(live_server: str) -> None:
    # Found by a black-box bug hunt: 3 of 30 such POSTs answered 404 DocumentNotFound. A
    # create or replace answers 201 or 200 (a create when the DELETE came first); a DELETE
    # 204, or 404 when there was nothing left to delete.
    def send(i: int) -> tuple[str, int]:
        with httpx.Client(base_url=live_server, timeout=120) as http:
            if i % 2:
                return "DELETE", http.delete("/v1/documents/churn2").status_code
            text = f"Der Pegel in Churnheim stieg auf {i} Zentimeter. Die Feuerwehr war da."
            return "POST", http.post(
                "/v1/documents", json={"id": "churn2", "text": text}
            ).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(send, range(60)))
    # The server is shared by the whole session: leave it as it was, whichever request won.
    assert httpx.delete(f"{live_server}/v1/documents/churn2", timeout=120).status_code in (204, 404)
    assert {code for method, code in answers if method == "POST"} <= {200, 201}, answers
    assert {code for method, code in answers if method == "DELETE"} <= {204, 404}, answers
