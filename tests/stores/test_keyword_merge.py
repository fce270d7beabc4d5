"""Merging SQLite's FTS5 segments after an ingest changes no keyword hit, and bounds its work.

Two stores get the same XQuAD-de articles, one transaction per article (as an ingest writes
them, so each index is many segments); one is merged, and every XQuAD-de question's two
keyword searches must give the same hits, in the same order, with the same scores.
"""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from qa_service.evaluation.squad import load_squad
from qa_service.ingest.segmentation import segment_article
from qa_service.stores import DocumentRecord
from qa_service.stores.sqlite.documents import SQLiteDocumentStore

XQUAD = Path(__file__).parents[1] / "evaluation" / "data" / "xquad-de-dev.json"


def _filled(folder: Path) -> SQLiteDocumentStore:
    store = SQLiteDocumentStore(folder)
    for article in load_squad(XQUAD).articles:
        segmentation = segment_article(article.text)
        digest = hashlib.sha256(article.text.encode()).hexdigest()
        n_chunks, n_sentences = len(segmentation.chunks), len(segmentation.sentences)
        record = DocumentRecord(
            article.id, digest[:16], digest, article.title, None, None, {}, n_chunks,
            n_sentences, 0.0, 0.0,
        )  # fmt: skip
        vectors = np.zeros((n_sentences, 4), dtype=np.float32)
        store.replace(record, article.text, segmentation.sentences, segmentation.chunks, vectors)
    return store


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    merged, unmerged = (_filled(tmp_path_factory.mktemp(name)) for name in ("a", "b"))
    yield merged, unmerged
    merged.close()
    unmerged.close()


def test_merge_is_bounded_and_changes_no_hit(stores) -> None:  # type: ignore[no-untyped-def]
    merged, unmerged = stores
    steps = 0
    while merged.merge_keyword_segments(1):  # steps of one page: each does a bounded part
        steps += 1
        assert steps < 10_000
    assert steps > 1, "the articles' ~130 kB of postings should need several one-page steps"
    assert not merged.merge_keyword_segments(1)  # one segment: nothing left
    questions = [q.question for q in load_squad(XQUAD).questions]
    for question in questions:
        assert merged.search_chunks(question, 20) == unmerged.search_chunks(question, 20)
        assert merged.search_sentences(question, 50) == unmerged.search_sentences(question, 50)
