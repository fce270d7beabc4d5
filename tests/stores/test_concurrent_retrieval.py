"""Server mode's concurrent lookups on the real engines: the same retrieval as one lookup
after another, and an engine that is down during them is a 503 naming it, not a 500 or a
hang.

The retriever starts a question's keyword searches before its vector is ready and reads the
post-fusion rows, vectors and articles in one step (retrieval/retriever.py); embedded stores
take the older path, one lookup after another. Both paths run here over the same server
stores, so any difference is the code's, not two Chroma graphs'.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.errors import BackendUnavailable
from qa_service.evaluation.squad import load_squad
from qa_service.retrieval.retriever import HybridRetriever
from qa_service.service import QAService, build_service
from qa_service.stores import Stores
from tests.helpers import engines
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.xquad import XQUAD, xquad_questions

pytestmark = pytest.mark.slow

QUESTIONS = 40
TIMEOUT_S = 2.0


class OneAtATime:
    """The same stores, read the embedded way: each lookup after the previous one."""

    concurrent_reads = False

    def __init__(self, stores: Stores) -> None:
        self._stores = stores

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stores, name)


def test_concurrent_lookups_retrieve_exactly_what_one_at_a_time_does(
    xquad_service: QAService,
) -> None:
    service = xquad_service
    assert service.stores.concurrent_reads
    sequential = HybridRetriever(OneAtATime(service.stores))  # type: ignore[arg-type]
    concurrent = service.retriever
    try:
        for question in xquad_questions(QUESTIONS):
            vector = service.embedder.embed_query(question)
            keywords = concurrent.search_keywords(question, "de")  # as ask() starts them
            got = concurrent.retrieve(question, vector, 4, "de", keywords)
            want = sequential.retrieve(question, vector, 4, "de")
            assert got.chunks == want.chunks, question
            assert got.candidates == want.candidates, question  # rows, cosines, ranks, order
            # the concurrent step reads the articles of every chunk asked for: a superset
            assert {d: got.articles[d] for d in want.articles} == want.articles, question
            assert want.candidates and all(c.row.doc_id in got.articles for c in got.candidates), (
                question
            )
    finally:
        sequential.close()


def test_answers_through_the_service_equal_the_sequential_ones(
    xquad_service: QAService,
) -> None:
    service = xquad_service
    question = load_squad(XQUAD).questions[0].question
    concurrent = service.answerer.ask(question, 4)
    service.answerer.retriever = HybridRetriever(OneAtATime(service.stores))  # type: ignore[arg-type]
    sequential = service.answerer.ask(question, 4)
    assert concurrent == sequential
    for citation in concurrent.citations:
        text = service.stores.documents.text(citation.document_id)
        assert text is not None and text[citation.start : citation.end] == citation.quote


@pytest.fixture
def own_postgres() -> Iterator[engines.PostgresServer]:
    """A PostgreSQL of this test's own: it is stopped mid-test."""
    pg = engines.start_postgres()
    yield pg
    pg.close()


def test_postgres_down_during_the_lookups_is_a_503_naming_it(
    settings: Settings,
    own_postgres: engines.PostgresServer,
    chroma_server: engines.ChromaServer,
    embedder: MemoEmbedder,
    tmp_path: Path,
) -> None:
    # Chroma answers, PostgreSQL does not: the keyword searches (started before the
    # question is embedded) and every lookup after them fail; the request must not hang on
    # the Chroma queries' threads nor turn the failure into a 500.
    server = settings.model_copy(
        update={
            "database_url": own_postgres.create_database(),
            "chroma_url": chroma_server.database_url(),
            "backend_timeout": TIMEOUT_S,
        }
    )
    service = build_service(server, embedder)
    try:
        service.ingest_seeds_if_empty()
        question = {"question": "Wer wurde zum Chef der Drohnentruppen ernannt?"}
        with TestClient(create_app(server, service)) as client:
            assert client.post("/v1/ask", json=question).status_code == 200
            own_postgres.stop()
            for _ in range(3):  # the pool's broken connections, then no server at all
                started = time.monotonic()
                response = client.post("/v1/ask", json=question)
                assert time.monotonic() - started < TIMEOUT_S + 5
                assert response.status_code == 503, response.text
                body = response.json()
                assert body["type"] == "BackendUnavailable", body
                assert body["engine"] == "PostgreSQL" and "PostgreSQL" in body["detail"]
            own_postgres.start()
            deadline = time.monotonic() + 60
            while (response := client.post("/v1/ask", json=question)).status_code != 200:
                assert response.status_code == 503 and time.monotonic() < deadline
                time.sleep(0.2)
            assert "Browdi" in response.json()["citations"][0]["quote"]
    finally:
        service.close()


def test_chroma_failing_while_the_keyword_searches_run_names_chroma(
    server_settings: Settings, embedder: MemoEmbedder
) -> None:
    # The keyword searches succeed in PostgreSQL while a Chroma query fails: the error is
    # Chroma's, raised once the other lookups have ended (none left running). Without the
    # in-memory copy (as above its size bound), so that the dense queries go to Chroma.
    service = build_service(
        server_settings.model_copy(update={"exact_search_max_sentences": 0}), embedder
    )
    try:
        service.ingest_seeds_if_empty()
        searched: list[str] = []
        docs = service.stores.documents
        search = docs.search_sentences

        def slow_search(query: str, limit: int) -> list:
            time.sleep(0.3)
            searched.append(query)
            return search(query, limit)

        def chroma_down(*_: object) -> list:
            raise BackendUnavailable("Chroma", "connection refused")

        docs.search_sentences = slow_search  # type: ignore[method-assign]
        service.stores.vectors.query = chroma_down  # type: ignore[method-assign]
        with pytest.raises(BackendUnavailable) as raised:
            service.answerer.ask("Wer wurde zum Chef der Drohnentruppen ernannt?", 4)
        assert raised.value.engine == "Chroma"
        assert searched  # the keyword search had finished before the error was raised
    finally:
        service.close()
