"""Embedded vs server mode (PostgreSQL + `chroma run`), one run side by side.

    .venv/bin/python -m benchmarks.scaleout [--questions 200] [--seconds 15]
        [--clients 16 64] [--keyword-sizes 10000 100000 1000000] [--keyword-seconds 60]
        [--sizes 10000 100000] [--same-run-sizes 100000]
        [--only latency same-run throughput keyword growth]
        [--measure-lock /tmp/qa-cpu.lock] [--build-threads 1] [--writers 1]
        [--existing DATABASE_URL CHROMA_URL [--existing-embedded INDEX_DIR]]

1. The XQuAD-de index is built in embedded mode (`qa-service ingest`, cached), then copied
   into server mode with `qa-service migrate` (timed: no re-embedding).
2. Latency: the same distinct questions, one client, `POST /v1/ask`, embedded vs server.
   Same run, asked in turn (`--only same-run`): both modes served at once over XQuAD-de and
   over benchmarks.scale's corpus of each --same-run-sizes (100k chunks by default), built in
   both modes from one seed (see 6.), each question asked of one mode and then the other
   (which first alternates), so both share the same minutes and load. With --measure-lock
   the builds run at this process's priority (start it under `nice`) and the questions at
   priority 0 holding the lock; --existing ... --existing-embedded compares corpora already
   built.
3. Ingest rate: articles/s of `POST /v1/documents` (new texts, embedding included) per mode.
4. Throughput in server mode with 1 and 2 replicas (each `qa-service serve`, one process)
   at each client count; the clients alternate between the replicas as a round-robin load
   balancer would. The replicas' CPU seconds per request show the scaling trend the cores
   allow: on 2 cores shared with the engines and the clients, 2 replicas cannot double.
5. Keyword-query cost growth: the service's PostgreSQL BM25 query over the postings
   (``keyword.search``) beside the reference over the spans' terms (``keyword.search_spans``,
   the tests'), pruned and unpruned, question by question in turn, over 10k / 100k / 1M
   synthetic chunks whose terms follow XQuAD-de's own term frequencies (Zipf-like), written
   straight in SQL, the GIN index and the postings (migration 8's builder) built after the
   load, then VACUUM (ANALYZE); the questions are XQuAD-de's (each query stops after
   --keyword-seconds per size). Also: EXPLAIN (ANALYZE) of the postings query (index-only on
   its key, no sequential scan, heap fetches) and the disk of the spans and of the postings.
   With --measure-lock the build runs at this process's priority and the questions hold the
   lock at priority 0.
6. Per-question cost growth in server mode: benchmarks.scale's corpora (XQuAD-de plus
   distractors recombined from its sentences, cached vectors) of --sizes chunks, written into
   PostgreSQL and the Chroma server, then `POST /v1/ask` latency through `qa-service serve`.
   For a long build: run it under `nice` with --measure-lock (the questions alone take the
   shared CPU lock, at normal priority); --existing measures a corpus already written.

The engines are throwaway ones started like the tests start them (tests/helpers/engines.py).
"""

import argparse
import asyncio
import contextlib
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from benchmarks.common import (
    CACHE,
    QA_SERVICE,
    bench_env,
    descendants,
    distinct,
    ingest_cli,
    percentile,
    report,
    seed_corpus,
    server,
    summary_ms,
    tree_cpu_seconds,
    xquad_articles,
    xquad_corpus,
)
from benchmarks.throughput import load
from qa_service.retrieval.lexical import index_terms, query_terms
from tests.helpers.engines import ChromaServer, PostgresServer, start_chroma, start_postgres

if TYPE_CHECKING:
    import psycopg

    from qa_service.config import Settings
    from qa_service.stores.postgres.documents import PostgresDocumentStore


def _latency(url: str, questions: Sequence[str]) -> dict[str, float]:
    seconds = []
    with httpx.Client(timeout=120) as http:
        http.post(f"{url}/v1/ask", json={"question": "Warm-up?"})
        for q in questions:
            t = time.perf_counter()
            r = http.post(f"{url}/v1/ask", json={"question": q})
            seconds.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    return {
        "p50 ms": percentile(seconds, 0.5) * 1000,
        "p99 ms": percentile(seconds, 0.99) * 1000,
    }


def _ingest_rate(url: str, texts: Sequence[str]) -> float:
    t = time.perf_counter()
    with httpx.Client(timeout=600) as http:
        for text in texts:
            assert http.post(f"{url}/v1/documents", json={"text": text}).status_code == 201
    return len(texts) / (time.perf_counter() - t)


def _new_texts(n: int, salt: str) -> list[str]:
    """Articles not in the index yet: XQuAD-de texts with one sentence of their own."""
    articles = xquad_articles()
    run = uuid.uuid4().hex[:8]  # new texts on every run, whatever the index holds already
    return [f"Meldung {salt}-{run}-{i}.\n\n{articles[i % len(articles)][1]}" for i in range(n)]


def _throughput(
    urls: list[str], pids: list[int], questions: list[str], clients: int, seconds: float
) -> dict:
    """``clients`` closed-loop clients, client i on replica i % len(urls)."""
    per = [questions[i :: len(urls)] for i in range(len(urls))]
    share = [clients // len(urls) + (i < clients % len(urls)) for i in range(len(urls))]
    cpu = [tree_cpu_seconds(p) for p in pids]

    async def run() -> list[dict]:
        return await asyncio.gather(
            *(
                asyncio.to_thread(asyncio.run, load(u, q, c, seconds, "httpx"))
                for u, q, c in zip(urls, per, share, strict=True)
            )
        )

    started = time.perf_counter()
    results = asyncio.run(run())
    elapsed = time.perf_counter() - started
    used = sum(tree_cpu_seconds(p) for p in pids) - sum(cpu)
    requests = sum(len(r["latencies"]) for r in results)
    return {
        "replicas": len(urls),
        "clients": clients,
        "requests": requests,
        "rps": requests / elapsed,
        "p50 ms": max(percentile(r["latencies"], 0.5) * 1000 for r in results),
        "errors": sum(r["errors"] for r in results),
        "replica CPU ms/request": 1000 * used / max(requests, 1),
    }


def _keyword_growth(
    pg: PostgresServer,
    sizes: Sequence[int],
    questions: Sequence[str],
    budget_s: float,
    measure_lock: Path | None = None,
) -> list[dict]:
    """BM25 query time over ``sizes`` synthetic chunks with XQuAD-de's term distribution:
    the service's query over the postings (``search``) beside the spans' reference, pruned
    (``search_spans``) and unpruned (every row holding a question term scored), question by
    question in turn (which goes first rotates); each stops once it has spent ``budget_s`` on
    a size. All that ran for a question must return the same hits (ids, order, float
    scores); the run stops with an error if they do not. The build (rows, GIN index,
    postings, VACUUM (ANALYZE)) runs at this process's priority; the questions hold
    ``measure_lock`` at priority 0."""
    from qa_service.stores.postgres.documents import PostgresDatabase, PostgresDocumentStore
    from qa_service.stores.postgres.keyword import explain

    vocabulary, weights = _term_distribution()
    rows = []
    for size in sizes:
        url = pg.create_database("bench")
        built = _synthetic_chunks(url, size, vocabulary, weights)
        print(f"  {time.strftime('%H:%M:%S')} {size} chunks built: {built}", flush=True)
        store = PostgresDocumentStore(PostgresDatabase(url, timeout=600))
        asked = [q for q in questions if query_terms(q)]
        counted = [  # rows holding any question term vs the rows the pruned query scored
            (
                _rows_holding(store, query_terms(q)),
                _rows_holding(
                    store,
                    [t for r in store.keyword_search_spans("chunks", q, 20).rounds for t in r],
                ),
            )
            for q in asked[:10]
        ]
        gin = "Bitmap Index Scan on chunks_terms"
        plans = [  # of the 10 counted questions: how many read the GIN index
            sum(gin in store.explain_search_spans("chunks", q, prune=prune) for q in asked[:10])
            for prune in (True, False)
        ]
        # The postings query's plans run (EXPLAIN ANALYZE): index-only on the postings' key,
        # no sequential scan, and how many postings it still read from the heap.
        analyzed = [explain(store.db, "chunks", query_terms(q), analyze=True) for q in asked[:10]]
        index_only = sum(
            "Index Only Scan using chunks_postings_pkey" in p and "Seq Scan" not in p
            for p in analyzed
        )
        heap_fetches = sum(
            int(line.split("Heap Fetches:")[1])
            for p in analyzed
            for line in p.splitlines()
            if "Heap Fetches:" in line
        )
        with _measuring(measure_lock, pg):
            row = {"chunks": size, **_keyword_times(store, asked, budget_s), "load": _load()}
        store.close()
        with _connect(pg.url()) as conn:
            conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        row |= {
            "rows matched (median of 10)": _median([m for m, _ in counted]),
            "rows scored (median of 10)": _median([s for _, s in counted]),
            "GIN used of 10: pruned / unpruned": f"{plans[0]} / {plans[1]}",
            "postings index-only of 10": index_only,
            "heap fetches (10 questions)": heap_fetches,
            **built,
        }
        rows.append(row)
        print(rows[-1], flush=True)
    return rows


KEYWORD_QUERIES = ("postings", "pruned", "unpruned")


def _keyword_times(
    store: "PostgresDocumentStore", asked: Sequence[str], budget_s: float
) -> dict[str, Any]:
    """Each of KEYWORD_QUERIES timed on every question in turn, until it has spent
    ``budget_s``; the hits of all that ran for a question compared."""
    for q in asked[:2]:  # warm the cache, each query once
        store.keyword_search("chunks", q, 20)
        store.keyword_search_spans("chunks", q, 20)
    timed: dict[str, list[float]] = {name: [] for name in KEYWORD_QUERIES}
    rounds: list[int] = []
    compared = 0
    for i, q in enumerate(asked):
        hits = {}
        for name in KEYWORD_QUERIES[i % 3 :] + KEYWORD_QUERIES[: i % 3]:
            if sum(timed[name]) > budget_s:
                continue
            t = time.perf_counter()
            if name == "postings":
                result = store.keyword_search("chunks", q, 20)
            else:
                result = store.keyword_search_spans("chunks", q, 20, prune=name == "pruned")
            timed[name].append(time.perf_counter() - t)
            hits[name] = result.hits
            if name == "pruned":
                rounds.append(len(result.rounds))
        if len({tuple(h) for h in hits.values()}) > 1:
            raise AssertionError(f"the queries' hits differ for {q!r}: {hits}")
        compared += len(hits) > 1
        if all(sum(v) > budget_s for v in timed.values()):
            break
    row: dict[str, Any] = {}
    for name in KEYWORD_QUERIES:
        row[f"{name} p50 ms"] = percentile(timed[name], 0.5) * 1000
        row[f"{name} p99 ms"] = percentile(timed[name], 0.99) * 1000
        row[f"{name} questions"] = len(timed[name])
    row["questions compared"] = compared
    row["rounds (median)"] = _median(rounds)
    return row


def _term_distribution() -> tuple[list[str], list[int]]:
    """XQuAD-de's index terms, commonest first, and how often each occurs."""
    frequencies = Counter(t for _, text, _ in xquad_articles() for t in index_terms(text))
    vocabulary = [t for t, _ in frequencies.most_common()]
    return vocabulary, [frequencies[t] for t in vocabulary]


def _connect(url: str) -> "psycopg.Connection":
    """An autocommit connection (bulk loads, VACUUM, DROP DATABASE)."""
    import psycopg

    return psycopg.connect(url, autocommit=True)


VISIBLE_TRIES = 10  # VACUUMs of the postings (2 s apart) until every page is all-visible


def _all_visible(conn: "psycopg.Connection") -> float:
    """Percent of the postings' heap pages marked all-visible, after VACUUMing them again
    while some are not (up to VISIBLE_TRIES times): an index-only scan reads the heap page
    of every posting on a page not so marked, and the planner, seeing few, picks a bitmap
    scan that reads them all. One VACUUM right after the load may leave pages unmarked (a
    transaction that started before the postings' insert committed, such as autovacuum's
    ANALYZE of the chunks, still held its snapshot)."""
    for _ in range(VISIBLE_TRIES):
        row = conn.execute(
            "SELECT relallvisible, relpages FROM pg_class WHERE oid = 'chunks_postings'::regclass"
        ).fetchone()
        assert row is not None
        if row[0] >= row[1]:
            break
        time.sleep(2)
        conn.execute("VACUUM (ANALYZE) chunks_postings")
    return 100.0 * row[0] / max(row[1], 1)


def _synthetic_chunks(
    url: str, size: int, vocabulary: Sequence[str], weights: Sequence[int]
) -> dict[str, Any]:
    """``size`` chunks of one document in the (migrated, empty) database ``url``, each of
    40-90 terms drawn from ``weights``, written with COPY with the statistics the service
    keeps; the GIN index and the postings (migration 8's builder) built after the load,
    then VACUUM (ANALYZE), as after any bulk load. Returns seconds and sizes."""
    from qa_service.stores.postgres.documents import PostgresDatabase
    from qa_service.stores.postgres.keyword import add_term_bounds
    from qa_service.stores.postgres.migrations import build_postings

    PostgresDatabase(url).close()  # the schema, migrated to the latest
    random.seed(size)
    with _connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")  # the index builds' sorts
        conn.execute("SET work_mem = '256MB'")
        conn.execute(
            "INSERT INTO documents (id, version, content_hash, text, n_chunks, n_sentences, "
            "created_at, updated_at) VALUES ('synthetic', 'v', 'h', '', 0, 0, 0, 0)"
        )
        conn.execute("DROP INDEX chunks_terms")  # built after the load, timed alone
        n_terms = 0
        bounds: dict[str, list[int]] = {}
        started = time.perf_counter()
        with conn.cursor().copy(
            'COPY chunks (doc_id, ord, start, "end", first_sentence, last_sentence, terms, '
            "n_terms) FROM STDIN"
        ) as copy:
            for i in range(size):
                terms = random.choices(vocabulary, weights, k=random.randint(40, 90))
                n_terms += len(terms)
                add_term_bounds(bounds, terms)
                copy.write_row(("synthetic", i, 0, 0, 0, 0, terms, len(terms)))
        conn.execute(
            "UPDATE counters SET n = %s, terms = %s WHERE name = 'chunks'", (size, n_terms)
        )
        with conn.cursor().copy(
            "COPY term_rows (kind, term, n, max_tf, min_dl) FROM STDIN"
        ) as copy:
            for term, held in bounds.items():
                copy.write_row(("chunks", term, *held))
        built: dict[str, Any] = {"load s": time.perf_counter() - started}
        started = time.perf_counter()
        conn.execute("CREATE INDEX chunks_terms ON chunks USING gin (terms)")
        built["GIN build s"] = time.perf_counter() - started
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            build_postings(cur, "chunks")
        built["postings build s"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("VACUUM (ANALYZE)")
        built["all-visible %"] = _all_visible(conn)
        built["VACUUM (ANALYZE) s"] = time.perf_counter() - started
        sizes = conn.execute(
            "SELECT pg_table_size('chunks'), pg_relation_size('chunks_terms'), "
            "pg_total_relation_size('chunks'), pg_table_size('chunks_postings'), "
            "pg_indexes_size('chunks_postings'), (SELECT count(*) FROM chunks_postings)"
        ).fetchone()
    assert sizes is not None
    table, gin, spans, postings, key, n_postings = (int(v) for v in sizes)
    return built | {
        "table MB": table / 1e6,
        "GIN MB": gin / 1e6,
        "spans MB (table + indexes)": spans / 1e6,
        "postings MB (table + key)": (postings + key) / 1e6,
        "postings table MB": postings / 1e6,
        "postings key MB": key / 1e6,
        "postings": n_postings,
        "bytes / posting": (postings + key) / max(n_postings, 1),
    }


def _rows_holding(store: "PostgresDocumentStore", terms: list[str]) -> int:
    return store.db.query("SELECT count(*) FROM chunks WHERE terms && %s::text[]", (terms,))[0][0]


def _median(values: Sequence[int]) -> int:
    return sorted(values)[len(values) // 2]


PARTS = ("latency", "same-run", "throughput", "keyword", "growth")


def _latency_table(
    index_dir: Path, server_env: dict[str, str], asked: list[str], ingest: int, migrate_s: float
) -> list[dict]:
    rows = []
    for mode, env in (("embedded", {}), ("server", server_env)):
        with server(index_dir, env=env) as (url, _proc, startup):
            row = {"mode": mode, "start-up s": startup, **_latency(url, asked)}
            row["ingest articles/s"] = _ingest_rate(url, _new_texts(ingest, mode))
            rows.append(row)
    ratio = rows[1]["p50 ms"] / rows[0]["p50 ms"]
    report(
        "Scale-out: embedded vs server mode, POST /v1/ask on XQuAD-de (1 client)",
        rows,
        [
            f"server p50 / embedded p50 = {ratio:.2f} (target <= 1.3)",
            f"qa-service migrate copied the index in {migrate_s:.1f} s (no re-embedding)",
            f"{len(asked)} distinct questions each; ingest: {ingest} new articles "
            "posted one after another, embedding included",
            f"load average {_load()}",
        ],
    )
    return rows


def _throughput_table(
    index_dir: Path, server_env: dict[str, str], pool: list[str], clients: list[int], seconds: float
) -> list[dict]:
    rows = []
    per_step = (len(pool) - 20) // (2 * len(clients))
    with (
        server(index_dir, env=server_env) as (url_a, proc_a, _),
        server(index_dir, env=server_env) as (url_b, proc_b, _),
    ):
        asyncio.run(load(url_a, pool[:10], 2, 30, "httpx"))
        asyncio.run(load(url_b, pool[10:20], 2, 30, "httpx"))
        offset = 20
        for n in clients:
            for urls, pids in (([url_a], [proc_a.pid]), ([url_a, url_b], [proc_a.pid, proc_b.pid])):
                batch = pool[offset : offset + per_step]
                offset += per_step
                rows.append(_throughput(urls, pids, batch, n, seconds))
    report(
        "Scale-out: throughput of server-mode replicas (round-robin clients)",
        rows,
        [
            f"{os.cpu_count()} cores shared by the replicas, PostgreSQL, chroma run and the "
            "clients: a second replica adds no core, so rps cannot double here; the "
            "replica CPU ms/request staying flat is the trend that scales with cores",
            f"load average {_load()}",
        ],
    )
    return rows


def _growth(
    pg: PostgresServer,
    chroma: ChromaServer,
    sizes: Sequence[int],
    questions: list[str],
    articles: int | None = None,
    build_threads: int = 1,
    measure_lock: Path | None = None,
    writers: int = 1,
) -> list[dict]:
    """Server-mode ``POST /v1/ask`` latency over benchmarks.scale's corpora of ``sizes``
    chunks, written straight into PostgreSQL and the Chroma server (cached vectors).

    ``build_threads`` > 1 lets the Chroma server insert with that many rayon threads during
    the write only; it is restarted on the same path with the service's setting (one thread)
    before the check and the questions. The check counts every collection against PostgreSQL
    and asks a random sample of entries' own vectors (what `qa-service check` asks of all).
    ``measure_lock``: the questions wait for this lock file (flock) and run at normal priority,
    so a long build can run niced without the lock and the timing still has the CPU alone."""
    rows = []
    for size in sizes:
        env, index_dir, built, restart = _build_server_corpus(
            pg, chroma, size, f"scaleout-grow-{size}", articles, build_threads, writers
        )
        checked = _check_vectors(_server_settings(index_dir, env))
        print(f"  {time.strftime('%H:%M:%S')} checked: {checked}", flush=True)
        with _measuring(measure_lock, pg), server(index_dir, env=env) as (url, _p, up):
            row = {"chunks": size, "vectors": built["vectors"]}
            row["write vectors/s"] = built["vectors"] / built["write s"]
            row["write threads"] = build_threads
            row["writers"] = writers
            row["start-up s"] = up
            row |= _latency(url, questions)
            row["load"] = _load()
        row |= {k: v for k, v in checked.items() if k != "chunks"}
        row["chroma restart s"] = restart
        rows.append(row)
        print(row, flush=True)
    report(
        "Scale-out: server-mode POST /v1/ask as the corpus grows (1 client)",
        rows,
        [
            "corpora of benchmarks.scale (XQuAD-de + distractor articles recombined from its "
            "sentences, cached vectors + seeded noise), written through ArticleIndex.add_prepared "
            "into PostgreSQL and the Chroma server; 'write vectors/s': chunk + sentence vectors "
            "per second of that write (Chroma's HNSW insert dominates); 'write threads': the "
            "Chroma server's rayon threads during the write (queries: the service's one)",
            f"{len(questions)} distinct XQuAD-de questions per size",
        ],
    )
    return rows


def _server_settings(index_dir: Path, env: dict[str, str]) -> "Settings":
    """In-process settings of the server-mode corpus in ``env`` (bulk writes may be slow)."""
    from qa_service.config import Settings

    return Settings(
        index_dir=index_dir,
        database_url=env["QA_DATABASE_URL"],
        chroma_url=env["QA_CHROMA_URL"],
        backend_timeout=BUILD_TIMEOUT_S,
    )


def _build_server_corpus(
    pg: PostgresServer,
    chroma: ChromaServer,
    size: int,
    name: str,
    articles: int | None,
    build_threads: int,
    writers: int,
) -> tuple[dict[str, str], Path, dict, float]:
    """benchmarks.scale's corpus of ``size`` chunks written into a new PostgreSQL database
    and Chroma database: (the serve environment, its index dir, build()'s result, seconds
    the Chroma server took to restart with the service's threads after the write)."""
    from benchmarks.scale import build

    env = {"QA_DATABASE_URL": pg.create_database("grow"), "QA_CHROMA_URL": chroma.database_url()}
    index_dir = CACHE / name
    shutil.rmtree(index_dir, ignore_errors=True)
    service_threads = chroma.env["RAYON_NUM_THREADS"]
    _restart_chroma(chroma, str(build_threads))
    settings = _server_settings(index_dir, env)
    built = build(index_dir, size, articles=articles, settings=settings, writers=writers)
    _vacuum(env["QA_DATABASE_URL"])
    return env, index_dir, built, _restart_chroma(chroma, service_threads)


def _vacuum(database_url: str) -> None:
    """VACUUM (ANALYZE) after the bulk load, as one does after a bulk load: else autovacuum
    visits the freshly written tables minutes later, perhaps while the questions run, and
    the first questions to read a page pay for setting its hint bits."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.0f} s", flush=True)


def _asked_in_turn(urls: dict[str, str], questions: Sequence[str]) -> dict[str, list[float]]:
    """Seconds of ``POST /v1/ask`` per mode, each question asked of every mode in turn (one
    client; which mode goes first alternates), so both modes share the same minutes and the
    same load. The first WARM_UP questions warm each server up and are not timed."""
    seconds: dict[str, list[float]] = {mode: [] for mode in urls}
    modes = list(urls)
    with httpx.Client(timeout=120) as http:
        for i, q in enumerate(questions):
            for mode in modes if i % 2 == 0 else modes[::-1]:
                t = time.perf_counter()
                r = http.post(f"{urls[mode]}/v1/ask", json={"question": q})
                if i >= WARM_UP:
                    seconds[mode].append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
    return seconds


WARM_UP = 10  # questions each server answers before the timed ones (caches, pools, JIT)


def _same_run_row(
    corpus: str, embedded: Path, server_env: dict[str, str], questions: list[str]
) -> dict:
    """Both modes served at once over their copies of one corpus, asked in turn."""
    with (
        server(embedded) as (url_e, _pe, _ue),
        server(embedded, env=server_env) as (url_s, _ps, _us),
    ):
        load = _load()
        seconds = _asked_in_turn({"embedded": url_e, "server": url_s}, questions)
    e, s = (summary_ms(seconds[m]) for m in ("embedded", "server"))
    return {
        "corpus": corpus,
        "embedded p50 ms": e["p50"],
        "server p50 ms": s["p50"],
        "server / embedded p50": s["p50"] / e["p50"],
        "embedded p99 ms": e["p99"],
        "server p99 ms": s["p99"],
        "questions": len(seconds["server"]),
        "load before -> after": f"{load} -> {_load()}",
    }


def _same_run(
    pg: PostgresServer,
    chroma: ChromaServer,
    sizes: Sequence[int],
    questions: list[str],
    migrated: tuple[str, Path, dict[str, str]] | None,
    measure_lock: Path | None,
    articles: int | None = None,
    build_threads: int = 1,
    writers: int = 1,
) -> list[dict]:
    """Embedded vs server mode, both serving at once and asked in turn: over the corpus
    ``migrated`` (its name, the embedded index and the server environment it was migrated
    to) and over benchmarks.scale's corpus of each of ``sizes`` chunks (drawn on the first
    ``articles`` XQuAD-de articles), built in both modes from the same seed (the same
    documents, texts and vectors). Builds run at this process's priority; the questions hold
    ``measure_lock`` at priority 0."""
    from benchmarks.scale import build

    corpora: list[tuple[str, Path, dict[str, str]]] = []
    if migrated is not None:
        corpora.append(migrated)
    suffix = "" if articles is None else f"-a{articles}"
    for size in sizes:
        embedded = CACHE / f"same-run-embedded-{size}{suffix}"
        started = time.perf_counter()
        build(embedded, size, articles=articles)
        print(f"  embedded {size}: {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        env, _dir, _built, _restart = _build_server_corpus(
            pg, chroma, size, f"same-run-server-{size}", articles, build_threads, writers
        )
        print(f"  server {size}: {time.perf_counter() - started:.0f} s", flush=True)
        corpora.append((f"{size} chunks", embedded, env))
    rows = []
    with _measuring(measure_lock, pg):
        for corpus, embedded, env in corpora:
            rows.append(_same_run_row(corpus, embedded, env, questions))
            print(rows[-1], flush=True)
    _report_same_run(rows, len(questions) - WARM_UP)
    return rows


def _report_same_run(rows: list[dict], questions: int) -> None:
    report(
        "Scale-out: embedded vs server mode, same run, POST /v1/ask (1 client, asked in turn)",
        rows,
        [
            f"{questions} distinct XQuAD-de questions per corpus (after {WARM_UP} warm-up ones), "
            "each asked of both modes one after the other (which first alternates), both "
            "servers up at once; target: server p50 <= 1.3 x embedded p50",
            "n chunks: benchmarks.scale's corpus (XQuAD-de + distractors recombined from its "
            "sentences, cached vectors + seeded noise), built once per mode from the same seed",
        ],
    )


def _existing(database_url: str, chroma_url: str, questions: list[str]) -> dict:
    """The growth row of a corpus someone else wrote into these engines (the check, then the
    questions); the caller holds the CPU lock, and the writer is paused or gone."""
    index_dir = CACHE / "scaleout-existing"
    env = {"QA_DATABASE_URL": database_url, "QA_CHROMA_URL": chroma_url}
    checked = _check_vectors(_server_settings(index_dir, env))
    print(f"  {time.strftime('%H:%M:%S')} checked: {checked}", flush=True)
    vectors = int(str(checked["vectors in Chroma / PostgreSQL"]).split(" / ")[1])
    with server(index_dir, env=env) as (url, _p, up):
        row = {"vectors": vectors, "start-up s": up, **_latency(url, questions), "load": _load()}
    shutil.rmtree(index_dir, ignore_errors=True)
    row = {"chunks": checked.pop("chunks"), **row, **checked}
    report(
        "Scale-out: server-mode POST /v1/ask over an existing corpus (1 client)",
        [row],
        [f"{len(questions)} distinct XQuAD-de questions", f"load average {_load()}"],
    )
    return row


BUILD_TIMEOUT_S = 600.0  # one bulk upsert into a large graph may take far past the service's 5 s
CHECK_SAMPLE_DOCS = 300  # documents whose entries the post-build check asks for themselves
# Results the check asks for (HNSW searches max(ef, n) candidates): the corpus repeats each
# XQuAD-de sentence with noise (cosine ~0.95), and with 10 results about a fifth of sampled
# sentences at 10k chunks are not found among their noisy twins, linked or not.
CHECK_RESULTS = 100


def _restart_chroma(chroma: ChromaServer, threads: str) -> float:
    """Seconds to restart the server with ``threads`` rayon threads (0.0: already so)."""
    if chroma.env["RAYON_NUM_THREADS"] == threads:
        return 0.0
    started = time.perf_counter()
    chroma.stop()
    chroma.env["RAYON_NUM_THREADS"] = threads
    chroma.start()
    return time.perf_counter() - started


def _check_vectors(settings: "Settings") -> dict[str, Any]:
    """Every collection's count equals PostgreSQL's, and a random sample of entries (one
    sentence and one chunk of each of CHECK_SAMPLE_DOCS documents) is among the CHECK_RESULTS
    nearest to its own vector: the queried graph is not missing what was written."""
    from qa_service.stores import open_stores

    stores = open_stores(settings)
    try:
        counts = stores.documents.counts()
        in_chroma = {k: stores.vectors.count(k) for k in ("sentences", "chunks")}
        docs = stores.documents.db.query(  # type: ignore[attr-defined]
            "SELECT id, version, n_sentences, n_chunks FROM documents ORDER BY random() LIMIT %s",
            (CHECK_SAMPLE_DOCS,),
        )
        rng = random.Random(0)
        lost = 0
        for kind, column in (("sentences", 2), ("chunks", 3)):
            keys = [(d[0], d[1], rng.randrange(d[column])) for d in docs]
            got = stores.vectors.vectors(kind, keys)  # type: ignore[arg-type]
            lost += len(keys) - len(got)
            for key, vector in got.items():
                hits = stores.vectors.query(kind, vector, CHECK_RESULTS)  # type: ignore[arg-type]
                if key not in [(h.doc_id, h.ord) for h in hits]:
                    lost += 1
                    if lost <= 5:
                        print(f"  not found: {kind} {key}; first hits {hits[:2]}", flush=True)
    finally:
        stores.close()
    return {
        "chunks": counts.chunks,
        "vectors in Chroma / PostgreSQL": f"{sum(in_chroma.values())} / "
        f"{counts.sentences + counts.chunks}",
        "sampled entries not found": f"{lost} of {2 * len(docs)}",
    }


@contextlib.contextmanager
def _measuring(lock: Path | None, pg: PostgresServer | None = None) -> Iterator[None]:
    """Hold ``lock`` (flock) and run this process, its children (servers, Chroma) and ``pg``
    at priority 0 (the build may run under `nice`); restore them afterwards. No lock:
    nothing changes."""
    if lock is None:
        yield
        return
    with lock.open("a") as held:
        print(f"  {time.strftime('%H:%M:%S')} waiting for {lock}", flush=True)
        fcntl.flock(held, fcntl.LOCK_EX)
        print(f"  {time.strftime('%H:%M:%S')} measuring", flush=True)
        pids = [os.getpid(), *descendants(os.getpid())]
        if pg is not None:
            postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
            pids += [postmaster, *descendants(postmaster)]
        before = {pid: _set_niceness(pid, 0) for pid in pids}
        try:
            yield
        finally:
            for pid, nice in before.items():
                _set_niceness(pid, nice)
            fcntl.flock(held, fcntl.LOCK_UN)


def _set_niceness(pid: int, nice: int) -> int:
    """Set every thread of ``pid`` to ``nice`` (Linux nice is per thread); returns the old."""
    old = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(ProcessLookupError):
                old = os.getpriority(os.PRIO_PROCESS, int(tid))
                os.setpriority(os.PRIO_PROCESS, int(tid), nice)
    except FileNotFoundError:
        pass
    return old


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> dict[str, list[dict]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help="latency questions per mode")
    parser.add_argument("--ingest", type=int, default=6, help="articles posted per mode")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=15.0, help="per throughput step")
    parser.add_argument("--keyword-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument(
        "--keyword-seconds", type=float, default=60.0, help="keyword queries per size, at most"
    )
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[10_000, 100_000], help="growth: corpus chunks"
    )
    parser.add_argument(
        "--same-run-sizes",
        type=int,
        nargs="*",
        default=[100_000],
        help="same-run: corpus chunks (besides XQuAD-de) built in both modes and asked in turn",
    )
    parser.add_argument(
        "--articles",
        type=int,
        default=None,
        help="growth, same-run: XQuAD-de articles drawn on (all)",
    )
    parser.add_argument(
        "--build-threads",
        type=int,
        default=1,
        help="growth: the Chroma server's rayon threads while the corpus is written "
        "(restarted with the service's one before it is queried)",
    )
    parser.add_argument(
        "--writers",
        type=int,
        default=1,
        help="growth: batches written at once while the corpus is built (benchmarks.scale)",
    )
    parser.add_argument(
        "--measure-lock",
        type=Path,
        default=None,
        help="growth, same-run, keyword: take this flock and priority 0 for the questions only "
        "(run the build under nice, without the shared CPU lock)",
    )
    parser.add_argument(
        "--existing",
        nargs=2,
        metavar=("DATABASE_URL", "CHROMA_URL"),
        default=None,
        help="growth: measure a corpus already in these engines (e.g. a build stopped "
        "between batches) instead of building one; runs nothing else",
    )
    parser.add_argument(
        "--existing-embedded",
        type=Path,
        default=None,
        metavar="INDEX_DIR",
        help="with --existing: the same-run comparison of this embedded index and the "
        "engines' corpus (the same one built in both modes) instead of the growth row",
    )
    parser.add_argument("--corpus", choices=["xquad", "seeds"], default="xquad")
    parser.add_argument(
        "--only", choices=PARTS, nargs="+", default=list(PARTS), help="run only these tables"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the engines when killed

    corpus = seed_corpus() if args.corpus == "seeds" else xquad_corpus()
    per_step = 1500  # distinct questions a throughput step may use
    needed = args.questions + 20 + 2 * len(args.clients) * per_step
    pool = distinct(corpus.questions, needed, salt="so")
    results: dict[str, list[dict]] = {}
    if args.existing and args.existing_embedded:
        env = {"QA_DATABASE_URL": args.existing[0], "QA_CHROMA_URL": args.existing[1]}
        asked = pool[: args.questions + WARM_UP]
        with _measuring(args.measure_lock):
            results["same-run"] = [_same_run_row("existing", args.existing_embedded, env, asked)]
        _report_same_run(results["same-run"], args.questions)
        return results
    if args.existing:
        database_url, chroma_url = args.existing
        results["growth"] = [_existing(database_url, chroma_url, pool[: args.questions])]
        return results
    pg: PostgresServer = start_postgres()
    chroma: ChromaServer = start_chroma()
    try:
        migrated = None
        if {"latency", "same-run", "throughput"} & set(args.only):
            index_dir = CACHE / f"idx-{corpus.name}"
            ingest_cli(index_dir, [corpus.folder])
            # The run posts new articles: to a copy, so the cached index stays the corpus alone.
            work_dir = CACHE / "scaleout-index"
            shutil.rmtree(work_dir, ignore_errors=True)
            shutil.copytree(index_dir, work_dir)
            database_url, chroma_url = pg.create_database("bench"), chroma.database_url()
            server_env = {"QA_DATABASE_URL": database_url, "QA_CHROMA_URL": chroma_url}
            started = time.perf_counter()
            subprocess.run(
                [
                    QA_SERVICE,
                    "migrate",
                    "--database-url",
                    database_url,
                    "--chroma-url",
                    chroma_url,
                    "--index-dir",
                    str(work_dir),
                ],
                env=bench_env(work_dir),
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            migrate_s = time.perf_counter() - started
            migrated = (corpus.name, work_dir, server_env)
            if "latency" in args.only:
                results["latency"] = _latency_table(
                    work_dir, server_env, pool[: args.questions], args.ingest, migrate_s
                )
            if "throughput" in args.only:
                results["throughput"] = _throughput_table(
                    work_dir, server_env, pool[args.questions :], args.clients, args.seconds
                )
        if "same-run" in args.only:
            results["same-run"] = _same_run(
                pg,
                chroma,
                args.same_run_sizes,
                pool[: args.questions + WARM_UP],
                migrated,
                args.measure_lock,
                args.articles,
                args.build_threads,
                args.writers,
            )
        if "keyword" in args.only and args.keyword_sizes:
            results["keyword"] = _keyword_growth(
                pg,
                args.keyword_sizes,
                pool[: args.questions],
                args.keyword_seconds,
                args.measure_lock,
            )
            report(
                "Scale-out: PostgreSQL keyword (BM25) query time as the corpus grows",
                results["keyword"],
                [
                    "synthetic chunks: 40-90 terms drawn from XQuAD-de's term frequencies; "
                    f"questions: up to {args.questions} distinct XQuAD-de ones (at most "
                    f"{args.keyword_seconds:.0f} s per size and query), top 20 by BM25, "
                    "computed in SQL like FTS5's bm25(); postings = the service's query "
                    "(keyword.search), pruned = search_spans (MaxScore over the spans' terms, "
                    "the tests' reference), unpruned = every row holding a question term "
                    "scored; all returned the same hits for every question more than one ran",
                    f"load average {_load()}",
                ],
            )
        if "growth" in args.only and args.sizes:
            results["growth"] = _growth(
                pg,
                chroma,
                args.sizes,
                pool[: args.questions],
                args.articles,
                args.build_threads,
                args.measure_lock,
                args.writers,
            )
    finally:
        chroma.close()
        pg.close()
    return results


if __name__ == "__main__":
    main()
