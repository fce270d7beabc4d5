"""Server mode end to end on the real engines: the service over PostgreSQL + `chroma run`."""

import pytest

from qa_service.config import Settings
from qa_service.service import build_service
from tests.helpers.embedders import MemoEmbedder

pytestmark = pytest.mark.slow


def test_server_mode_answers_like_embedded_mode(
    settings: Settings, server_settings: Settings, embedder: MemoEmbedder
) -> None:
    question = "Wer wurde zum Chef der Drohnentruppen ernannt?"
    answers = []
    for mode in (settings, server_settings):
        service = build_service(mode, embedder)
        try:
            service.ingest_seeds_if_empty()
            assert service.counts().documents == 2
            answers.append(service.answerer.ask(question, 4))
        finally:
            service.close()
    embedded, server = answers
    assert server.answer == embedded.answer
    assert [(c.document_id, c.start, c.end) for c in server.citations] == [
        (c.document_id, c.start, c.end) for c in embedded.citations
    ]
    assert [round(c.score, 6) for c in server.citations] == [
        round(c.score, 6) for c in embedded.citations
    ]
