import threading
import time

import anyio
from fastapi.testclient import TestClient

from qa_service.api.compute import Compute
from qa_service.errors import ServiceBusy
from qa_service.retrieval.priority import Backlog


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


def test_a_full_queue_marks_the_process_overloaded_until_half_of_it_drained() -> None:
    """The backlog sees the questions waiting for a thread (not those running): overloaded
    when the queue is full, not again normal before half of it has drained."""
    release = threading.Event()
    seen: list[tuple[int, bool]] = []

    async def main() -> None:
        backlog = Backlog()
        compute = Compute(1, max_queue=4, backlog=backlog)

        async def one() -> None:
            await compute.run(release.wait, 5)
            seen.append((compute.admitted, backlog.overloaded))

        async with anyio.create_task_group() as tg:
            for i in range(5):
                tg.start_soon(one)
                await anyio.sleep(0.05)
                # i + 1 admitted, one of them running
                assert backlog.overloaded is (i + 1 - 1 >= 4), (i, compute.admitted)
            release.set()
        assert not backlog.overloaded

    anyio.run(main)
    # Departures: 4 still admitted (3 waiting: above half of 4) -> overloaded; 3 admitted
    # (2 waiting: half) -> normal again.
    assert sorted(seen, reverse=True) == [(4, True), (3, False), (2, False), (1, False), (0, False)]


def test_the_backlog_steps_down_at_the_bound_and_back_at_half() -> None:
    backlog = Backlog()
    for waiting, overloaded in [(0, False), (15, False), (16, True), (12, True), (9, True)]:
        backlog.update(waiting, 16)
        assert backlog.overloaded is overloaded, waiting
    backlog.update(8, 16)
    assert not backlog.overloaded
    backlog.update(15, 16)
    assert not backlog.overloaded  # not again before the bound


def test_a_full_queue_refuses_at_the_edge_before_the_body_is_read(client: TestClient) -> None:
    """While the process's queue is full a question is refused before routing: even one
    whose body the route would refuse (422) gets the 503, with Retry-After, in the API's
    error shape; once there is room the same requests reach the route again."""
    compute: Compute = client.app.state.compute  # type: ignore[attr-defined]
    invalid = {"question": 42}
    compute.max_queue = 0
    compute.admitted = int(compute.limiter.total_tokens)  # every thread busy, no room to wait
    try:
        for body in (invalid, {"question": "Wer baut die Brücke?"}):
            refused = client.post("/v1/ask", json=body)
            assert refused.status_code == 503, refused.text
            assert refused.json()["type"] == "ServiceBusy"
            assert refused.headers["retry-after"] == "1"
    finally:
        compute.admitted = 0
    assert client.post("/v1/ask", json=invalid).status_code == 422
    assert client.post("/v1/ask", json={"question": "Wer baut die Brücke?"}).status_code == 200


def test_must_wait_once_the_admitted_outnumber_the_threads() -> None:
    compute = Compute(2, max_queue=4)
    seen = []
    with compute.admission():
        seen.append(compute.must_wait())
        with compute.admission():
            seen.append(compute.must_wait())
            with compute.admission():
                seen.append(compute.must_wait())
    assert seen == [False, False, True]
    assert not compute.must_wait()
