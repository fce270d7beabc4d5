"""The Python client against a real uvicorn process (real model, real Chroma)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qa_service.client import QAClient, QAClientError
from tests.helpers.servers import free_port

pytestmark = pytest.mark.slow  # a real server


@pytest.fixture
def qa(live_server: str) -> Iterator[QAClient]:
    with QAClient(live_server) as c:
        yield c


def test_ask_returns_typed_exact_citations(qa: QAClient) -> None:
    answer = qa.ask("Wer wurde zum Chef der Drohnentruppen ernannt?", top_k=2)
    assert not answer.abstained and len(answer.passages) <= 2
    for c in answer.citations:
        assert qa.document(c.document_id).text[c.start : c.end] == c.quote
    assert "Browdi" in answer.citations[0].quote


def test_documents_chat_and_errors(qa: QAClient, tmp_path: Path) -> None:
    assert qa.health().documents == 2
    created = qa.add_document(
        "Die Stadt Kleinhausen wählte am Dienstag Anna Vogel zur Bürgermeisterin.",
        id="wahl",
        title="Wahl",
    )
    assert created.created and qa.add_document(qa.document("wahl").text, id="wahl").created is False
    file = tmp_path / "notiz.md"
    file.write_text("# Notiz\n\nDer Stadtrat tagt am Freitag im Rathaus.", encoding="utf-8")
    uploaded = qa.upload(file)
    assert uploaded.created
    assert qa.documents(limit=10).total == 4
    qa.delete_document(uploaded.id)

    first = qa.chat("Wer wurde Bürgermeisterin von Kleinhausen?")
    second = qa.chat("Wann war das?", conversation_id=first.conversation_id)
    assert second.turn == 1
    assert [t.message for t in qa.conversation(first.conversation_id).turns] == [
        "Wer wurde Bürgermeisterin von Kleinhausen?",
        "Wann war das?",
    ]
    qa.delete_conversation(first.conversation_id)

    qa.delete_document("wahl")
    assert qa.health().documents == 2  # the shared server is left as found
    with pytest.raises(QAClientError) as error:
        qa.document("wahl")
    assert error.value.status_code == 404 and "wahl" in str(error.value.detail)
    with pytest.raises(QAClientError) as error:
        qa.ask("   ")
    assert error.value.status_code == 422


def test_a_service_that_is_down_raises_qaclienterror() -> None:
    """No server on the port: the README's promise (errors raise QAClientError) holds for a
    refused connection too, not only for an error status."""
    qa = QAClient(f"http://127.0.0.1:{free_port()}", timeout=5)
    with qa, pytest.raises(QAClientError) as caught:
        qa.health()
    error = caught.value
    assert error.status_code is None and error.type == "ConnectError" and error.retry_after is None
    assert isinstance(error.__cause__, httpx.ConnectError)


def test_errors_carry_type_and_no_retry_after(qa: QAClient) -> None:
    with pytest.raises(QAClientError) as caught:
        qa.document("nope")
    assert caught.value.type == "DocumentNotFound" and caught.value.retry_after is None
