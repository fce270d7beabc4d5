"""Vectors by key in one SQLite file: the on-disk cache of ``evaluation/cache.py``."""

import sqlite3
from pathlib import Path

import numpy as np


class SQLiteVectorCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB)")

    def load(self) -> dict[str, np.ndarray]:
        return {
            k: np.frombuffer(v, dtype=np.float32)
            for k, v in self._db.execute("SELECT * FROM vectors")
        }

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        """Caller serialises writes."""
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
            [
                (k, np.asarray(v, dtype=np.float32).tobytes())
                for k, v in zip(keys, vectors, strict=True)
            ],
        )

    def close(self) -> None:
        self._db.close()
