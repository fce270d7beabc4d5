"""Backends the store contract runs against: one factory each.

A factory gets a fresh temporary folder (and the test's request, to reach session fixtures
such as the database servers) and returns an opener: every call opens the SAME storage again
(a restart after a crash is a second call), with settings changed by its keyword arguments.
To run the contract against another backend, add one entry to ``BACKENDS`` (skip inside the
factory when its server is not available).
"""

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_service.config import Settings
from qa_service.service import QAService
from qa_service.stores import Stores, open_stores
from tests.helpers import xquad
from tests.helpers.embedders import MemoEmbedder

Opener = Callable[..., Stores]


def embedded(tmp_path: Path, request: pytest.FixtureRequest) -> Opener:
    """SQLite files + embedded Chroma in one folder (QA_INDEX_DIR)."""
    settings = Settings(index_dir=tmp_path / "index", seeds_dir=tmp_path / "no-seeds")
    return lambda **update: open_stores(settings.model_copy(update=update))


def server(tmp_path: Path, request: pytest.FixtureRequest) -> Opener:
    """PostgreSQL + a Chroma server (QA_DATABASE_URL, QA_CHROMA_URL), a new database in each;
    the servers are the session's (tests/helpers/engines.py)."""
    settings = Settings(
        index_dir=tmp_path / "index",
        seeds_dir=tmp_path / "no-seeds",
        database_url=request.getfixturevalue("postgres_server").create_database(),
        chroma_url=request.getfixturevalue("chroma_server").database_url(),
    )
    return lambda **update: open_stores(settings.model_copy(update=update))


BACKENDS: dict[str, Callable[[Path, pytest.FixtureRequest], Opener]] = {
    "embedded": embedded,
    "server": server,
}


@pytest.fixture(params=sorted(BACKENDS))
def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the parametrized backend's storage (again, on each call); closes all at the end."""
    opener = BACKENDS[request.param](tmp_path, request)
    opened: list[Stores] = []

    def open_again(**update: Any) -> Stores:
        stores = opener(**update)
        opened.append(stores)
        return stores

    yield open_again
    for stores in opened:
        with contextlib.suppress(Exception):  # already closed by the test (a restart)
            stores.close()


@pytest.fixture
def xquad_service(server_settings: Settings, embedder: MemoEmbedder) -> Iterator[QAService]:
    """Server mode over the seeds and a few XQuAD-de articles (tests/helpers/xquad.py)."""
    service = xquad.xquad_service(server_settings, embedder)
    yield service
    service.close()
