"""`qa-service serve` as a real uvicorn process: seeds ingested at start, answers over HTTP."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import SEEDS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(SEEDS, root / "seeds")
    port = _free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index"), "QA_SEEDS_DIR": str(root / "seeds")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_service", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "server died")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("server did not start in 120 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_server_ingests_seeds_and_answers(server: str) -> None:
    health = httpx.get(f"{server}/health").json()
    assert health["documents"] == 2 and health["chunks"] > 0
    body = httpx.post(
        f"{server}/v1/ask", json={"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}
    ).json()
    assert "Browdi" in body["citations"][0]["quote"]
    c = body["citations"][0]
    text = httpx.get(f"{server}/v1/documents/{c['document_id']}").json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]


def test_openapi_docs_are_served(server: str) -> None:
    assert httpx.get(f"{server}/docs").status_code == 200
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/health", "/v1/ask", "/v1/documents"} <= set(spec["paths"])
