"""The seed news articles with hand-written German and English questions: the real domain.

XQuAD-de is translated Wikipedia; these are the two June 2025 news articles the service ships
with (tests/evaluation/data/seed-*.json, questions written for this project). Floors sit a
question or two under the measured values in benchmarks/README.md.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_service.evaluation.harness import ask_all, fresh_service
from qa_service.evaluation.metrics import summarise
from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.service import QAService
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import SEEDS

pytestmark = pytest.mark.slow  # quality floors over every seed question (the eval tier)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def seeds() -> EvalSet:
    return load_squad(DATA / "seed-questions.json")


@pytest.fixture(scope="module")
def indexed(seeds: EvalSet, embedder: MemoEmbedder) -> Iterator[QAService]:
    with fresh_service(seeds.articles, embedder) as (service, _):
        yield service


def test_the_question_files_are_the_seed_articles(seeds: EvalSet) -> None:
    for article in seeds.articles:
        assert article.text == (SEEDS / f"{article.id}.txt").read_text(encoding="utf-8")
    for q in seeds.questions:
        text = next(a.text for a in seeds.articles if a.id == q.document_id)
        assert q.answers and all(answer in text for answer in q.answers), q


@pytest.mark.parametrize(
    ("language", "top", "any_", "doc"), [("de", 0.9, 0.95, 0.9), ("en", 0.6, 0.8, 0.65)]
)
def test_seed_questions_floors(
    indexed: QAService, seeds: EvalSet, language: str, top: float, any_: float, doc: float
) -> None:
    asked = [q for q in seeds.questions if q.id.startswith(f"seed-{language}-")]
    m = summarise(ask_all(indexed, asked))
    assert m.questions == {"de": 24, "en": 16}[language]
    assert m.answer_in_top_citation >= top, m
    assert m.answer_in_citations >= any_, m
    assert m.doc_hit_at_1 >= doc, m
    assert m.median_citation_chars <= 200, m


def test_seed_topic_questions_without_an_answer(indexed: QAService) -> None:
    unanswerable = load_squad(DATA / "seed-unanswerable.json")
    m = summarise(ask_all(indexed, unanswerable.questions))
    assert m.questions == 12
    # measured 10 of 12 (9 before the quantity had to be about the question, 7 before the
    # asked-quantity rule, 6 before few_words_found): benchmarks/README.md "Near misses,
    # fourth pass"
    assert m.abstained >= 10 / 12, m


def test_seed_citations_are_exact(indexed: QAService, seeds: EvalSet) -> None:
    texts = {a.id: a.text for a in seeds.articles}
    for q in seeds.questions:
        for c in indexed.answerer.ask(q.question).citations:
            stored = indexed.get_document(c.document_id, with_text=True).text or ""
            assert stored == texts[c.document_id]
            assert stored[c.start : c.end] == c.quote
