"""Who may call which route: ``Authorization: Bearer KEY`` checked against the key store.

QA_AUTH decides whether a key is needed: ``required`` always on ``/v1``, ``off`` never, and
``auto`` (the default) as soon as one key exists. Without any key the service answers
anonymously, and ``serve`` refuses to start on anything but a loopback address
(``check_can_start``). The edge (security.py) calls ``Authenticator.__call__`` for every
``/v1`` request a route takes, after the origin check and before the media-type check and
the rate limit, and for ``/docs`` and ``/openapi.json`` unless QA_PUBLIC_DOCS (a read key).
"""

import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import Scope as AsgiScope

from qa_service import errors
from qa_service.access import AccessService, Scope, allows, origin_of
from qa_service.api.security import Caller, is_loopback, is_write, one_header
from qa_service.config import Settings
from qa_service.stores.base import KeyRecord

INVALID_KEY = 'Bearer error="invalid_token"'
"""The 401 challenge for a key that was sent but is unknown or revoked (RFC 6750, 3.1)."""


ADMIN_KEY_NEEDED = (
    "creating, listing or revoking keys and reading the audit log over HTTP need an admin "
    "key, also where no key is required: send the header 'Authorization: Bearer KEY' (the "
    "first one is created on the host with `qa-service keys create --name NAME --scope admin`)"
)


def required_scope(method: str, path: str) -> Scope:
    """The least scope a /v1 request needs (a conversation is its owner's, checked later)."""
    if path.startswith("/v1/keys") or path == "/v1/audit" or path.startswith("/v1/audit/"):
        return "admin"
    if is_write(method, path) and not path.startswith("/v1/conversations/"):
        return "write"
    return "read"


def changes_keys(method: str, path: str) -> bool:
    """Creating, revoking or reading keys and reading the audit log: always an admin key's,
    even where no key is required (anonymous loopback mode, QA_AUTH=off). Otherwise the
    first anonymous caller could create a key, which switches QA_AUTH=auto to keys required,
    and lock out everyone else (the page included) with no admin key in existence; and
    anyone could read the key inventory (names, scopes, origins, prefixes) and who wrote
    what, which creating a key would not let them do."""
    del method  # every method: the list and the audit log are as much an admin's
    return required_scope("GET", path) == "admin"


class InvalidKeyLimit:
    """QA_INVALID_KEY_RATE_LIMIT: requests with a key that is not valid, per client
    address. Past it the address gets 429 for every key its cached copy does not accept,
    and its unknown keys no longer make the store re-read the keys (access.py)."""

    def __init__(self, spec: str | None) -> None:
        self.items = parse_many(spec) if spec else []
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def exhausted(self, address: str) -> errors.RateLimited | None:
        """The refusal for ``address`` if it has used up a limit (nothing counted)."""
        for item in self.items:
            if not self.limiter.test(item, address):
                stats = self.limiter.get_window_stats(item, address)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                return errors.RateLimited(
                    f"too many requests with keys that are not valid from this address "
                    f"({item}): send a valid key in 'Authorization: Bearer KEY'",
                    wait,
                )
        return None

    def count(self, address: str) -> None:
        for item in self.items:
            self.limiter.hit(item, address)


def bearer(headers: Headers) -> str | None:
    """The key of ``Authorization: Bearer KEY`` (also what the OpenAI clients send). Two or
    more ``Authorization`` headers are refused, as gateways refuse them: the first one was
    taken, while a proxy in front may have checked another."""
    value = one_header(headers, "Authorization", ", 'Authorization: Bearer KEY'")
    scheme, _, key = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return key.strip() or None


class Authenticator:
    """``access`` is set in the app's lifespan, once the stores are open."""

    def __init__(self, settings: Settings, access: AccessService | None = None) -> None:
        self.mode = settings.auth
        self.access = access
        self.invalid_keys = InvalidKeyLimit(settings.invalid_key_rate_limit)

    @property
    def store(self) -> AccessService:
        assert self.access is not None, "the app's lifespan opens the key store"
        return self.access

    def keys_required(self) -> bool:
        return self.mode == "required" or (self.mode == "auto" and self.store.any_keys())

    def key_origins(self) -> set[str]:
        return self.store.origins()

    def identify(self, headers: Headers) -> KeyRecord | None:
        """The valid key a request carries, or None (no key, unknown, revoked)."""
        secret = bearer(headers)
        key = self.store.find(secret) if secret else None
        return key if key is not None and key.revoked_at is None else None

    def __call__(self, scope: AsgiScope, headers: Headers, caller: Caller) -> None:
        admin_only = changes_keys(scope["method"], scope["path"])
        if admin_only and bearer(headers) is None:
            # Refused before the key store is asked: a request without credentials needs no
            # database to be told so (a 401 also while PostgreSQL is down, not its 503).
            raise errors.NotAuthenticated(ADMIN_KEY_NEEDED)
        if not admin_only and not self.keys_required():
            # No key needed: a valid key that is sent names the caller (the audit log's
            # key_name) where it would be accepted, were keys required: its scope and its
            # origins allow the request. A read key sent with a write did not make it (the
            # write is anonymous, as without a key), and any other key (an OpenAI client's
            # placeholder) is ignored, as no key is.
            key = self.identify(headers)
            if key is not None and self._refusal(key, scope, headers) is None:
                caller.key, caller.key_id, caller.scope = key.name, key.id, key.scope
            return
        secret = bearer(headers)
        if secret is None:
            raise errors.NotAuthenticated(
                "this service needs a key: send the header 'Authorization: Bearer KEY'"
            )
        limited = self.invalid_keys.exhausted(caller.address)
        key = self.store.find(secret, reread=limited is None)
        if key is None or key.revoked_at is not None:
            if limited is not None:
                raise limited
            self.invalid_keys.count(caller.address)
            if key is None:
                raise errors.NotAuthenticated("the key is not valid", INVALID_KEY)
            raise errors.NotAuthenticated(f"the key {key.name!r} was revoked", INVALID_KEY)
        if (refused := self._refusal(key, scope, headers)) is not None:
            raise refused
        caller.key, caller.key_id, caller.scope = key.name, key.id, key.scope

    @staticmethod
    def _refusal(
        key: KeyRecord, scope: AsgiScope, headers: Headers
    ) -> errors.PermissionDenied | None:
        """Why a valid ``key`` may not make this request (the page's origin, or the key's
        scope), or None: it may."""
        if key.origins and origin_of(headers.get("origin", "")) not in key.origins:
            return errors.PermissionDenied(
                f"the key {key.name!r} is accepted only from pages of {', '.join(key.origins)}"
            )
        needed = required_scope(scope["method"], scope["path"])
        if not allows(key, needed):
            return errors.PermissionDenied(
                f"this needs a key with the {needed!r} scope; {key.name!r} has {key.scope!r}"
            )
        return None


def check_can_start(settings: Settings, store: AccessService, host: str) -> None:
    """Refuse to serve a network without keys: anonymous access is for loopback only."""
    if settings.auth == "auto" and not is_loopback(host) and not store.any_keys():
        raise errors.QAServiceError(
            f"refusing to serve {host} without API keys: create one with "
            "`qa-service keys create --name NAME --scope admin`, or set QA_AUTH=off"
        )


async def get_caller(request: Request) -> Caller:
    """The caller the edge identified; anonymous where the edge did not look (not /v1)."""
    caller = request.scope.get("state", {}).get("caller")
    return caller or Caller(address=request.client.host if request.client else "unknown")


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_access(request: Request) -> AccessService:
    return request.app.state.auth.store


AccessDep = Annotated[AccessService, Depends(get_access)]


async def get_authenticator(request: Request) -> Authenticator:
    return request.app.state.auth


AuthDep = Annotated[Authenticator, Depends(get_authenticator)]
