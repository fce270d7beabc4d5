"""The Python client against a real uvicorn process (real model, real Chroma)."""

import functools
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from qa_service.client import QAClient, QAClientError
from tests.helpers.keys import create_key
from tests.helpers.servers import free_port, serve_process

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


def test_a_repost_without_metadata_keeps_the_stored_metadata(qa: QAClient) -> None:
    """M1: None is not sent, so the service keeps what it holds (README, Documents)."""
    text = "Der Stadtrat von Neustadt hat den neuen Radweg am Fluss eröffnet. Er ist 12 km lang."
    qa.add_document(text, id="cl1", metadata={"ressort": "lokal"}, source="Lokalteil")
    try:
        again = qa.add_document(text, id="cl1")
        assert not again.created and not again.updated
        stored = qa.document("cl1")
        assert stored.metadata == {"ressort": "lokal"} and stored.source == "Lokalteil"
    finally:
        qa.delete_document("cl1")


@pytest.mark.parametrize("odd", ["../documents", "../documents/cl2", "nope?x=1", "a/b", "%2e%2e"])
def test_ids_stay_one_path_segment(qa: QAClient, odd: str) -> None:
    """M2: an id never reaches another route nor loses its tail to a query string."""
    qa.add_document("Die Fähre nach Amrum fährt ab Montag stündlich ab Dagebüll.", id="cl2")
    try:
        for call in (qa.document, qa.conversation, qa.delete_document, qa.delete_conversation):
            with pytest.raises(QAClientError) as caught:
                call(odd)
            assert caught.value.status_code == 404
        assert qa.document("cl2").id == "cl2"  # not deleted through "../documents/cl2"
    finally:
        qa.delete_document("cl2")


def test_mode_is_sent_when_given(qa: QAClient) -> None:
    """L1: ``mode`` reaches the service: generative without an LLM falls back and says so."""
    question = "Wer wurde zum Chef der Drohnentruppen ernannt?"
    assert qa.ask(question).mode == "extractive"
    asked = qa.ask(question, mode="generative")
    chatted = qa.chat(question, mode="generative")
    assert asked.mode == chatted.mode == "extractive_fallback"
    assert asked.fallback_reason == chatted.fallback_reason == "llm_not_configured"
    qa.delete_conversation(chatted.conversation_id)


def test_upload_sends_title_and_source(qa: QAClient, tmp_path: Path) -> None:
    file = tmp_path / "hafen.txt"
    file.write_text("Der Hafen von Emden meldet für 2025 einen Umschlagrekord.", encoding="utf-8")
    created = qa.upload(file, id="cl3", title="Hafen", source="Wirtschaft")
    try:
        stored = qa.document(created.id)
        assert (stored.id, stored.title, stored.source) == ("cl3", "Hafen", "Wirtschaft")
    finally:
        qa.delete_document("cl3")


@pytest.mark.parametrize("odd", ["", ".", ".."])
def test_ids_that_are_no_path_segment_are_refused_before_sending(qa: QAClient, odd: str) -> None:
    """Hunt 8 L2: "." reached GET /v1/documents (the list, a 200), "" a redirect."""
    for call in (qa.document, qa.conversation, qa.delete_document, qa.delete_conversation):
        with pytest.raises(QAClientError) as caught:
            call(odd)
        assert caught.value.status_code is None and caught.value.type == "InvalidId"
        assert repr(odd) in str(caught.value)


def _health_from(handler: Callable[..., BaseHTTPRequestHandler]) -> QAClientError:
    """What ``QAClient.health()`` raises against a local server that is not this service."""
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as other:
        threading.Thread(target=other.serve_forever, daemon=True).start()
        try:
            elsewhere = QAClient(f"http://127.0.0.1:{other.server_port}")
            with elsewhere, pytest.raises(QAClientError) as caught:
                elsewhere.health()
            return caught.value
        finally:
            other.shutdown()


def test_an_unexpected_body_is_a_qaclienterror(qa: QAClient, tmp_path: Path) -> None:
    """L1: a server that is not this service."""
    (tmp_path / "health").write_text("<html>not the service</html>", encoding="utf-8")
    error = _health_from(functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    assert error.status_code == 200 and "Health" in str(error.detail)


class _Unavailable(BaseHTTPRequestHandler):
    """A proxy's 503 for a service behind it that is gone: no health body."""

    def do_GET(self) -> None:
        body = b'{"detail": "no upstream", "type": "ServiceUnavailable"}'
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("retry-after", "3")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_503_without_a_health_body_still_raises() -> None:
    """A degraded service's 503 is read as its health (tests/stores/test_outages.py); a 503
    that is no health body is an error as before."""
    error = _health_from(_Unavailable)
    assert (error.status_code, error.type, error.retry_after) == (503, "ServiceUnavailable", 3.0)


def test_health_without_a_key_invents_nothing(tmp_path: Path) -> None:
    """L13 and M2 against a service that requires keys."""
    (tmp_path / "index").mkdir()
    admin = create_key(tmp_path, "ops", "admin")
    reader = create_key(tmp_path, "reader", "read")
    with serve_process(tmp_path) as (url, _):
        with QAClient(url) as anonymous:
            health = anonymous.health()
        assert health.status == "ok" and health.answer_mode is None and health.documents is None
        with QAClient(url, api_key=admin) as qa:
            assert qa.health().answer_mode == "extractive"
            with pytest.raises(QAClientError) as caught:
                qa.delete_document("../keys/reader")  # was DELETE /v1/keys/reader
            assert caught.value.status_code == 404
        with QAClient(url, api_key=reader) as still:
            assert still.documents().total == 2  # the read key still works
        # HUNT12 L5: a key read from a file with its line break was quoted whole in the
        # error (httpx: "Illegal header value b'Bearer qa-...\n'"). It is the key.
        with QAClient(url, api_key=f" {reader}\n") as read_from_file:
            assert read_from_file.documents().total == 2
        for bad in (f"{reader[:10]} {reader[10:]}", f"{reader}\x00", f"{reader}ü"):
            with pytest.raises(QAClientError) as caught:
                QAClient(url, api_key=bad)
            assert caught.value.type == "InvalidKey" and reader[8:] not in str(caught.value)
