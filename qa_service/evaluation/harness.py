"""Run an evaluation: ingest a corpus into a fresh temporary index, ask every question.

The index lives in a temporary folder and is removed afterwards, so an evaluation never
touches (or depends on) the service's own index. The embedder is passed in, so callers can
share one loaded model, or a disk cache of vectors, across runs.
"""

import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa_service.config import AnswerMode, Settings
from qa_service.evaluation.metrics import Metrics, Outcome, summarise
from qa_service.evaluation.squad import EvalArticle, EvalQuestion
from qa_service.retrieval.embedder import Embedder
from qa_service.service import QAService, build_service

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` with stage "ingest" or "ask"."""


@dataclass(frozen=True, slots=True)
class EvalRun:
    metrics: Metrics
    outcomes: list[Outcome]
    calibrated: bool = True  # the embedding model's weights and thresholds were measured


@contextmanager
def fresh_service(
    articles: Sequence[EvalArticle],
    embedder: Embedder,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[QAService, float]]:
    """A service over a new temporary index holding ``articles``; yields it and ingest seconds.

    In server mode the index is a new database in each engine, dropped afterwards.
    """
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qa-eval-")))
        (root / "no-seeds").mkdir()
        overrides = {"index_dir": root / "index", "seeds_dir": root / "no-seeds"}
        base = settings or Settings(embedder=embedder.name)  # type: ignore[arg-type]
        if base.server_mode:
            from qa_service.stores.server import scratch_databases

            base = stack.enter_context(scratch_databases(base))
        service = build_service(base.model_copy(update=overrides), embedder)
        try:
            started = time.perf_counter()
            for done, article in enumerate(articles, start=1):
                service.add_document(article.as_article(), article.id)
                if progress:
                    progress("ingest", done, len(articles))
            yield service, time.perf_counter() - started
        finally:
            service.close()


def ask_all(
    service: QAService,
    questions: Sequence[EvalQuestion],
    *,
    top_k: int = 4,
    progress: Progress | None = None,
    mode: AnswerMode | None = None,
) -> list[Outcome]:
    outcomes = []
    for done, q in enumerate(questions, start=1):
        started = time.perf_counter()
        reply = service.answer(q.question, top_k, mode)
        seconds = time.perf_counter() - started
        answer = reply.answer
        outcomes.append(
            Outcome(
                question_id=q.id,
                gold_document=q.document_id,
                answers=q.answers,
                abstained=answer.abstained,
                citations=tuple((c.document_id, c.quote) for c in answer.citations),
                passages=tuple((p.document_id, p.text) for p in answer.passages),
                seconds=seconds,
                answer=answer.answer,
                mode=reply.mode,
                fallback_reason=reply.fallback_reason,
                sentences_kept=len(reply.sentences or []),
                sentences_dropped=len(reply.dropped),
            )
        )
        if progress:
            progress("ask", done, len(questions))
    return outcomes


def run_eval(
    questions: Sequence[EvalQuestion],
    corpus: Sequence[EvalArticle],
    embedder: Embedder,
    *,
    settings: Settings | None = None,
    top_k: int = 4,
    progress: Progress | None = None,
    mode: AnswerMode | None = None,
) -> EvalRun:
    """Ingest ``corpus`` into a fresh index, ask ``questions``, and summarise."""
    with fresh_service(corpus, embedder, settings=settings, progress=progress) as (service, secs):
        outcomes = ask_all(service, questions, top_k=top_k, progress=progress, mode=mode)
        calibrated = service.answerer.calibration.calibrated
    return EvalRun(summarise(outcomes, secs), outcomes, calibrated)


def run_unanswerable(
    questions: Sequence[EvalQuestion],
    articles: Sequence[EvalArticle],
    embedder: Embedder,
    *,
    settings: Settings | None = None,
    top_k: int = 4,
    progress: Progress | None = None,
) -> EvalRun:
    """Ask every question against a corpus that lacks its article (two even/odd folds).

    The articles are split into halves; each half's questions go to an index of the other
    half. Every question is asked exactly once, and none of them can be answered.
    """
    halves = [list(articles[0::2]), list(articles[1::2])]
    outcomes: list[Outcome] = []
    ingest_seconds = 0.0
    calibrated = True
    for held_out, corpus in (halves, halves[::-1]):
        ids = {a.id for a in held_out}
        asked = [q for q in questions if q.document_id in ids]
        with fresh_service(corpus, embedder, settings=settings, progress=progress) as (svc, secs):
            outcomes += ask_all(svc, asked, top_k=top_k, progress=progress)
            calibrated = svc.answerer.calibration.calibrated
        ingest_seconds += secs
    return EvalRun(summarise(outcomes, ingest_seconds), outcomes, calibrated)
