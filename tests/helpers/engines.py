"""Real database servers for tests: a throwaway PostgreSQL cluster and a `chroma run` server.

Both listen on a free port on 127.0.0.1 and live in a temporary folder removed afterwards.
PostgreSQL refuses to run as root, so when the tests run as root (CI containers) the cluster
belongs to the ``postgres`` user that Debian's package creates (or QA_TEST_PG_USER), and its
commands run through ``runuser``. Each server can be stopped and started again on the same
port and data folder, which the fault tests use.

Outside CI a missing PostgreSQL skips the server tests with a loud reason; in CI (the ``CI``
variable set, as GitHub Actions and most runners do, or ``.ci/run``) it fails them.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self, TypeVar

import httpx
import pytest

from qa_service.stores.chroma import CHROMA_ENV
from tests.helpers.servers import NO_ANONYMOUS_LIMIT

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_TIMEOUT_S = 60.0

T = TypeVar("T")
S = TypeVar("S", "PostgresServer", "ChromaServer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(what: str) -> None:
    """Skip on a developer's machine, fail in CI: these tests never skip there."""
    message = f"{what}; install it (see README 'Scaling out') to run the server-mode tests"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(f"!!! SERVER TESTS SKIPPED: {message}")


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's folder, else initdb on the PATH."""
    folders = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    if folders:
        return Path(folders[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _wait(check, timeout: float, what: str, log: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start in {timeout:.0f} s\n{tail}")


class PostgresServer:
    """A PostgreSQL cluster of its own: ``initdb`` once, ``start``/``stop`` at will."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="qa-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.user = "qa"
        self._runas: list[str] = []
        if os.geteuid() == 0:
            owner = os.environ.get("QA_TEST_PG_USER", "postgres")
            try:
                entry = pwd.getpwnam(owner)
            except KeyError:
                missing(f"running as root and there is no '{owner}' user to run PostgreSQL as")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._runas = ["runuser", "-u", owner, "--"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._runas, str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # Durability off: a throwaway cluster; the socket lives in our folder, not /run.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            str(int(START_TIMEOUT_S)),
            "start",
        )
        _wait(self.ready, START_TIMEOUT_S, "PostgreSQL", self.log)

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def pids(self) -> list[int]:
        """This cluster's postmaster and its children (backends, background workers): only
        processes this object started."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        return [postmaster, *map(int, children)]

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """SIGSTOP every process of the cluster, SIGCONT on the way out: the server neither
        answers nor closes its sockets (the kernel still accepts connections), as behind a
        network that drops packets."""
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def chroma_command() -> list[str] | None:
    """`chroma` from the same environment as the tests (the chromadb package ships it)."""
    script = Path(sys.executable).parent / "chroma"
    if script.exists():
        return [str(script)]
    found = shutil.which("chroma")
    return [found] if found else None


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port P`, restartable on the same path."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.root = Path(tempfile.mkdtemp(prefix="qa-chroma-"))
        self.path = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # The service's setting; a benchmark's bulk build may raise it (see benchmarks.scaleout)
        self.env = dict(CHROMA_ENV)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def database_url(self) -> str:
        """The server's URL with a new database of its own (path = database name)."""
        return f"{self.url}/t_{uuid.uuid4().hex[:12]}"

    def start(self) -> None:
        env = {**os.environ, **self.env, "ANONYMIZED_TELEMETRY": "False"}
        self.process = spawn(
            [*self.command, "run", "--path", str(self.path)], self.port, env, self.log
        )
        _wait(self.ready, START_TIMEOUT_S, "chroma run", self.log)

    def ready(self) -> bool:
        return answers(self.process, self.log, f"{self.url}/api/v2/heartbeat", timeout=1)

    def stop(self) -> None:
        stop_process(self.process)

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """SIGSTOP the server's process group (its own session), SIGCONT on the way out:
        connections are accepted, nothing is answered."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    return _started(PostgresServer, postgres_bin(), "PostgreSQL server binaries (initdb, pg_ctl)")


def start_chroma() -> ChromaServer:
    return _started(ChromaServer, chroma_command(), "the `chroma` command (package chromadb)")


def _started(server_class: Callable[[T], S], found: T | None, what: str) -> S:
    """``server_class(found)`` started (closed again if it fails); ``found`` None: ``what``
    is missing."""
    if found is None:
        missing(f"{what} not found")
    assert found is not None
    server = server_class(found)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


class Replica:
    """One `python -m qa_service serve` process in server mode on a free port."""

    def __init__(self, root: Path, env: dict[str, str], name: str) -> None:
        self.root = root
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / f"{name}.log"
        self.env = {**os.environ, **NO_ANONYMOUS_LIMIT, **env}
        self.process: subprocess.Popen | None = None

    def start(self) -> "Replica":
        self.process = spawn(
            [sys.executable, "-m", "qa_service", "serve"], self.port, self.env, self.log
        )
        return self

    def wait_ready(self, timeout: float = 180.0) -> None:
        def up() -> bool:
            return answers(self.process, self.log, f"{self.url}/health", timeout=2)

        _wait(up, timeout, f"replica {self.name}", self.log)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        stop_process(self.process, timeout=0)

    def stop(self) -> None:
        stop_process(self.process)


class OwnEngines:
    """A PostgreSQL cluster and a `chroma run` server of a test module's own, with a new
    database in PostgreSQL and `serve` replicas over both (``replica_env``): for tests that
    stop, freeze or restart the engines, which the session's (``postgres_server``,
    ``chroma_server``) must not suffer. Closing stops the replicas, then the engines; an
    engine that fails to start closes the one already started."""

    def __init__(self, root: Path, database: str, timeout: float) -> None:
        self.root = root
        self.replicas: list[Replica] = []
        self.pg = start_postgres()
        try:
            self.chroma = start_chroma()
        except BaseException:
            self.pg.close()
            raise
        try:
            self.database_url = self.pg.create_database(database)
        except BaseException:
            self.close()
            raise
        self.chroma_url = self.chroma.url
        self.env = replica_env(root, self.database_url, self.chroma_url, timeout)

    def add_replica(self, name: str) -> "Replica":
        """A replica over these engines, not started yet."""
        replica = Replica(self.root, self.env, name)
        self.replicas.append(replica)
        return replica

    def start_replicas(self) -> None:
        """Every replica at once (on an empty database their migrations and seed ingests
        race), then each waited for."""
        for replica in self.replicas:
            replica.start()
        for replica in self.replicas:
            replica.wait_ready()

    def close(self) -> None:
        try:
            for replica in self.replicas:
                replica.stop()
        finally:
            self.chroma.close()
            self.pg.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spawn(command: list[str], port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``command`` listening on 127.0.0.1:``port``, in a session of its own, its output
    appended to ``log``: a file, not a pipe (nobody reads a pipe while tests run, and a full
    one blocks)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def answers(process: subprocess.Popen | None, log: Path, url: str, timeout: float) -> bool:
    """Whether ``url`` answers 200 now; a process that has exited raises with its log's end."""
    if process is not None and process.poll() is not None:
        raise RuntimeError(log.read_text(errors="replace")[-3000:])
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.TransportError:
        return False


def stop_process(process: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL to the whole process group after ``timeout`` (0: at once)."""
    if process is None or process.poll() is not None:
        return
    if timeout:
        process.terminate()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def replica_env(root: Path, database_url: str, chroma_url: str, timeout: float) -> dict[str, str]:
    """The settings of server-mode replicas (and CLI commands) over these engines, with a
    copy of the seed articles in ``root``."""
    from tests.helpers.paths import ROOT, SEEDS

    shutil.copytree(SEEDS, root / "seeds")
    return {
        "QA_DATABASE_URL": database_url,
        "QA_CHROMA_URL": chroma_url,
        "QA_SEEDS_DIR": str(root / "seeds"),
        "QA_INDEX_DIR": str(root / "unused-index"),
        "QA_BACKEND_TIMEOUT": str(timeout),
        "QA_EMBEDDER_THREADS": "1",
        "PYTHONPATH": str(ROOT),
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m qa_service ARGS` with ``env``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "qa_service", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
