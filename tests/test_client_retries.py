"""The Python client's opt-in retries (``QAClient(..., retries=N)``) against real `serve`
processes at their rate limit (429) and queue limit (503), and which requests it resends."""

import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from qa_service.api.chat_schemas import ChatResponse
from qa_service.client import QAClient, QAClientError
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # real `qa-service serve` processes

QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt?"


def _refused(root: Path, status: int, request: str) -> int:
    """How many requests starting ``request`` ("POST /v1/") the server's access log shows
    answered ``status``."""
    log = (root / "server.log").read_text(errors="replace")
    return len(re.findall(rf'"{re.escape(request)}[^"]*" {status}\b', log))


def test_a_rate_limit_is_waited_out_for_reads_and_writes(tmp_path: Path) -> None:
    """2 requests a second per address: a burst gets 429 with Retry-After 1; with retries
    every call of it succeeds, a write (refused before any work) and an upload included."""
    env = {"QA_ANONYMOUS_RATE_LIMIT": "2/second"}
    article = tmp_path / "hafen.txt"
    article.write_text("Der Hafen von Emden meldet für 2025 einen Umschlagrekord.", "utf-8")
    with serve_process(tmp_path, env=env) as (url, _):
        with QAClient(url) as plain, pytest.raises(QAClientError) as caught:
            for _ in range(5):
                plain.documents()
        assert (caught.value.status_code, caught.value.type) == (429, "RateLimited")
        assert caught.value.retry_after == 1
        time.sleep(1.1)  # the window is whole again

        with QAClient(url, retries=3) as patient:
            assert [patient.documents().total for _ in range(4)] == [2, 2, 2, 2]
            assert not patient.ask(QUESTION).abstained
            created = patient.add_document("Die Fähre nach Amrum fährt ab Montag.", id="r1")
            # The second's quota used up by a burst (a retried read would leave room in it),
            # so the upload right after is refused first; a stall past the window is tried again.
            for _ in range(3):
                with QAClient(url) as plain, pytest.raises(QAClientError):
                    for _ in range(5):
                        plain.documents()
                uploaded = patient.upload(article, id="r2")
                if _refused(tmp_path, 429, "POST /v1/documents"):
                    break
                patient.delete_document("r2")
            assert created.created and uploaded.created
            # A resent upload is sent whole again, not from where the first read stopped.
            assert patient.document("r2").text == article.read_text("utf-8")
            patient.delete_document("r1")
            patient.delete_document("r2")
            assert patient.documents().total == 2
        assert _refused(tmp_path, 429, "GET /v1/") and _refused(tmp_path, 429, "POST /v1/documents")

        # A wait longer than the client will wait is not waited out: raised at once.
        with QAClient(url, retries=3, max_retry_wait=0.5) as hasty:
            started = time.monotonic()
            with pytest.raises(QAClientError) as caught:
                for _ in range(5):
                    hasty.documents()
            assert caught.value.status_code == 429 and time.monotonic() - started < 1


def test_a_full_queue_is_waited_out(tmp_path: Path) -> None:
    """One answer thread and no queue: questions sent at once get 503 ServiceBusy; with
    retries each is answered, ``chat`` (refused before it stored a turn) included."""
    env = {"QA_ANSWER_THREADS": "1", "QA_MAX_QUEUE": "0"}
    with serve_process(tmp_path, env=env) as (url, _):

        def burst(retries: int) -> list[object]:
            results: list[object] = [None] * 6
            start = threading.Barrier(len(results))

            def one(i: int) -> None:
                with QAClient(url, retries=retries, max_retry_wait=5) as qa:
                    start.wait()
                    try:
                        results[i] = qa.chat(QUESTION) if i == 0 else qa.ask(QUESTION)
                    except QAClientError as error:
                        results[i] = error

            threads = [threading.Thread(target=one, args=(i,)) for i in range(len(results))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return results

        refused = [r for r in burst(0) if isinstance(r, QAClientError)]
        assert refused and {(e.status_code, e.type) for e in refused} == {(503, "ServiceBusy")}
        before = _refused(tmp_path, 503, "POST /v1/")
        answered = burst(8)
        assert not [r for r in answered if isinstance(r, QAClientError)], answered
        assert _refused(tmp_path, 503, "POST /v1/") > before  # answered only through retries
        with QAClient(url) as qa:
            chatted = answered[0]
            assert isinstance(chatted, ChatResponse)
            conversation = qa.conversation(chatted.conversation_id)
            assert [t.message for t in conversation.turns] == [QUESTION]  # stored once
            qa.delete_conversation(chatted.conversation_id)


class _BackendDown(BaseHTTPRequestHandler):
    """A service whose backend is down: 503 BackendUnavailable, Retry-After 0, counted."""

    seen: ClassVar[Counter[str]] = Counter()

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.seen[f"{self.command} {self.path}"] += 1
        body = b'{"detail": "PostgreSQL is unavailable", "type": "BackendUnavailable"}'
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("retry-after", "0")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_a_write_that_may_have_begun_is_never_resent() -> None:
    """BackendUnavailable can come after a write began: reads and ``ask`` are resent,
    writes are not (the caller decides); no retries unless asked for."""
    _BackendDown.seen.clear()
    with ThreadingHTTPServer(("127.0.0.1", 0), _BackendDown) as down:
        threading.Thread(target=down.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{down.server_port}"
            with QAClient(url, retries=2) as qa:
                for call in (
                    lambda: qa.ask(QUESTION),
                    lambda: qa.document("a"),
                    lambda: qa.add_document("Text.", id="a"),
                    lambda: qa.chat(QUESTION),
                    lambda: qa.delete_document("a"),
                ):
                    with pytest.raises(QAClientError) as caught:
                        call()
                    assert caught.value.type == "BackendUnavailable"
            with QAClient(url) as once, pytest.raises(QAClientError):
                once.documents()
        finally:
            down.shutdown()
    assert _BackendDown.seen == {
        "POST /v1/ask": 3,
        "GET /v1/documents/a": 3,
        "POST /v1/documents": 1,
        "POST /v1/chat": 1,
        "DELETE /v1/documents/a": 1,
        "GET /v1/documents?offset=0&limit=50&order=oldest": 1,
    }


def test_retries_are_checked() -> None:
    with pytest.raises(ValueError):
        QAClient(retries=-1)
