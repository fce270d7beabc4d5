"""The edge: what every request must pass before a route runs.

A service on 127.0.0.1 is still reachable from every web page its user opens: a page can send
"simple" requests (form posts, ``text/plain`` bodies) to any address without asking, and a
DNS-rebinding page even becomes same-origin with it. So, in this order, for each request:

1. ``Host`` names an allowed host (QA_ALLOWED_HOSTS): a rebinding page sends its own name, 400.
2. The body is at most QA_MAX_BODY_BYTES, counted while it is read (413): a declared
   ``Content-Length`` over the cap is refused before a byte is read, a chunked body is cut off
   when the count passes it; a body trickling in slower than BODY_CHUNK_TIMEOUT_S is 408.
3. On ``/v1``: a path no route has, or a method the route does not take, goes straight to the
   router (404 ``NotFound``, 405 ``MethodNotAllowed``): what a request asks for is settled
   before whether it is allowed or well-formed, so a typo never looks like a missing key.
4. On ``/v1``: a request from a page of another origin (``Origin``, ``Sec-Fetch-Site``) is
   refused (403) unless that origin is allowed; writes never follow ``*``.
5. On ``/v1``, and on ``/docs`` and ``/openapi.json`` unless QA_PUBLIC_DOCS: the caller's
   key (auth.py) is checked, 401 or 403.
6. On ``/v1``: bodies are ``application/json`` (the upload also ``multipart/form-data``), 415
   otherwise, so no page can post JSON disguised as a form.
7. The caller (a key, or the client address) is counted against QA_RATE_LIMIT (429).

Refusals are answered in the route's error shape (api/errors.py): ``{"detail", "type"}``, or
OpenAI's on the OpenAI routes.
"""

import email.message
import ipaddress
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import anyio
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa_service import errors
from qa_service.access import origin_of, same_host
from qa_service.api.errors import NOT_UTF8, error_response
from qa_service.config import Settings
from qa_service.ingest.formats import media_type
from qa_service.tuning.serving import BODY_CHUNK_TIMEOUT_S, ROUTED_PATHS_KEPT

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes whose POST only reads (asks); every other non-GET request under /v1 changes something.
_ASKING = frozenset({"/v1/ask", "/v1/chat", "/v1/chat/completions"})
_MULTIPART_ROUTES = frozenset({"/v1/documents"})
# Swagger UI and the OpenAPI document: a key once keys are required, unless QA_PUBLIC_DOCS.
# Swagger UI's script and style (/docs/assets) are the package's files, public like the page.
API_DESCRIPTION = frozenset({"/docs", "/openapi.json"})


def is_write(method: str, path: str) -> bool:
    """Does this request change stored state (documents, keys, deleting conversations)?"""
    return method in WRITE_METHODS and path not in _ASKING


def by_capability(method: str, path: str) -> bool:
    """Deleting a conversation: its id (a random uuid4) is the capability to it, given only
    to whoever started the conversation. Under QA_CORS_ORIGINS ``*`` (no keys) a page of any
    origin may start one (an ask) and read it back by that id, so it may delete it too: the
    one write that follows ``*`` (README, Security)."""
    return method == "DELETE" and path.startswith("/v1/conversations/")


def host_name(host_header: str) -> str:
    """``Host: [::1]:8000`` -> ``::1``; ``Host: Example.org.`` -> ``example.org``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def one_header(headers: Headers, name: str, how: str = "") -> str:
    """The header ``name`` ("" when missing). Two or more are refused, ``how`` added to the
    message: the first would be checked here while a proxy in front may act on another. For
    ``Host`` RFC 9112 section 3.2 says a server MUST answer 400; a second ``Content-Type``
    made the same body JSON or refused text by the headers' order; gateways refuse two
    ``Authorization`` headers."""
    values = headers.getlist(name)
    if len(values) > 1:
        raise errors.DuplicateHeader(f"the request has {len(values)} {name} headers: send one{how}")
    return values[0] if values else ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """A bind address or host name that only this machine reaches."""
    name = host_name(host) if host else host
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass
class OriginPolicy:
    """Which other sites' pages may call the API: QA_CORS_ORIGINS plus the origins of
    origin-bound keys (``key_origins``, filled in by auth.py)."""

    configured: Collection[str]
    key_origins: Callable[[], Collection[str]] = field(default=lambda: ())
    keys_required: Callable[[], bool] = field(default=lambda: False)

    @property
    def any_reader(self) -> bool:
        """QA_CORS_ORIGINS has "*" and no key is required: any page may read."""
        return "*" in self.configured and not self.keys_required()

    def listed(self, origin: str) -> bool:
        origin = origin_of(origin)
        return origin in {origin_of(o) for o in self.configured if o != "*"} or origin in {
            origin_of(o) for o in self.key_origins()
        }

    def allows(self, origin: str, write: bool) -> bool:
        """``*`` lets any page read (CORS); a write needs its origin listed by name."""
        return self.listed(origin) or (self.any_reader and not write)


_BODY_HEADERS = ("content-length", "content-type")


class PolicyCORS(CORSMiddleware):
    """Starlette's CORS, asking the policy at each request: the allow-list grows and shrinks
    with origin-bound keys, and is never ``*`` once keys are required."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        super().__init__(
            app,
            allow_origins=(),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["*"],
            expose_headers=["Retry-After", "RateLimit", "RateLimit-Policy"],
        )
        self.policy = policy

    def is_allowed_origin(self, origin: str) -> bool:
        return self.policy.allows(origin, write=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Starlette refuses a preflight with a plain-text 400; ours says it in the API's
        error shape (OpenAI's on the OpenAI routes), with the same status and headers."""
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if (
            headers is None
            or scope["method"] != "OPTIONS"
            or "origin" not in headers
            or "access-control-request-method" not in headers
        ):
            await super().__call__(scope, receive, send)
            return
        response = self.preflight_response(request_headers=headers)
        if response.status_code == 400:
            reason = bytes(response.body).decode("utf-8", "replace")  # "Disallowed CORS origin"
            refused = error_response(scope, errors.CORSRefused(reason))
            kept = {k: v for k, v in response.headers.items() if k not in _BODY_HEADERS}
            refused.headers.update(kept)
            response = refused
        await response(scope, receive, send)


def allowed_hosts(settings: Settings, bound_host: str | None = None) -> frozenset[str] | None:
    """The host names a request may name; None: any. IP addresses are checked elsewhere."""
    if settings.allowed_hosts is not None:
        names = {host_name(h) for h in settings.allowed_hosts}
        return None if "*" in names else frozenset(names)
    return frozenset({*LOOPBACK_NAMES, host_name(bound_host or settings.host)})


@dataclass
class Caller:
    """Who sent the request, as the edge sees it (auth.py fills in ``key``)."""

    address: str
    key: str | None = None  # the key's name, never the key
    key_id: str | None = None  # owner of the conversations it starts (None: anonymous)
    scope: str | None = None  # the key's scope (None: no valid key named the caller)

    @property
    def bucket(self) -> str:
        return f"key:{self.key}" if self.key else f"addr:{self.address}"


@dataclass(frozen=True)
class RatePolicy:
    """One limit of QA_RATE_LIMIT (every caller) or QA_ANONYMOUS_RATE_LIMIT (no key)."""

    name: str
    item: RateLimitItem
    anonymous_only: bool

    @property
    def window_s(self) -> int:
        return int(self.item.get_expiry())


def _policies(spec: str | None, prefix: str, anonymous_only: bool) -> list[RatePolicy]:
    """Named by whom and per how long they count: ``caller-1s``, ``anonymous-60s``."""
    policies: list[RatePolicy] = []
    for item in parse_many(spec) if spec else []:
        name = f"{prefix}-{int(item.get_expiry())}s"
        taken = {p.name for p in policies}
        name = next(n for i in range(len(taken) + 1) if (n := f"{name}{i or ''}") not in taken)
        policies.append(RatePolicy(name, item, anonymous_only))
    return policies


RateHeaders = list[tuple[bytes, bytes]]


class RateLimits:
    """QA_RATE_LIMIT per caller (a key, or the client address), and QA_ANONYMOUS_RATE_LIMIT
    per client address of callers without a key, in this process's memory (per replica).

    Every counted answer says where the caller stands in the IETF RateLimit header fields
    of draft-ietf-httpapi-ratelimit-headers-11 (the combined form): ``RateLimit-Policy``
    lists the policies (``"caller-1s";q=10;w=1``), ``RateLimit`` the quota left in each and
    the seconds until it is whole again (``"caller-1s";r=7;t=1``)."""

    def __init__(self, spec: str | None, anonymous_spec: str | None = None) -> None:
        self.policies = [
            *_policies(spec, "caller", anonymous_only=False),
            *_policies(anonymous_spec, "anonymous", anonymous_only=True),
        ]
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, caller: Caller) -> RateHeaders:
        """Count one request; the header fields for its answer. Raises RateLimited (with
        the same fields) when a policy's quota is used up."""
        applied = [p for p in self.policies if caller.key is None or not p.anonymous_only]
        if not applied:
            return []
        now = time.time()
        left: list[str] = []
        refused: tuple[RatePolicy, int] | None = None
        for policy in applied:
            allowed = refused is None and self.limiter.hit(policy.item, caller.bucket)
            stats = self.limiter.get_window_stats(policy.item, caller.bucket)
            wait = min(policy.window_s, max(0, math.ceil(stats.reset_time - now)))
            left.append(f'"{policy.name}";r={max(0, stats.remaining)};t={wait}')
            if not allowed and refused is None:
                refused = (policy, max(1, wait))
        headers = [
            (b"ratelimit-policy", ", ".join(self._policy(p) for p in applied).encode()),
            (b"ratelimit", ", ".join(left).encode()),
        ]
        if refused is not None:
            policy, wait = refused
            whom = "per caller" if not policy.anonymous_only else "per address without a key"
            raise errors.RateLimited(
                f"rate limit exceeded: {policy.item} {whom}", wait, headers=headers
            )
        return headers

    @staticmethod
    def _policy(policy: RatePolicy) -> str:
        return f'"{policy.name}";q={policy.item.amount};w={policy.window_s}'


Authenticate = Callable[[Scope, Headers, Caller], None]


def _address(scope: Scope) -> str:
    return str((scope.get("client") or ("unknown", 0))[0])


def _no_auth(scope: Scope, headers: Headers, caller: Caller) -> None:
    return None


class EdgeGuard:
    """ASGI middleware applying the checks of this module's docstring."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        policy: OriginPolicy,
        authenticate: Authenticate = _no_auth,
        bound_host: str | None = None,
        router: Router | None = None,
    ) -> None:
        self.app = app
        self.router = router
        self.max_body = settings.max_body_bytes
        self.hosts = allowed_hosts(settings, bound_host)
        self.policy = policy
        self.authenticate = authenticate
        self.limits = RateLimits(settings.rate_limit, settings.anonymous_rate_limit)
        self.public_docs = settings.public_docs
        self._routed_paths: dict[tuple[str, str, str], bool] = {}  # (method, root, path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            rate_headers = self._check(scope, headers)
            self._check_queue(scope)
        except errors.QAServiceError as exc:
            response = error_response(scope, exc)
            if isinstance(exc, errors.ServiceBusy):
                response.raw_headers += rate_headers  # a counted request, as the route's 503
            await response(scope, receive, send)
            return
        await self._guard_body(scope, receive, send, rate_headers)

    @staticmethod
    def _check_queue(scope: Scope) -> None:
        """A question that its process's full queue would refuse (QA_MAX_QUEUE) is refused
        here, after every other check, without reading its body into a schema and routing it:
        under overload refusals come as often as answers (64 clients, 2 workers: ~28 a second),
        and each one took the event loop about as long as an answer's HTTP cycle
        (benchmarks/README.md, "Throughput", latency9). The route checks again when it admits
        the question; this is only the cheap early answer. Its body stays unread: uvicorn drops
        the body of a request answered without reading it, and the connection goes on."""
        if scope["method"] != "POST" or scope["path"] not in _ASKING:
            return
        app = scope.get("app")
        compute = getattr(getattr(app, "state", None), "compute", None)
        refusal = compute.refusal() if compute is not None else None
        if refusal is not None:
            raise refusal

    def _check(self, scope: Scope, headers: Headers) -> RateHeaders:
        """The refusal (raised), or the RateLimit header fields of a counted request."""
        host = host_name(one_header(headers, "Host"))
        if self.hosts is not None and host not in self.hosts and not _is_ip(host):
            raise errors.HostNotAllowed(
                f"this service is not served as {host[:100]!r}; allowed hosts are set in "
                "QA_ALLOWED_HOSTS"
                if host
                else "the request names no host: send a Host header with the name or "
                "address the service is reached at (allowed hosts are set in QA_ALLOWED_HOSTS)"
            )
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            raise errors.BodyTooLarge(self._too_large())
        path, method = scope["path"], scope["method"]
        if path in API_DESCRIPTION and not self.public_docs:
            # The API's description is the API's: a key once keys are required. Not counted
            # against the rate limit, like the page.
            self.authenticate(scope, headers, Caller(address=_address(scope)))
            return []
        if not (path == "/v1" or path.startswith("/v1/")):
            return []
        if not self._routed(scope):
            return []  # the router answers 404 or 405
        write = is_write(method, path)
        if write and by_capability(method, path) and self.policy.any_reader:
            write = False  # a page holding the conversation's id may delete it
        self._check_origin(headers, write)
        caller = Caller(address=_address(scope))
        self.authenticate(scope, headers, caller)
        scope.setdefault("state", {})["caller"] = caller
        if method in WRITE_METHODS and method != "DELETE":
            self._check_media_type(headers, path)
        return self.limits.check(caller)

    def _routed(self, scope: Scope) -> bool:
        """Does a route take this path with this method? (True when no router was given.)
        Kept per request line (``ROUTED_PATHS_KEPT``): the routes do not change."""
        if self.router is None:
            return True
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        routed = self._routed_paths.get(key)
        if routed is None:
            routed = any(route.matches(scope)[0] is Match.FULL for route in self.router.routes)
            if len(self._routed_paths) >= ROUTED_PATHS_KEPT:
                self._routed_paths.clear()
            self._routed_paths[key] = routed
        return routed

    def _check_origin(self, headers: Headers, write: bool) -> None:
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site", "")
        if origin is not None:
            if same_host(origin, headers.get("host", "")):
                return  # same origin
            if self.policy.allows(origin, write):
                return
            raise errors.OriginNotAllowed(
                f"requests from pages of {origin[:100]!r} are not allowed "
                "(QA_CORS_ORIGINS, or a key created with --origin)"
            )
        if write and site in ("cross-site", "same-site"):
            raise errors.OriginNotAllowed("a page of another site may not change anything here")

    @staticmethod
    def _check_media_type(headers: Headers, path: str) -> None:
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            raise errors.UnsupportedMediaType(
                f"Content-Encoding {encoding[:40]!r} is not supported: send the body "
                "uncompressed, as UTF-8 JSON"
            )
        content_type = one_header(headers, "Content-Type")
        media = media_type(content_type)
        accepted = ["application/json"]
        if path in _MULTIPART_ROUTES:
            accepted.append("multipart/form-data")
        if media not in accepted:
            raise errors.UnsupportedMediaType(
                f"send the body as {' or '.join(accepted)}, not {media[:60] or 'no content-type'}"
            )
        charset = _charset(content_type)
        utf8 = not isinstance(charset, str) or charset.strip().lower() in ("utf-8", "utf8")
        if media == "application/json" and not utf8:
            raise errors.UnsupportedMediaType(
                f"only UTF-8 JSON is accepted, not charset={str(charset)[:40]}"
            )

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body} bytes (QA_MAX_BODY_BYTES)"

    async def _guard_body(
        self, scope: Scope, receive: Receive, send: Send, rate_headers: RateHeaders
    ) -> None:
        """Count the body as the route reads it; past the cap (or a stalled body) the route
        sees a disconnect, its response is dropped and ours is sent instead."""
        received = 0
        refused: errors.QAServiceError | None = None
        body_done = scope["method"] in ("GET", "HEAD")
        json_body = media_type(Headers(scope=scope).get("content-type")) == "application/json"
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, refused, body_done
            if refused is not None:
                return {"type": "http.disconnect"}
            if body_done:
                return await receive()
            try:
                with anyio.fail_after(BODY_CHUNK_TIMEOUT_S):
                    message = await receive()
            except TimeoutError:
                refused = errors.BodyTimeout(
                    f"the request body stalled for {BODY_CHUNK_TIMEOUT_S:.0f} s"
                )
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                if json_body and received == 0 and _wide_json(message.get("body", b"")):
                    refused = errors.UnsupportedMediaType(NOT_UTF8)
                    return {"type": "http.disconnect"}
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.max_body:
                    refused = errors.BodyTooLarge(self._too_large())
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return
            if message["type"] == "http.response.start":
                started = True
                if rate_headers:
                    message = {**message, "headers": [*message.get("headers", []), *rate_headers]}
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if refused is None or started:
                raise
        if refused is not None and not started:
            response = error_response(scope, refused)
            response.headers["connection"] = "close"  # the rest of the body is never read
            await response(scope, receive, send)


def _charset(content_type: str) -> object:
    """The charset parameter of a Content-Type as ``email`` reads it (None: not given). The
    parser runs only when there are parameters: it took ~10-40 us of each request's edge
    checks for the usual bare "application/json" (benchmarks/README.md, Latency, latency14)."""
    if ";" not in content_type:
        return None
    declared = email.message.Message()
    declared["content-type"] = content_type
    return declared.get_param("charset")


def _wide_json(head: bytes) -> bool:
    """Does a JSON body open as UTF-16 or UTF-32 (a byte-order mark, or a NUL among its
    first four bytes: how Python's json tells them, and reads them)? Only UTF-8 is taken
    (README; RFC 8259 section 8.1), on every route alike."""
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]


def security_headers(app: ASGIApp) -> ASGIApp:
    """``nosniff`` on every response: a JSON answer quoting an article never runs as HTML."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
