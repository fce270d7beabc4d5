"""Answering off the event loop, a bounded number of questions at a time per process.

Answering is CPU-bound (the embedder, scoring). Starlette's shared thread pool would run up
to 40 at once, which on a loaded worker only adds thread switching and cache misses and
lets a burst overtake the requests that came first; a small limiter keeps the cores busy
and the queue in order (benchmarks/README.md, Throughput).

The queue is bounded (``max_queue``, QA_MAX_QUEUE): past it a question is refused at once
with 503 and Retry-After instead of waiting for seconds behind everyone else. Questions are
counted when they arrive, on the event loop, before the first ``await``: the limiter's own
statistics only see a question once it has queued for a token, after anyio's checkpoint, so
a burst arriving in one loop turn (async dependencies, no thread hop before this) all passed
a check of them and the bound never held (benchmarks/README.md, Latency).
"""

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

from qa_service.errors import ServiceBusy
from qa_service.retrieval.priority import Backlog
from qa_service.tuning.latency import OVERLOAD_WAITING

P = ParamSpec("P")
T = TypeVar("T")


class Compute:
    def __init__(
        self, threads: int, max_queue: int | None = None, backlog: Backlog | None = None
    ) -> None:
        self.limiter = anyio.CapacityLimiter(threads)
        self.max_queue = max_queue
        self.admitted = 0  # running or waiting; only the event loop's thread changes it
        self.backlog = backlog  # told how many wait: real-time embedding steps down when full

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.admission():
            return await self.thread(fn, *args, **kwargs)

    @contextlib.contextmanager
    def admission(self) -> Iterator[None]:
        """One question admitted for its whole stay (ServiceBusy past the bound); the body
        runs it with ``thread``. Enter it on the event loop before the first ``await``."""
        busy = self.refusal()
        if busy is not None:
            raise busy
        self._count(+1)
        try:
            yield
        finally:
            self._count(-1)

    def must_wait(self) -> bool:
        """Do the questions admitted now outnumber the answer threads (the last one waits)?"""
        return self.admitted > self.limiter.total_tokens

    def refusal(self) -> ServiceBusy | None:
        """The 503 a question gets if it arrives now (None: it would be admitted)."""
        if self.max_queue is not None and self.admitted >= (
            self.limiter.total_tokens + self.max_queue
        ):
            return ServiceBusy(f"{self.max_queue} questions are waiting already; try again")
        return None

    def _count(self, change: int) -> None:
        self.admitted += change
        if self.backlog is not None:
            waiting = self.admitted - int(self.limiter.total_tokens)
            self.backlog.update(waiting, self.max_queue or OVERLOAD_WAITING)

    async def thread(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn`` in an answer thread, when one is free (first come, first served)."""
        return await anyio.to_thread.run_sync(
            functools.partial(fn, *args, **kwargs), limiter=self.limiter
        )
