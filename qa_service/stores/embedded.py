"""Embedded mode: SQLite files and an embedded Chroma store in one index folder.

Several processes may share the folder (``serve --workers``, ``qa-service ingest`` while the
server runs). Two details make that safe, and both stay here, behind ``Stores``:

* a lock file lets one process write at a time, and a writer first re-reads the vectors if
  another process wrote since (Chroma persists a process's in-memory graphs over the files:
  without the re-read it would drop the others' vectors);
* readers re-read the vectors at most every ``reload_seconds`` after another process wrote,
  because Chroma never sees other processes' writes by itself.

Dense queries are answered from an exact in-memory copy of the vectors while the index is
small (``exact.py``), which follows every write, this process's or another's, at the next
question.
"""

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from qa_service.errors import StoreUnavailable
from qa_service.stores.base import Retention
from qa_service.stores.exact import ExactFirstVectorStore, ExactIndex
from qa_service.stores.sqlite.documents import SQLiteDocumentStore
from qa_service.tuning.latency import EXACT_SEARCH_MAX_SENTENCES

log = logging.getLogger("qa_service")

LOCK_FILENAME = "write.lock"
SEEDING_LOCK_FILENAME = "seeding.lock"
CHROMA_DIRNAME = "chroma"


class EmbeddedStores:
    concurrent_reads = False

    def __init__(
        self,
        index_dir: Path,
        *,
        reload_seconds: float = 5.0,
        exact_max_sentences: int = EXACT_SEARCH_MAX_SENTENCES,
        retention: Retention = Retention(),
    ) -> None:
        self.index_dir = index_dir
        self.reload_seconds = reload_seconds
        self._write_lock = threading.Lock()
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(index_dir / LOCK_FILENAME)
            self.vectors = ExactFirstVectorStore(index_dir / CHROMA_DIRNAME)
        except OSError as exc:
            raise _unavailable(index_dir, exc) from None
        try:
            with self._file_lock:  # an upgrade of an old index reads the vectors once
                self.documents = SQLiteDocumentStore(
                    index_dir, vectors=self.vectors, retention=retention
                )
        except (OSError, sqlite3.DatabaseError) as exc:
            self.vectors.close()
            raise _unavailable(index_dir, exc) from None
        except BaseException:
            self.vectors.close()
            raise
        self._vectors_seen = self.documents.changed()
        self._reloaded_at = float("-inf")
        # Built at the first question (a CLI ingest never reads it), then kept in step.
        self.exact = self.vectors.exact = ExactIndex(self.documents, exact_max_sentences)

    def close(self) -> None:
        self.documents.close()
        self.vectors.close()

    def reader(self) -> None:
        """Nothing to copy: the stores are in this process (``exact`` answers dense queries)."""
        return None

    def status(self) -> dict[str, str]:
        return {}  # files in this process: nothing to ask

    def refresh(self) -> bool:
        """Bring the exact copy up to date with every write; re-read Chroma if another
        process wrote to the index since, at most once per ``reload_seconds`` (the copy and
        the text search are always current). Returns whether Chroma was re-read."""
        self.exact.follow()
        seen = self.documents.changed()
        if seen == self._vectors_seen or time.monotonic() - self._reloaded_at < self.reload_seconds:
            return False
        with self._write_lock:
            if seen == self._vectors_seen:
                return False  # another thread reloaded meanwhile
            self._reload_vectors()
        return True

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer at a time, across threads and processes, on current vectors.

        Measured, two processes adding 10,000 vectors each at once: 15-21% lost without a
        lock, 21-90% with a lock alone, and entries Chroma could no longer read back; with
        lock and re-read, none lost.
        """
        with self._write_lock, self._file_lock:
            if self.documents.changed() != self._vectors_seen:
                self._reload_vectors()
            yield

    @contextmanager
    def seeding(self) -> Iterator[None]:
        """A lock file of its own: seeding takes the writers' lock for each article."""
        with FileLock(self.index_dir / SEEDING_LOCK_FILENAME):
            yield

    def _reload_vectors(self) -> None:
        """Caller holds ``_write_lock``."""
        start = time.monotonic()
        seen = self.documents.changed()
        self.vectors.reload()
        self._vectors_seen, self._reloaded_at = seen, time.monotonic()
        took = time.monotonic() - start
        log.info("vector store re-read after another process wrote (%.2f s)", took)


def _unavailable(index_dir: Path, exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"cannot open the index at {index_dir} (QA_INDEX_DIR): {exc}")
