"""Answering off the event loop, a bounded number of questions at a time per process.

Answering is CPU-bound (the embedder, scoring). Starlette's shared thread pool would run up
to 40 at once, which on a loaded worker only adds thread switching and cache misses and
lets a burst overtake the requests that came first; a small limiter keeps the cores busy
and the queue in order (benchmarks/README.md, Throughput).
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

P = ParamSpec("P")
T = TypeVar("T")


class Compute:
    def __init__(self, threads: int) -> None:
        self.limiter = anyio.CapacityLimiter(threads)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await anyio.to_thread.run_sync(
            functools.partial(fn, *args, **kwargs), limiter=self.limiter
        )
