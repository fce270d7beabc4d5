"""Server mode's in-memory copy of a small index (stores/postgres/mirror.py), on the real
engines: it retrieves what PostgreSQL and the Chroma server retrieve, it follows every write
of another replica at the next question (new document, new version, metadata, delete), it
reads each version once, and above its size bound the engines answer again."""

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.models import Article
from qa_service.retrieval.retriever import HybridRetriever, Retrieval
from qa_service.service import QAService, build_service
from qa_service.stores import Stores
from qa_service.stores.server import ServerStores
from tests.helpers.articles import MORE, TEXT
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.xquad import xquad_questions

QUESTION = "Wer wurde zum Bürgermeister gewählt?"  # answered by TEXT


class EnginesOnly:
    """The same stores without the copy: every read goes to PostgreSQL and Chroma."""

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def reader(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stores, name)


def _retrieve(retriever: HybridRetriever, embedder: MemoEmbedder, question: str) -> Retrieval:
    """As ``ask`` does: the keyword searches and the copy's check start before the vector."""
    keywords = retriever.search_keywords(question, "de")
    return retriever.retrieve(question, embedder.embed_query(question), 4, "de", keywords)


def _server(service: QAService) -> ServerStores:
    assert isinstance(service.stores, ServerStores)
    return service.stores


@pytest.fixture
def replicas(
    server_settings: Settings, embedder: MemoEmbedder
) -> Iterator[tuple[QAService, QAService]]:
    """Two services on the same two engines, as two replicas are."""
    a = build_service(server_settings, embedder)
    a.ingest_seeds_if_empty()
    b = build_service(server_settings, embedder)
    yield a, b
    a.close()
    b.close()


@pytest.mark.slow
def test_the_copy_retrieves_what_the_engines_do(
    xquad_service: QAService, embedder: MemoEmbedder
) -> None:
    service = xquad_service
    assert _server(service).reader() is not None
    engines = HybridRetriever(EnginesOnly(service.stores))  # type: ignore[arg-type]
    try:
        for question in xquad_questions(40):
            got = _retrieve(service.retriever, embedder, question)
            want = _retrieve(engines, embedder, question)
            assert got.chunks == want.chunks, question  # rows and fused scores
            assert [c.row for c in got.candidates] == [c.row for c in want.candidates], question
            for mine, theirs in zip(got.candidates, want.candidates, strict=True):
                assert (mine.lexical, mine.chunk_score, mine.chunk_rank) == (
                    theirs.lexical,
                    theirs.chunk_score,
                    theirs.chunk_rank,
                ), question
                # exact cosines against Chroma's float32 distances
                assert np.isclose(mine.dense, theirs.dense, atol=1e-5), question
                assert (mine.previous_dense is None) == (theirs.previous_dense is None)
            # the engines' step reads the articles of every chunk asked for: a superset
            assert got.articles and all(want.articles[d] == r for d, r in got.articles.items())
            for chunk in got.chunks:
                text = service.stores.documents.text(chunk.row.doc_id)
                assert text == got.articles[chunk.row.doc_id].text, question
    finally:
        engines.close()


def test_writes_through_another_replica_are_read_at_the_next_question(
    replicas: tuple[QAService, QAService], embedder: MemoEmbedder
) -> None:
    a, b = replicas
    copy = _server(a)
    assert copy.reader() is not None
    assert "wahl" not in {c.row.doc_id for c in _retrieve(a.retriever, embedder, QUESTION).chunks}

    b.add_document(Article(text=TEXT, title="Die Wahl"), "wahl")  # read-your-writes
    got = _retrieve(a.retriever, embedder, QUESTION)
    assert got.chunks[0].row.doc_id == "wahl"
    assert got.articles["wahl"].text == TEXT and got.articles["wahl"].title == "Die Wahl"
    answer = a.answerer.ask(QUESTION)
    assert answer.citations and answer.citations[0].document_id == "wahl"
    for citation in answer.citations:
        text = a.stores.documents.text(citation.document_id)
        assert text is not None and text[citation.start : citation.end] == citation.quote

    new_text = "Ganz anders, ein neuer Bericht. " + TEXT
    b.add_document(Article(text=new_text, title="Die Wahl"), "wahl")  # a new version
    got = _retrieve(a.retriever, embedder, QUESTION)
    version = b.stores.documents.versions(["wahl"])["wahl"]
    assert copy.mirror.reads is not None and copy.mirror.reads.versions(["wahl"]) == {
        "wahl": version
    }
    assert got.articles["wahl"].text == new_text
    assert all(
        new_text[c.row.start : c.row.end] == c.row.text
        for c in got.candidates
        if c.row.doc_id == "wahl"
    )

    record = b.get_document("wahl")
    b.stores.documents.update_metadata(
        "wahl",
        {"title": "Neuer Titel", "source": record.source, "published_at": None, "metadata": {}},
    )
    assert _retrieve(a.retriever, embedder, QUESTION).articles["wahl"].title == "Neuer Titel"

    b.delete_document("wahl")  # gone from A at once
    got = _retrieve(a.retriever, embedder, QUESTION)
    assert "wahl" not in {c.row.doc_id for c in got.chunks}
    assert "wahl" not in {c.row.doc_id for c in got.candidates} | set(got.articles)
    assert all(c.document_id != "wahl" for c in a.answerer.ask(QUESTION).citations)
    assert copy.reader() is not None


def test_each_version_is_read_once(
    replicas: tuple[QAService, QAService], embedder: MemoEmbedder
) -> None:
    a, b = replicas
    docs = _server(a).documents
    read: list[list[str]] = []
    original = docs.document_vectors

    def counting(doc_ids: Any) -> Any:
        read.append(sorted(doc_ids))
        return original(doc_ids)

    docs.document_vectors = counting  # type: ignore[method-assign]
    _retrieve(a.retriever, embedder, QUESTION)
    first = read[-1] if read else []  # the seeds, unless an earlier question read them
    _retrieve(a.retriever, embedder, QUESTION)
    assert read == ([first] if first else [])  # nothing written: nothing read again
    b.add_document(Article(text=TEXT), "wahl")
    _retrieve(a.retriever, embedder, QUESTION)
    assert read[-1] == ["wahl"]  # only the new version


def test_above_the_bound_the_engines_answer(
    server_settings: Settings, embedder: MemoEmbedder
) -> None:
    service = build_service(
        server_settings.model_copy(update={"exact_search_max_sentences": 80}), embedder
    )
    try:
        service.ingest_seeds_if_empty()  # 69-71 sentences (captions masked)
        stores = _server(service)
        assert stores.reader() is not None
        service.add_document(
            Article(text=TEXT + " Die Wahlbeteiligung lag bei 48 Prozent."), "wahl"
        )
        service.add_document(Article(text=TEXT), "mehr")  # 76-78 sentences
        assert stores.reader() is not None
        service.add_document(Article(text=TEXT + MORE), "noch")  # 81-83 > 80
        assert stores.reader() is None
        got = _retrieve(service.retriever, embedder, QUESTION)
        assert got.chunks and got.chunks[0].row.doc_id in {"wahl", "mehr", "noch"}
        service.delete_document("noch")
        service.delete_document("mehr")  # back under the bound: the copy is read again
        assert stores.reader() is not None
        assert "mehr" not in {
            c.row.doc_id for c in _retrieve(service.retriever, embedder, QUESTION).chunks
        }
    finally:
        service.close()
