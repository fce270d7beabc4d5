"""Where a server's CPU goes, thread by thread, under 16 and 64 clients in the same run.

    .venv/bin/python -m benchmarks.thread_cpu [--clients 16 64] [--rounds 2] [--seconds 10]

Against `qa-service serve --workers 2` on the XQuAD-de corpus (distinct questions, the lean
client of benchmarks.throughput), client counts alternating round by round. Before and after
each load the CPU time and context switches of every thread of both workers are read from
/proc/<pid>/task/<tid>/ (``--variant``: several servers side by side, one environment each,
alternating step by step); at the end py-spy names the threads (``--py-spy PATH``; without it
only the main thread, the event loop, is told apart). Prints CPU ms per answered question by
thread kind: what the load adds beside the engine, and in which thread.
"""

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import CACHE, descendants, distinct, ingest_cli, report, server, xquad_corpus
from benchmarks.throughput import load

TICK = os.sysconf("SC_CLK_TCK")


def thread_stats(pids: list[int]) -> dict[tuple[int, int], tuple[float, int, int]]:
    """(pid, tid) -> (CPU seconds, voluntary, involuntary context switches)."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for tid in map(int, os.listdir(f"/proc/{pid}/task")):
                with contextlib.suppress(OSError):
                    base = Path(f"/proc/{pid}/task/{tid}")
                    fields = (base / "stat").read_text().rsplit(")", 1)[1].split()
                    status = (base / "status").read_text()
                    vol = int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", status)[1])  # type: ignore[index]
                    invol = int(re.search(r"nonvoluntary_ctxt_switches:\s+(\d+)", status)[1])  # type: ignore[index]
                    out[pid, tid] = ((int(fields[11]) + int(fields[12])) / TICK, vol, invol)
    return out


def thread_names(pids: list[int], py_spy: str | None) -> dict[int, str]:
    """tid -> Python thread name from ``py-spy dump`` (native threads stay unnamed)."""
    names: dict[int, str] = {pid: "MainThread (event loop)" for pid in pids}
    if not py_spy:
        return names
    for pid in pids:
        dump = subprocess.run(
            [py_spy, "dump", "--pid", str(pid)], capture_output=True, text=True, check=False
        ).stdout
        for m in re.finditer(
            r"Thread (0x[0-9A-Fa-f]+|\d+) \((?:active|idle)[^)]*\): \"([^\"]*)\"", dump
        ):
            ident = m[1]
            tid = int(ident, 16) if ident.startswith("0x") else int(ident)
            names.setdefault(tid, m[2])
    return names


def _record(workers: list[int], args: argparse.Namespace, label: str) -> list[subprocess.Popen]:
    """py-spy sampling each worker (100 Hz, threads told apart) for one load."""
    args.profile.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                args.py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "100",
                "--threads",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(args.profile / f"{label}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in workers
    ]


def xquad_load(steps: int, salt: str) -> tuple[Path, Iterator[str]]:
    """The XQuAD-de index (ingested once, cached) and distinct questions for ``steps`` loads."""
    corpus = xquad_corpus()
    index_dir = CACHE / f"idx-{corpus.name}"
    ingest_cli(index_dir, [corpus.folder])
    return index_dir, iter(distinct(corpus.questions, steps * 2000 + 200, salt))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--py-spy", default=None)
    parser.add_argument(
        "--variant",
        action="append",
        default=None,
        help="server environment, 'KEY=VALUE,KEY=VALUE' ('' the defaults); several run side "
        "by side, alternating step by step",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="folder for py-spy's raw samples per load"
    )
    args = parser.parse_args()
    variants = args.variant or [""]
    index_dir, pool = xquad_load(args.rounds * len(args.clients) * len(variants), "tc")
    samples = []
    with contextlib.ExitStack() as stack:
        servers = []
        for variant in variants:
            env = dict(kv.split("=", 1) for kv in variant.split(",") if kv)
            url, proc, _ = stack.enter_context(server(index_dir, workers=args.workers, env=env))
            servers.append((variant, url, descendants(proc.pid) or [proc.pid]))
        for _variant, url, _workers in servers:
            asyncio.run(load(url, pool, 2, 5))
        for round_ in range(args.rounds):
            for clients in args.clients:
                for variant, url, workers in servers:
                    label = f"{clients}-{round_}-{variants.index(variant)}"
                    spies = _record(workers, args, label) if args.profile else []
                    before = thread_stats(workers)
                    result = asyncio.run(load(url, pool, clients, args.seconds))
                    after = thread_stats(workers)
                    for spy in spies:
                        spy.wait()
                    samples.append((variant, clients, result, before, after))
        names: dict[int, str] = {}
        for _variant, _url, workers in servers:
            names |= thread_names(workers, args.py_spy)
    all_kinds: set[str] = set()
    parsed = []
    for variant, clients, result, before, after in samples:
        answered = max(len(result["asked"]), 1)
        kinds: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for key, (cpu, vol, invol) in after.items():
            cpu0, vol0, invol0 = before.get(key, (0.0, 0, 0))
            kind = names.get(key[1], "native (unnamed)")
            kind = re.sub(r"_\d+$|\d+$", "", kind)  # AnyIO worker thread / ThreadPoolExecutor-0_1
            k = kinds[kind]
            k[0] += cpu - cpu0
            k[1] += vol - vol0
            k[2] += invol - invol0
        all_kinds |= set(kinds)
        parsed.append((variant, clients, result, answered, kinds))
    rows: list[dict[str, object]] = []
    for variant, clients, result, answered, kinds in parsed:
        row: dict[str, object] = {
            "variant": variant or "defaults",
            "clients": clients,
            "answered": len(result["asked"]),
            "503": result["503 busy"],
            "rps": len(result["asked"]) / result["elapsed"],
        }
        total = 0.0
        for kind in sorted(all_kinds):
            seconds, switches, forced = kinds.get(kind, [0.0, 0.0, 0.0])
            row[f"{kind} ms/q"] = 1000 * seconds / answered
            row[f"{kind} cs/q"] = (switches + forced) / answered
            total += seconds
        row["total ms/q"] = 1000 * total / answered
        row["load avg"] = os.getloadavg()[0]
        rows.append(row)
    report("thread_cpu", rows)


if __name__ == "__main__":
    main()
