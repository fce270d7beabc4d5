"""A small Python client for the HTTP API, typed with the service's own response models.

    from qa_service.client import QAClient

    with QAClient("http://127.0.0.1:8000") as qa:
        answer = qa.ask("Wer wurde zum Chef der Drohnentruppen ernannt?")
        for c in answer.citations:
            print(c.id, c.quote)
        follow_up = qa.chat("Wann war das?", conversation_id=qa.chat("...").conversation_id)

It needs only httpx and pydantic at run time (no model, no index).
"""

from email.utils import parsedate_to_datetime
from pathlib import Path
from random import uniform
from time import sleep, time
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from qa_service.api.chat_schemas import ChatResponse, ConversationOut
from qa_service.api.schemas import (
    AskResponse,
    DocumentCreated,
    DocumentDetail,
    DocumentPage,
    Health,
)
from qa_service.config import AnswerMode
from qa_service.errors import RateLimited, ServiceBusy, WritesBusy
from qa_service.stores import DocumentOrder
from qa_service.tuning.client import FIRST_BACKOFF_S, MAX_RETRY_WAIT_S, RETRY_JITTER_S

Model = TypeVar("Model", bound=BaseModel)

RETRIED_STATUSES = frozenset({429, 503})
"""Statuses that say "not now" (a rate limit, a full queue, a backend that is down), so the
same request may succeed later; any other error says something about the request itself."""
REFUSALS = frozenset(error.__name__ for error in (RateLimited, ServiceBusy, WritesBusy))
"""Error types the service answers before doing any of the work: resending a write refused
with one of them cannot store it twice (a BackendUnavailable write may have begun)."""


class QAClientError(Exception):
    """The service answered with an error status, or could not be reached at all.

    ``status_code``: the HTTP status, None when no answer came (refused, timed out, broken
    connection: ``type`` is then the httpx exception's name, e.g. ``ConnectError``) or
    nothing was sent (an id that names no document: ``type`` InvalidId);
    ``detail``: what was wrong; ``type``: the error's ``type`` (``DocumentNotFound``,
    ``RateLimited`` ...); ``retry_after``: seconds to wait from ``Retry-After``, or None."""

    def __init__(
        self,
        status_code: int | None,
        detail: Any,
        *,
        type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        where = f"HTTP {status_code}" if status_code is not None else "no answer"
        super().__init__(f"{where}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.type = type
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, response: httpx.Response) -> Self:
        """The error in either of the service's shapes: ``{"detail", "type"}`` or, on the
        OpenAI routes, ``{"error": {"message", "type"}}``."""
        try:
            body = response.json()
        except ValueError:
            body = None
        detail: Any = response.text
        kind = None
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):
                detail, kind = error.get("message", error), error.get("type")
            else:
                detail, kind = body.get("detail", body), body.get("type")
        return cls(
            response.status_code,
            detail,
            type=kind if isinstance(kind, str) else None,
            retry_after=_seconds(response.headers.get("retry-after")),
        )


class ServiceHealth(Health):
    """/health as the client reads it: ``answer_mode`` is None when the service did not say
    (its short body without a key, once keys are required), not the model's default."""

    answer_mode: AnswerMode | None = None  # type: ignore[assignment]


def _path(*segments: str) -> str:
    """A path with each id quoted whole: "../keys" or "a?b" stay one segment of an id.
    "", "." and ".." cannot be one (HTTP clients resolve dot segments): QAClientError with
    ``type`` InvalidId, nothing sent."""
    for segment in segments:
        if segment in ("", ".", ".."):
            raise QAClientError(None, f"{segment!r} is not an id", type="InvalidId")
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def _without_none(**fields: Any) -> dict[str, Any]:
    """A request body of the fields given: an omitted field keeps what the service holds."""
    return {key: value for key, value in fields.items() if value is not None}


def _seconds(retry_after: str | None) -> float | None:
    """``Retry-After`` in seconds: it is a number of seconds or an HTTP date (RFC 9110)."""
    if retry_after is None:
        return None
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time())
    except (TypeError, ValueError):
        return None


def _parsed(model: type[Model], response: httpx.Response) -> Model:
    """``response``'s body as ``model``; another shape raises QAClientError."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        detail = f"not a {model.__name__} from {response.request.url}: {exc}"
        raise QAClientError(response.status_code, detail, type="UnexpectedResponse") from None


class QAClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        api_key: str | None = None,
        retries: int = 0,
        max_retry_wait: float = MAX_RETRY_WAIT_S,
    ) -> None:
        """``api_key``: sent as ``Authorization: Bearer KEY``, which every /v1 route needs
        once the service has a key (README, Security); the white space around it (a line
        break read from a file) is dropped, and no error message ever quotes it.

        ``retries``: how many times a request answered 429 or 503 is sent again, after the
        wait its ``Retry-After`` names (README, Python client). Reads and ``ask`` (no side
        effects) are retried on any 429/503; writes (documents, ``chat``, deletes) only on
        a refusal that says nothing was done (``REFUSALS``). A wait longer than
        ``max_retry_wait`` seconds is not waited out: the error is raised at once."""
        if retries < 0 or max_retry_wait < 0:
            raise ValueError("retries and max_retry_wait must not be negative")
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        api_key = (api_key or "").strip()
        if not all(" " < char < "\x7f" for char in api_key):
            raise QAClientError(
                None,
                "the API key holds a character a header cannot carry (a space, a control "
                "character or a non-ASCII letter): pass the key as `keys create` printed it",
                type="InvalidKey",
            )
        self._key = api_key
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport, headers=headers
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        accepted: frozenset[int] = frozenset(),
        safe: bool | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The response; an error status not in ``accepted`` raises QAClientError, after
        up to ``retries`` more tries of a 429/503 (``_retry_wait``). ``safe``: the request
        has no side effects, so any 429/503 may be retried (default: a GET)."""
        safe = method == "GET" if safe is None else safe
        attempt = 0
        while True:
            try:
                return self._send(method, path, accepted=accepted, **kwargs)
            except QAClientError as error:
                wait = self._retry_wait(error, attempt, safe=safe)
                if wait is None:
                    raise
            sleep(wait)
            attempt += 1

    def _retry_wait(self, error: QAClientError, attempt: int, *, safe: bool) -> float | None:
        """Seconds to wait before trying again after ``error`` on try ``attempt`` (0 the
        first), or None: do not (retries used up, an error no retry mends, a write that may
        have begun, or a wait past ``max_retry_wait``)."""
        if attempt >= self.retries or error.status_code not in RETRIED_STATUSES:
            return None
        if not safe and error.type not in REFUSALS:
            return None
        wait = error.retry_after
        if wait is None:
            wait = FIRST_BACKOFF_S * 2**attempt
        return wait + uniform(0, RETRY_JITTER_S) if wait <= self.max_retry_wait else None

    def _send(
        self, method: str, path: str, *, accepted: frozenset[int], **kwargs: Any
    ) -> httpx.Response:
        """One request; its error status (not in ``accepted``) raises QAClientError."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            name = type(exc).__name__
            message = str(exc)
            quoted = bool(self._key) and self._key in message
            if quoted:  # neither the message nor the chained error may show the key
                message = message.replace(self._key, "<key>")
            raise QAClientError(None, f"{name}: {message}", type=name) from (
                None if quoted else exc
            )
        if response.is_error and response.status_code not in accepted:
            raise QAClientError.from_response(response)
        return response

    def _read(self, model: type[Model], method: str, path: str, **kwargs: Any) -> Model:
        """The response as ``model``; a body of another shape (another server, a proxy's
        page) is a QAClientError too, not a JSON or validation error."""
        return _parsed(model, self._call(method, path, **kwargs))

    def health(self) -> ServiceHealth:
        """/health. A degraded service (503 with its health body: in server mode a backend
        is unavailable) is returned, ``status`` "degraded" and ``backends`` saying which:
        a monitor reads it like a healthy one. Any other error, a 503 without that body
        (a proxy's page, say) included, raises QAClientError."""
        response = self._call("GET", "/health", accepted=frozenset({503}))
        if response.status_code != 503:
            return _parsed(ServiceHealth, response)
        try:
            health = ServiceHealth.model_validate_json(response.content)
        except ValidationError:
            health = None
        if health is None or health.status != "degraded":
            raise QAClientError.from_response(response)
        return health

    def ask(
        self, question: str, *, top_k: int | None = None, mode: AnswerMode | None = None
    ) -> AskResponse:
        body = _without_none(question=question, top_k=top_k, mode=mode)
        return self._read(AskResponse, "POST", "/v1/ask", json=body, safe=True)

    def chat(
        self,
        message: str,
        *,
        conversation_id: str | None = None,
        top_k: int | None = None,
        mode: AnswerMode | None = None,
    ) -> ChatResponse:
        body = _without_none(
            message=message, conversation_id=conversation_id, top_k=top_k, mode=mode
        )
        return self._read(ChatResponse, "POST", "/v1/chat", json=body)

    def conversation(self, conversation_id: str) -> ConversationOut:
        return self._read(ConversationOut, "GET", _path("v1", "conversations", conversation_id))

    def delete_conversation(self, conversation_id: str) -> None:
        self._call("DELETE", _path("v1", "conversations", conversation_id))

    def add_document(
        self,
        text: str,
        *,
        id: str | None = None,
        title: str | None = None,
        source: str | None = None,
        published_at: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> DocumentCreated:
        """Fields left None are not sent, so a re-post keeps the stored title, source and
        metadata (README, Documents)."""
        body = _without_none(
            id=id,
            title=title,
            text=text,
            source=source,
            published_at=published_at,
            metadata=metadata,
        )
        return self._read(DocumentCreated, "POST", "/v1/documents", json=body)

    def upload(
        self,
        path: Path | str,
        *,
        id: str | None = None,
        title: str | None = None,
        source: str | None = None,
        published_at: str | None = None,
    ) -> DocumentCreated:
        path = Path(path)
        data = _without_none(id=id, title=title, source=source, published_at=published_at)
        with path.open("rb") as handle:
            files = {"file": (path.name, handle)}
            return self._read(DocumentCreated, "POST", "/v1/documents", files=files, data=data)

    def documents(
        self, *, offset: int = 0, limit: int = 50, order: DocumentOrder = "oldest"
    ) -> DocumentPage:
        """A page of the stored articles, ``oldest`` or ``newest`` first."""
        params: dict[str, str | int] = {"offset": offset, "limit": limit, "order": order}
        return self._read(DocumentPage, "GET", "/v1/documents", params=params)

    def document(self, doc_id: str) -> DocumentDetail:
        return self._read(DocumentDetail, "GET", _path("v1", "documents", doc_id))

    def delete_document(self, doc_id: str) -> None:
        self._call("DELETE", _path("v1", "documents", doc_id))
