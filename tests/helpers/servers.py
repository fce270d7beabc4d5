"""A real `python -m qa_service serve` process on a free loopback port."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import httpx
import pytest

from tests.helpers.paths import SEEDS

if TYPE_CHECKING:
    from qa_service.retrieval.embedder import Embedder

# Starlette's TestClient sends ``Host: testserver``; a real server accepts loopback names only.
TEST_HOSTS = ["testserver", "localhost"]
# Tests are one client sending requests as fast as they can, not a flood: the anonymous
# rate limit and the one on invalid keys are off unless a test sets them
# (tests/api/test_rate_limits.py, tests/api/test_key_abuse.py).
NO_ANONYMOUS_LIMIT = {"QA_ANONYMOUS_RATE_LIMIT": "", "QA_INVALID_KEY_RATE_LIMIT": ""}


STORAGE_MODES = ["embedded", "server"]
# Between two /health polls of a starting server: a poll is a connection refused or one
# request (the session's TLS context is shared, tests/conftest.py), so a short interval
# costs little CPU and finds the server up sooner.
POLL_S = 0.1

# Settings that change how a server serves, never what an ingest of the seeds stores: servers
# that differ only in these (and in their folders) open copies of one index of the seeds.
SERVING_ONLY = {
    "QA_INDEX_DIR",
    "QA_SEEDS_DIR",
    "QA_ALLOWED_HOSTS",
    "QA_ANONYMOUS_RATE_LIMIT",
    "QA_ANSWER_MODE",
    "QA_ANSWER_THREADS",
    "QA_AUTH",
    "QA_CONVERSATION_TTL_DAYS",
    "QA_CORS_ORIGINS",
    "QA_FORWARDED_ALLOW_IPS",
    "QA_INVALID_KEY_RATE_LIMIT",
    "QA_LLM_API_KEY",
    "QA_LLM_BASE_URL",
    "QA_LLM_MAX_TOKENS",
    "QA_LLM_MODEL",
    "QA_LLM_TIMEOUT",
    "QA_MAX_CONVERSATION_TURNS",
    "QA_MAX_QUEUE",
    "QA_RATE_LIMIT",
}
_seed_indexes: dict[tuple[tuple[str, str], ...], Path] = {}


@contextmanager
def serve_in_mode(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    settings: dict[str, str] | None = None,
) -> Iterator[httpx.Client]:
    """A client of a `serve` process over the seeds in the storage mode ``request.param``
    (a fixture parametrized over ``STORAGE_MODES``): "embedded" (SQLite and Chroma in its
    index folder), or "server" (a new database in the session's PostgreSQL and `chroma
    run`, the ``postgres_server`` and ``chroma_server`` fixtures); ``settings``: more QA_
    variables."""
    mode = request.param
    env = dict(settings or {})
    if mode == "server":
        env |= {
            "QA_DATABASE_URL": request.getfixturevalue("postgres_server").create_database(),
            "QA_CHROMA_URL": request.getfixturevalue("chroma_server").database_url(),
        }
    root = tmp_path_factory.mktemp(f"{request.node.name}-{mode}")
    with serve_process(root, env=env) as (url, _), httpx.Client(base_url=url, timeout=60) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_process(
    root: Path, *args: str, env: dict[str, str] | None = None, seeded: bool = True
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python -m qa_service serve ARGS` on a free loopback port over the seeds in ``root``,
    with ``env`` added to the environment (QA_ settings).

    Where the server would start by ingesting exactly the seeds into a new embedded index
    (``seeded``), it opens a copy of an index of the seeds built once per session for its
    ingest settings (``seed_index``) instead: a restart's start-up, seconds sooner. Start-up
    ingest itself stays tested: ``seeded=False`` (the session's ``live_server``, the serve
    tests), ``ARGS`` (``--workers``), keys or other articles in ``root``, and server mode
    each still ingest at start-up."""
    new_root = not (root / "index").exists() and not (root / "seeds").exists()
    shutil.copytree(SEEDS, root / "seeds", dirs_exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(root / "index"),
        "QA_SEEDS_DIR": str(root / "seeds"),
        **NO_ANONYMOUS_LIMIT,
        **(env or {}),
    }
    own_folders = (env["QA_INDEX_DIR"], env["QA_SEEDS_DIR"]) == (
        str(root / "index"),
        str(root / "seeds"),
    )
    if seeded and new_root and own_folders and not args and not env.get("QA_DATABASE_URL"):
        shutil.copytree(seed_index(env), root / "index")
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
                pass
            time.sleep(POLL_S)
        else:
            raise RuntimeError("server did not start in 120 s")
        yield url, proc
    finally:
        stop_process(proc)
        log.close()


def seed_index(env: dict[str, str], embedder: "Embedder | None" = None) -> Path:
    """An embedded index holding the seeds as a service with the environment ``env`` ingests
    them at start-up (the same code: ``build_service``, ``ingest_seeds_if_empty``), built
    once per session for each set of settings outside ``SERVING_ONLY``; ``embedder``: the
    model to embed them with (default: the settings' own, loaded for this)."""
    from qa_service.config import Settings
    from qa_service.service import build_service

    key = tuple(
        sorted((k, v) for k, v in env.items() if k.startswith("QA_") and k not in SERVING_ONLY)
    )
    if key not in _seed_indexes:
        folder = Path(tempfile.mkdtemp(prefix="qa-seed-index-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        shutil.copytree(SEEDS, folder / "seeds")
        with mock.patch.dict(os.environ, env, clear=True):  # the service's environment
            settings = Settings(index_dir=folder / "index", seeds_dir=folder / "seeds")
        service = build_service(settings, embedder)
        try:
            assert service.ingest_seeds_if_empty(), "no seed ingested"
        finally:
            service.close()
        _seed_indexes[key] = folder / "index"
    return _seed_indexes[key]


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL to its whole session if it does not stop within ``timeout``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
