import threading
import time

import anyio

from qa_service.api.compute import Compute


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
