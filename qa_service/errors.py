"""Domain errors. Services raise these; the HTTP and CLI edges turn them into messages."""


class QAServiceError(Exception):
    """Base class of every error the service raises on purpose."""


class InvalidInput(QAServiceError):
    """The caller sent something the service cannot use (empty text, bad encoding, ...)."""


class EmptyQuestion(InvalidInput):
    """The question is empty or only whitespace."""


class QuestionTooLong(InvalidInput):
    """The question is longer than the configured limit."""


class InvalidText(InvalidInput):
    """Text the service cannot embed or store (NUL, a lone surrogate) or oversized metadata."""


class EmptyDocument(InvalidInput):
    """The article has no text worth indexing."""


class DocumentTooLarge(InvalidInput):
    """The article is longer than the configured limit."""


class UnsupportedFormat(InvalidInput):
    """The file is not plain text, Markdown or HTML, or is not valid UTF-8."""


class DocumentNotFound(QAServiceError):
    """No document has the given id."""


class DuplicateContent(QAServiceError):
    """The same text is already stored under another id."""


class IdConflict(QAServiceError):
    """The id derived from a text already holds another text."""


class ConversationNotFound(QAServiceError):
    """No conversation has the given id."""


class EmbedderUnavailable(QAServiceError):
    """The configured embedding model cannot be loaded."""


class EmbedderMismatch(QAServiceError):
    """The index was built with another embedding model than the configured one."""


class StoreUnavailable(QAServiceError):
    """The index's stores cannot be opened or reached (a bad folder, a server that is down)."""


class BackendUnavailable(StoreUnavailable):
    """A database server (PostgreSQL or the Chroma server) cannot be reached or did not answer
    in time; the request may be retried once it is back (the service reconnects by itself)."""

    retry_after = 1
    """Seconds a client should wait before retrying (the Retry-After header): the service
    reconnects by itself, so a retry soon after the engine is back succeeds."""

    def __init__(self, engine: str, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(f"{engine} is unavailable: {reason}")
        self.engine = engine
        self.timed_out = timed_out
        """The engine did not answer within the timeout (frozen, or the network drops
        packets): asking it again at once would wait as long once more."""


class RerankerUnavailable(QAServiceError):
    """The configured reranker model cannot be loaded."""


class KeyExists(QAServiceError):
    """A key of that name exists already (revoked ones too: names are never reused)."""


class KeyNotFound(QAServiceError):
    """No key has that name."""


class LastAdminKey(QAServiceError):
    """Revoking this key over HTTP would leave no active admin key: nobody could manage keys
    any more without a shell on the host (``qa-service keys create``)."""


class RequestRefused(QAServiceError):
    """A request the edge refuses before any route runs (see api/security.py)."""


class HostNotAllowed(RequestRefused):
    """The Host header names no allowed host (QA_ALLOWED_HOSTS): a DNS-rebinding page, say."""


class CORSRefused(RequestRefused):
    """A browser's CORS preflight for an origin, method or header the API does not allow."""


class NotAuthenticated(RequestRefused):
    """No key, an unknown key or a revoked key where a key is required.

    ``challenge`` is the ``WWW-Authenticate`` header every 401 carries (RFC 6750): ``Bearer``
    when no key was sent, ``Bearer error="invalid_token"`` when the key sent is not valid."""

    def __init__(self, message: str, challenge: str = "Bearer") -> None:
        super().__init__(message)
        self.challenge = challenge


class DuplicateHeader(RequestRefused):
    """A header that must come once came several times (``Authorization``, ``Host``): which
    one counts differs from one proxy or framework to the next, so none is chosen."""


class PermissionDenied(RequestRefused):
    """The key is valid but its scope or origin does not allow this request."""


class OriginNotAllowed(PermissionDenied):
    """A page of another origin tried to change or read something (QA_CORS_ORIGINS)."""


class UnsupportedMediaType(RequestRefused):
    """The body's Content-Type is not the one the route reads (application/json)."""


class BodyTooLarge(RequestRefused):
    """The request body is longer than QA_MAX_BODY_BYTES."""


class BodyTimeout(RequestRefused):
    """The request body trickled in slower than the server waits for it."""


class RateLimited(RequestRefused):
    """Too many requests from one key or client address (QA_RATE_LIMIT,
    QA_ANONYMOUS_RATE_LIMIT). ``headers``: the RateLimit header fields of the refusal."""

    def __init__(
        self, message: str, retry_after: int, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = headers or []


class ServiceBusy(QAServiceError):
    """Too many questions are waiting already (QA_MAX_QUEUE): try again shortly."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WritesBusy(ServiceBusy):
    """Another write (on any replica, or an operator's command) held the writers' lock for
    longer than QA_BACKEND_TIMEOUT: try again shortly."""
