"""QA_TRANSLATE_WORDS: an English question's words matched to the German seed sentences
through the model's word vectors, over HTTP with the real model and index."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.service import build_service
from tests.helpers.checks import assert_citations_exact
from tests.helpers.embedders import MemoEmbedder

QUESTION = "Which countries want to join the electronic warfare initiative?"
ANSWER = "Belgien, Estland, Italien, Schweden und die Türkei"


@pytest.fixture
def translating(settings: Settings, embedder: MemoEmbedder) -> Iterator[TestClient]:
    service = build_service(settings.model_copy(update={"translate_words": True}), embedder)
    service.ingest_seeds_if_empty()
    with TestClient(create_app(service.settings, service)) as c:
        yield c
    service.close()


def test_an_english_question_cites_the_sentence_its_translated_words_are_in(
    translating: TestClient, client: TestClient
) -> None:
    body = translating.post("/v1/ask", json={"question": QUESTION}).json()
    assert body["citations"], body
    assert ANSWER in body["citations"][0]["quote"]  # "countries" ~ "Staaten", "join" ...
    assert_citations_exact(translating, body)
    plain = client.post("/v1/ask", json={"question": QUESTION}).json()  # the default: off
    assert not plain["citations"] or ANSWER not in plain["citations"][0]["quote"]


def test_german_questions_are_answered_as_without_it(
    translating: TestClient, client: TestClient
) -> None:
    question = "Welche Länder wollen sich der Initiative anschließen?"
    on = translating.post("/v1/ask", json={"question": question}).json()
    off = client.post("/v1/ask", json={"question": question}).json()
    assert [c["quote"] for c in on["citations"]] == [c["quote"] for c in off["citations"]]
