"""A service over a few XQuAD-de articles beside the seeds, and their questions: the
retrieval comparisons of tests/stores run over it. And the whole dev set the eval tier
measures (``DEV_SET``)."""

import os
from pathlib import Path

from qa_service.config import Settings
from qa_service.evaluation.squad import load_squad
from qa_service.retrieval.embedder import Embedder
from qa_service.service import QAService, build_service
from tests.helpers.paths import EVAL_DATA

XQUAD = EVAL_DATA / "xquad-de-dev.json"  # CC BY-SA 4.0, see tests/evaluation/data/
# The set the eval tier's floors and server mode's comparison measure (QA_EVAL_XQUAD: another copy).
DEV_SET = Path(os.environ.get("QA_EVAL_XQUAD", XQUAD))
ARTICLES = 3  # XQuAD-de articles beside the seeds: enough for hits spread over documents
SEED_QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt?"


def xquad_service(settings: Settings, embedder: Embedder) -> QAService:
    service = build_service(settings, embedder)
    for article in load_squad(XQUAD).articles[:ARTICLES]:
        service.add_document(article.as_article(), article.id)
    service.ingest_seeds_if_empty()
    return service


def xquad_questions(n: int) -> list[str]:
    """The first ``n`` questions on those articles, then one on a seed."""
    xquad = load_squad(XQUAD)
    ids = {a.id for a in xquad.articles[:ARTICLES]}
    asked = [q.question for q in xquad.questions if q.document_id in ids][:n]
    return [*asked, SEED_QUESTION]
