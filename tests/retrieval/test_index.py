"""The journalled writer: the bulk path writes what the one-document path writes.

What any store must do under it (atomic swap, crash repair, delete) is the store contract,
tests/stores/test_contract.py."""

from pathlib import Path

import numpy as np

from qa_service.config import Settings
from qa_service.ingest.segmentation import segment_article
from qa_service.models import Article
from qa_service.retrieval.index import PreparedDocument
from qa_service.service import QAService, build_service
from tests.helpers.articles import TEXT
from tests.helpers.embedders import MemoEmbedder


def _service(root: Path, embedder: MemoEmbedder) -> QAService:
    return build_service(Settings(index_dir=root / "index", seeds_dir=root / "none"), embedder)


def test_add_prepared_writes_like_add(tmp_path: Path, embedder: MemoEmbedder) -> None:
    normal = _service(tmp_path / "a", embedder)
    normal.add_document(Article(text=TEXT, title="Wahl"), "wahl")
    record = normal.get_document("wahl")
    docs = normal.stores.documents
    sentences = docs.sentences_of_chunks([("wahl", 0)])
    vectors = docs.sentence_vectors([("wahl", s.ord) for s in sentences])

    seg = segment_article(TEXT)
    bulk = _service(tmp_path / "b", embedder)
    bulk.documents.index.add_prepared(
        [
            PreparedDocument(
                record,
                TEXT,
                seg.sentences,
                seg.chunks,
                np.stack([vectors[("wahl", i)] for i in range(len(seg.sentences))]),
            )
        ]
    )
    assert bulk.counts() == normal.counts()
    for kind in ("sentences", "chunks"):
        assert bulk.stores.vectors.count(kind) == normal.stores.vectors.count(kind)
    assert bulk.stores.documents.journal() == []
    assert bulk.stores.documents.search_sentences("Bürgermeister", 3) == docs.search_sentences(
        "Bürgermeister", 3
    )
    normal.close()
    bulk.close()
