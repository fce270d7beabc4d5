import threading
import time

import anyio

from qa_service.api.compute import Compute
from qa_service.errors import ServiceBusy


def test_compute_runs_at_most_its_threads_at_once_and_returns_results() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def work(n: int, *, pause: float) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(pause)
        with lock:
            running -= 1
        return n * n

    async def main() -> list[int]:
        compute = Compute(2)
        results: list[int] = [0] * 8

        async def one(i: int) -> None:
            results[i] = await compute.run(work, i, pause=0.02)

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(one, i)
        return results

    assert anyio.run(main) == [i * i for i in range(8)]
    assert peak == 2


def test_a_burst_in_one_loop_turn_is_bounded_by_threads_plus_queue() -> None:
    """Questions that reach the limiter in the same event-loop turn (async dependencies: no
    thread hop before it) are counted at once, not after each one's first checkpoint."""
    release = threading.Event()

    def work() -> str:
        release.wait(5)  # until every refusal is in (or 5 s, should nothing be refused)
        release.set()
        return "answered"

    async def main() -> list[str]:
        compute = Compute(1, max_queue=1)
        outcomes: list[str] = []

        async def one() -> None:
            try:
                outcomes.append(await compute.run(work))
            except ServiceBusy:
                outcomes.append("busy")
                if outcomes.count("busy") == 22:
                    release.set()

        async with anyio.create_task_group() as tg:
            for _ in range(24):
                tg.start_soon(one)
        return outcomes

    outcomes = anyio.run(main)
    assert outcomes.count("answered") == 2 and outcomes.count("busy") == 22, outcomes
