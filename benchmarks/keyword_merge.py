"""The keyword index's segments: both BM25 searches before and after merging them, and what
the merge costs.

    .venv/bin/python -m benchmarks.keyword_merge [--sizes 10000 100000] [--questions 300]

XQuAD-de is ingested by `qa-service ingest` with the merge off (QA_KEYWORD_MERGE_PAGES=0: the
index as every ingest left it before the merge); ``--sizes`` adds benchmarks.scale's corpora
(chunks; written through ``add_prepared``, which never merges). Each index's ``qa.sqlite3`` is
copied twice; one copy is merged the way an ingest does (``ArticleIndex``'s steps of
KEYWORD_MERGE_STEP_PAGES, at most ``--pages``), timed. Then the service's two keyword searches
(``search_chunks`` and ``search_sentences`` with the retriever's limits) run for distinct
XQuAD-de questions on both copies, alternating copy by copy in rounds, and every hit list is
compared: the merge must not change a hit or a score.
"""

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.common import CACHE, distinct, ingest_cli, report, xquad_corpus
from qa_service.stores.sqlite.documents import ARTICLES_FILENAME, SQLiteDocumentStore
from qa_service.tuning.ingest import KEYWORD_MERGE_PAGES, KEYWORD_MERGE_STEP_PAGES
from qa_service.tuning.retrieval import LEXICAL_CHUNKS, LEXICAL_SENTENCES

FTS_TABLES = ("chunk_fts", "sentence_fts")


def _varint(blob: bytes, pos: int) -> tuple[int, int]:
    """SQLite's varint (FTS5 uses it in its structure record): value, next position."""
    value = 0
    for i in range(9):
        byte = blob[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos + i + 1
    raise AssertionError("unreachable")


def segments(path: Path) -> dict[str, int]:
    """Segments of each FTS5 index: the structure record (id 10) is a 4-byte cookie, then
    varints nLevel and nSegment."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for fts in FTS_TABLES:
            blob = conn.execute(f"SELECT block FROM {fts}_data WHERE id = 10").fetchone()[0]
            _levels, pos = _varint(blob, 4)
            out[fts], _ = _varint(blob, pos)
        return out
    finally:
        conn.close()


def copy_index(source: Path, target: Path) -> Path:
    """``qa.sqlite3`` alone (checkpointed: one file), in a folder of its own."""
    target.mkdir(parents=True)
    conn = sqlite3.connect(source / ARTICLES_FILENAME)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copy(source / ARTICLES_FILENAME, target / ARTICLES_FILENAME)
    return target


def merge(store: SQLiteDocumentStore, pages: int) -> tuple[float, int]:
    """What an ingest's ``merge_keyword_segments`` does (ArticleIndex, without its lock):
    seconds and steps that merged something."""
    start = time.perf_counter()
    merged = steps = 0
    while merged < pages:
        step = min(KEYWORD_MERGE_STEP_PAGES, pages - merged)
        if not store.merge_keyword_segments(step):
            break
        merged += step
        steps += 1
    return time.perf_counter() - start, steps


def searches(store: SQLiteDocumentStore, question: str) -> tuple[float, list]:
    start = time.perf_counter()
    chunks = store.search_chunks(question, LEXICAL_CHUNKS)
    sentences = store.search_sentences(question, LEXICAL_SENTENCES)
    return time.perf_counter() - start, [chunks, sentences]


def measure(name: str, index_dir: Path, questions: list[str], pages: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="kw-merge-") as tmp:
        before_dir = copy_index(index_dir, Path(tmp) / "before")
        after_dir = copy_index(index_dir, Path(tmp) / "after")
        seg_before = segments(after_dir / ARTICLES_FILENAME)
        before, after = SQLiteDocumentStore(before_dir), SQLiteDocumentStore(after_dir)
        try:
            merge_s, steps = merge(after, pages)
            seg_after = segments(after_dir / ARTICLES_FILENAME)
            docs = after.counts()
            for store in (before, after):  # warm the page cache of both copies
                for q in questions[:50]:
                    searches(store, q)
            times: dict[str, list[float]] = {"before": [], "after": []}
            differ = 0
            per_round = len(questions) // rounds
            for r in range(rounds):
                batch = questions[r * per_round : (r + 1) * per_round]
                order = [("before", before), ("after", after)]
                if r % 2:
                    order.reverse()
                results = {}
                for label, store in order:
                    start = time.perf_counter()
                    results[label] = [searches(store, q)[1] for q in batch]
                    times[label].append((time.perf_counter() - start) / len(batch))
                differ += sum(
                    a != b for a, b in zip(results["before"], results["after"], strict=True)
                )
        finally:
            before.close()
            after.close()
    ms_before = 1000 * sum(times["before"]) / rounds
    ms_after = 1000 * sum(times["after"]) / rounds
    return {
        "corpus": name,
        "chunks": docs.chunks,
        "sentences": docs.sentences,
        "segments before (chunks/sentences)": "/".join(str(seg_before[t]) for t in FTS_TABLES),
        "segments after": "/".join(str(seg_after[t]) for t in FTS_TABLES),
        "merge s": merge_s,
        "merge steps": steps,
        "searches ms before": ms_before,
        "searches ms after": ms_after,
        "after / before": ms_after / ms_before,
        "questions": rounds * per_round,
        "hit lists differing": differ,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--pages", type=int, default=KEYWORD_MERGE_PAGES)
    args = parser.parse_args()
    corpus = xquad_corpus()
    questions = distinct(corpus.questions, args.questions, "kw")
    rows = []
    index_dir = CACHE / f"idx-{corpus.name}-unmerged"
    start = time.perf_counter()
    ingest_cli(index_dir, [corpus.folder], QA_KEYWORD_MERGE_PAGES="0")
    ingest_s = time.perf_counter() - start
    rows.append(measure(corpus.name, index_dir, questions, args.pages, args.rounds))
    rows[-1]["ingest s (merge off)"] = ingest_s
    from benchmarks.scale import build

    for size in args.sizes:
        scale_dir = CACHE / f"scale-{size}"
        built = build(scale_dir, size)
        rows.append(measure(f"scale {size}", scale_dir, questions, args.pages, args.rounds))
        rows[-1]["ingest s (merge off)"] = built["write s"]
    report("keyword_merge", rows)


if __name__ == "__main__":
    main()
