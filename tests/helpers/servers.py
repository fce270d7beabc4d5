"""A real `python -m qa_service serve` process on a free loopback port."""

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
import pytest

from tests.helpers.paths import SEEDS

# Starlette's TestClient sends ``Host: testserver``; a real server accepts loopback names only.
TEST_HOSTS = ["testserver", "localhost"]
# Tests are one client sending requests as fast as they can, not a flood: the anonymous
# rate limit and the one on invalid keys are off unless a test sets them
# (tests/api/test_rate_limits.py, tests/api/test_key_abuse.py).
NO_ANONYMOUS_LIMIT = {"QA_ANONYMOUS_RATE_LIMIT": "", "QA_INVALID_KEY_RATE_LIMIT": ""}


STORAGE_MODES = ["embedded", "server"]


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
    root: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python -m qa_service serve ARGS` on a free loopback port over the seeds in ``root``,
    with ``env`` added to the environment (QA_ settings)."""
    shutil.copytree(SEEDS, root / "seeds", dirs_exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(root / "index"),
        "QA_SEEDS_DIR": str(root / "seeds"),
        **NO_ANONYMOUS_LIMIT,
        **(env or {}),
    }
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
        stop_process(proc)
        log.close()


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
