"""A SQLite file beside the article index, opened and migrated at its first use."""

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from qa_service.stores.sqlite.migrations import MigrationContext, Migrations
from qa_service.stores.sqlite.transaction import immediate


class LazyFile:
    """Safe to share between threads; commands that never need the file do not create it."""

    def __init__(self, path: Path, migrations: Migrations, pragmas: Sequence[str] = ()) -> None:
        self.path = path
        self._migrations = migrations
        self._pragmas = ("journal_mode=WAL", *pragmas)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        """Caller holds the lock."""
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            for pragma in self._pragmas:
                conn.execute(f"PRAGMA {pragma}")
            self._migrations.apply(conn, MigrationContext())
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, immediate(self._connection()) as conn:
            yield conn
