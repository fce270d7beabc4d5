"""The optional LLM, reached through llama-index's OpenAI-compatible integration.

Any server that speaks the Chat Completions API works (vLLM, Ollama, llama.cpp's server,
OpenAI). Only the chat model is used from llama-index: nothing here reads
``llama_index.core.Settings``, whose default embedding model is OpenAI's (the service has
its own embedder and must never reach for that one).

Every call has a hard deadline. The tokens are read in a worker thread and handed over
through a queue, so a server that stalls mid-answer, or trickles tokens, is given up on
when the deadline passes, not when its socket finally times out. Its connection is shut
down then too: the worker thread and the connection are freed at once, not when the next
token or the socket's timeout comes, and a server that cancels on a disconnect (vLLM,
OpenAI) stops working on an answer nobody reads. (llama.cpp's Python server notices only
after its next token: it still reads the whole prompt.)
"""

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from qa_service.config import Settings
from qa_service.errors import QAServiceError
from qa_service.tuning.generation import LLM_MAX_IN_FLIGHT, PROBE_INTERVAL, PROBE_TIMEOUT

if TYPE_CHECKING:
    from httpx import Response

PROBE_MESSAGE = "OK?"  # the probe's user message (tests tell probes from answers by it)


class LLMError(QAServiceError):
    """The LLM gave no usable answer; ``reason`` becomes the answer's ``fallback_reason``."""

    reason = "llm_error"


class LLMUnavailable(LLMError):
    """The LLM server cannot be reached, or failed on its side (5xx)."""

    reason = "llm_unavailable"


class LLMRefused(LLMError):
    """The LLM server refused the request (4xx: authentication, model name, context length)."""

    reason = "llm_refused"


class LLMTimeout(LLMError):
    """The answer was not complete within ``QA_LLM_TIMEOUT``."""

    reason = "llm_timeout"


class LLMBadResponse(LLMError):
    """The server answered with something that is not a chat completion."""

    reason = "llm_bad_response"


class LLMBusy(LLMError):
    """QA_LLM_MAX_IN_FLIGHT answers of this process are waiting on the LLM already: this one
    is not sent, and the extractive answer goes out at once."""

    reason = "llm_busy"


class LLMEmptyAnswer(LLMError):
    """The LLM answered with no text at all."""

    reason = "llm_empty"


def map_llm_error(exc: BaseException) -> LLMError:
    """The openai/httpx error under llama-index, as our own; most specific first."""
    import httpx
    import openai

    message = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc.__cause__, LLMError):  # ours, raised in an httpx hook and wrapped
        return exc.__cause__
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return LLMTimeout(message)
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return LLMUnavailable(message)
    if isinstance(exc, openai.APIStatusError):
        return LLMUnavailable(message) if exc.status_code >= 500 else LLMRefused(message)
    return LLMBadResponse(message)


def require_event_stream(response: "Response") -> None:
    """An httpx response hook: a successful reply to a streamed chat request must be an event
    stream. The OpenAI client reads any other body (``text/plain`` "<html>...", a JSON
    ``{"foo": 1}``, a complete non-streamed answer) as a stream of no events, which would
    pass for an empty answer (``llm_empty``); this makes it ``llm_bad_response``."""
    import httpx

    if not response.is_success:
        return
    try:
        streamed = json.loads(response.request.content).get("stream") is True
    except (httpx.RequestNotRead, ValueError, AttributeError):  # not a JSON request body
        return
    kind = response.headers.get("content-type", "")
    if streamed and kind.split(";")[0].strip().lower() != "text/event-stream":
        shown = kind or "no content type"
        raise LLMBadResponse(
            f"the LLM answered {response.status_code} with {shown}, not an event stream"
        )


class _Call:
    """One streamed answer's responses, so the reader can hang up when it gives up on it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.responses: list[Response] = []
        self.abandoned = False

    def hang_up(self) -> None:
        """Shut the answer's connections down: the worker blocked reading them wakes up with
        an error, and the LLM server sees its client gone (closing the socket from this
        thread would not send the FIN while the worker's read holds it)."""
        with self.lock:
            self.abandoned = True
            responses = list(self.responses)
        for response in responses:
            _shut_down(response)


def _shut_down(response: "Response") -> None:
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()  # the _Call of the worker thread that sends the request


def note_response(response: "Response") -> None:
    """An httpx response hook, run in the thread that sent the request: the response joins
    its answer's call, and is hung up at once when the reader has given up already."""
    call: _Call | None = getattr(_current, "call", None)
    if call is None:
        return
    with call.lock:
        call.responses.append(response)
        abandoned = call.abandoned
    if abandoned:
        _shut_down(response)


class CutOff(str):
    """What :meth:`LLMClient.stream_chat` yields, empty, when the LLM server broke the answer
    off: at its token limit (``finish_reason: "length"``, QA_LLM_MAX_TOKENS) or by a
    content filter (``"content_filter"``, OpenAI's and Azure's): the text before it may end
    mid-sentence, maybe mid-word."""


CUT_OFF = CutOff()
CUT_REASONS = frozenset({"length", "content_filter"})


def broken_off(chunk: Any) -> bool:
    """Whether a streamed chat completion chunk ends its answer before the model did."""
    choices = getattr(chunk, "choices", None) or []
    return any(getattr(choice, "finish_reason", None) in CUT_REASONS for choice in choices)


@dataclass(frozen=True, slots=True)
class LLMStatus:
    """What /health reports: whether the LLM answered its last check (an answer or a probe)."""

    model: str
    base_url: str
    ok: bool | None = None  # None: not checked yet
    checked_at: float | None = None
    error: str | None = None
    in_flight: int = 0  # answers of this process waiting on the LLM now
    max_in_flight: int = LLM_MAX_IN_FLIGHT  # QA_LLM_MAX_IN_FLIGHT


def shown_url(url: str) -> str:
    """``url`` as /health shows it: without user:password (``http://user:pw@host/v1`` is a
    valid base URL) and without a query, which may carry a token too."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class LLMClient:
    """A chat model with a deadline per call and a remembered last outcome."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 20.0,
        max_tokens: int = 256,
        max_in_flight: int = LLM_MAX_IN_FLIGHT,
    ) -> None:
        from llama_index.llms.openai_like import OpenAILike
        from openai import DefaultHttpxClient

        self.timeout = timeout
        # openai's own defaults (limits, redirects), plus the check of what came back
        self._http = DefaultHttpxClient(  # and a note of it, to hang up at the deadline
            event_hooks={"response": [note_response, require_event_stream]}
        )

        def build(max_tokens: int, timeout: float) -> OpenAILike:
            return OpenAILike(
                model=model,
                api_base=base_url,
                api_key=api_key or "not-needed",  # local servers take any key; the client wants one
                is_chat_model=True,
                is_function_calling_model=False,
                context_window=8192,
                max_tokens=max_tokens,
                temperature=0.0,
                timeout=timeout,
                max_retries=0,  # a retry would break the deadline; the fallback is the retry
                http_client=self._http,
            )

        self.llm = build(max_tokens, timeout)
        self._probe_llm = build(1, min(PROBE_TIMEOUT, timeout))
        self._status = LLMStatus(model, shown_url(base_url), max_in_flight=max_in_flight)
        self._lock = threading.Lock()
        self._probing = False
        self._in_flight = 0  # answers whose request to the LLM is not over yet

    @classmethod
    def from_settings(cls, settings: Settings) -> "LLMClient | None":
        if not settings.llm_configured:
            return None
        return cls(
            settings.llm_base_url or "",
            settings.llm_model or "",
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            max_tokens=settings.llm_max_tokens,
            max_in_flight=settings.llm_max_in_flight,
        )

    @property
    def status(self) -> LLMStatus:
        with self._lock:
            return replace(self._status, in_flight=self._in_flight)

    def _take_slot(self) -> None:
        """Count an answer in flight, or raise LLMBusy when QA_LLM_MAX_IN_FLIGHT are."""
        with self._lock:
            if self._in_flight >= self._status.max_in_flight:
                raise LLMBusy(
                    f"{self._in_flight} answers are waiting on the LLM already "
                    "(QA_LLM_MAX_IN_FLIGHT)"
                )
            self._in_flight += 1

    def _free_slot(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _record(self, error: LLMError | None) -> None:
        with self._lock:
            self._status = replace(
                self._status,
                ok=error is None,
                checked_at=time.time(),
                error=None if error is None else f"{error.reason}: {error}",
            )

    def stream_chat(
        self, system: str | None, user: str, timeout: float | None = None, *, probe: bool = False
    ) -> Generator[str, None, None]:
        """The answer's text pieces as they arrive, then :data:`CUT_OFF` when the LLM
        server broke it off (its token limit, a content filter); raises an
        :class:`LLMError` subclass.

        The whole answer must arrive within ``timeout`` (default: the client's) seconds.
        An answer (not a probe) counts as in flight from its request until that request is
        over (answered, failed, or hung up on); with QA_LLM_MAX_IN_FLIGHT of them in flight
        it is not sent: :class:`LLMBusy`, which is no verdict on the LLM (not recorded).
        """
        from llama_index.core.llms import ChatMessage, MessageRole

        messages = [ChatMessage(role=MessageRole.USER, content=user)]
        if system is not None:
            messages.insert(0, ChatMessage(role=MessageRole.SYSTEM, content=system))
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        call = _Call()
        if not probe:
            self._take_slot()

        def produce() -> None:
            _current.call = call
            try:
                llm = self._probe_llm if probe else self.llm
                for response in llm.stream_chat(messages):
                    if stop.is_set():
                        break
                    pieces.put(("delta", response.delta or ""))
                    if broken_off(response.raw):
                        pieces.put(("cut", None))
                pieces.put(("end", None))
            except BaseException as exc:  # handed to the reader, who raises it
                pieces.put(("error", exc))
            finally:
                if not probe:
                    self._free_slot()

        try:
            threading.Thread(target=produce, name="llm-stream", daemon=True).start()
        except BaseException:  # no thread, no request: the slot is not in use
            if not probe:
                self._free_slot()
            raise
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        error: LLMError | None = None
        produced = finished = False
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise queue.Empty
                    kind, value = pieces.get(timeout=remaining)
                except queue.Empty:
                    raise LLMTimeout(f"no complete answer within {limit:g} s") from None
                if kind == "error":
                    finished = True
                    raise map_llm_error(value) from None
                if kind == "end":
                    finished = True
                    break
                if kind == "cut":
                    yield CUT_OFF
                    continue
                if value:
                    produced = produced or bool(value.strip())
                    yield value
            if not produced:
                raise LLMEmptyAnswer("the LLM answered with no text")
        except LLMError as exc:
            error = exc
            raise
        finally:
            stop.set()
            if not finished:  # given up on (the deadline) or no longer read
                call.hang_up()
            self._record(error)

    def check(self) -> LLMStatus:
        """A one-token probe: does the LLM answer at all? (for /health)"""
        try:
            for _ in self.stream_chat(
                "Reply with OK.", PROBE_MESSAGE, min(PROBE_TIMEOUT, self.timeout), probe=True
            ):
                pass
        except LLMError:
            pass
        return self.status

    def refresh(self, max_age: float = PROBE_INTERVAL) -> None:
        """Probe in the background when the last check is older than ``max_age`` seconds."""
        checked = self.status.checked_at
        if checked is not None and time.time() - checked < max_age:
            return
        with self._lock:
            if self._probing:
                return
            self._probing = True

        def probe() -> None:
            try:
                self.check()
            finally:
                with self._lock:
                    self._probing = False

        threading.Thread(target=probe, name="llm-probe", daemon=True).start()
