"""API keys with scopes, and the audit log of every write, over the document store.

Only a key's SHA-256 is stored. A key is ``qa-`` + 43 random URL-safe characters (256 bits):
hashing it needs no salt or slow KDF, since nobody can guess through 2**256 candidates. A
request's key is found by its short public prefix, then compared hash to hash with
``hmac.compare_digest``, so the time taken says nothing about how much of a key was right.
The key itself is shown once, at creation, and never logged or stored.

Scopes nest: ``read`` asks, chats and reads documents and its own conversations; ``write``
adds posting, replacing and deleting documents; ``admin`` adds keys and the audit log.

The keys are kept in memory and re-read from the store at most every KEY_CACHE_S, at once
after this process changed them, and when a request brings a key the copy does not know
(bounded by KEY_REREAD_LIMIT): a key created through one replica works on all at once, a
key revoked through one replica is refused by the others within KEY_CACHE_S.
"""

import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal
from urllib.parse import urlsplit

import idna
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from qa_service.errors import InvalidInput, KeyNotFound
from qa_service.stores.base import AuditEntry, DocumentStore, KeyRecord
from qa_service.textcheck import CONTROL_CHARACTERS
from qa_service.tuning.limits import KEY_REREAD_LIMIT
from qa_service.tuning.stores import KEY_CACHE_S, LAST_USED_EVERY_S

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
KEY_PREFIX = "qa-"
PREFIX_CHARS = 10
""""qa-" and 7 random characters: shown in listings (to tell keys apart), used to find the row;
2**42 values, so a prefix shared by two keys is rare and only costs one more comparison."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # the whole name: fullmatch ("$"
# matches before a final line break: "ops\n" would pass a match)


def allows(key: KeyRecord, needed: Scope) -> bool:
    return SCOPES.index(key.scope) >= SCOPES.index(needed)  # type: ignore[arg-type]


def public(key: KeyRecord) -> dict[str, object]:
    """What listings show: everything but the hash and the internal id."""
    return {
        "name": key.name,
        "scope": key.scope,
        "origins": list(key.origins),
        "prefix": key.prefix,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked": key.revoked_at is not None,
        "revoked_at": key.revoked_at,
    }


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", errors="replace")).hexdigest()


_DEFAULT_PORTS = {"http": 80, "https": 443}
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")  # the whole host: fullmatch
_BAD_ORIGIN_CHARS = re.compile(rf"[{CONTROL_CHARACTERS}\s]")
"""Control characters (C0, DEL, C1) and whitespace (tab and line breaks among it): urlsplit
silently drops tabs and newlines, and a browser never sends either in an Origin."""


def _ascii_host(host: str) -> str:
    """A host name as browsers send it: IDNA (UTS #46, the WHATWG URL standard's mapping),
    so ``bücher.example`` is ``xn--bcher-kva.example``; an IPv6 address in brackets.
    Raises ValueError (idna's errors are ValueErrors) for a name that is not one."""
    if ":" in host:
        return f"[{ipaddress.IPv6Address(host)}]"
    if not host.isascii():
        host = idna.encode(host, uts46=True).decode("ascii")
    if not _ASCII_HOST.fullmatch(host):
        raise ValueError(f"not a host name: {host[:80]!r}")
    return host


def _canonical_origin(value: str) -> str:
    """``https://Site.example:443`` -> ``https://site.example``: the form browsers send
    (RFC 6454: lower case, ASCII host, no default port). Raises ValueError for anything
    that is not scheme://host[:port] with an optional "/"."""
    if _BAD_ORIGIN_CHARS.search(value):
        raise ValueError("control characters or whitespace")
    parts = urlsplit(value)  # ValueError for an unbalanced bracket
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError("the scheme is not http or https")
    if parts.username is not None or parts.password is not None:
        raise ValueError("user information")
    if parts.path not in ("", "/") or "?" in value or "#" in value:
        raise ValueError("a path, query or fragment")
    if not parts.hostname:
        raise ValueError("no host")
    scheme, host, port = parts.scheme.lower(), _ascii_host(parts.hostname), parts.port
    if port == 0:
        raise ValueError("port 0")
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str:
    """The origin ``url`` names, in the form browsers send (see _canonical_origin). Never
    raises: a value that is not an origin (``null``, ``http://[``, a path) comes back as it
    is, so it matches no allowed origin and the request is refused, not answered 500."""
    value = url.strip()
    try:
        return _canonical_origin(value)
    except ValueError:
        return value


def same_host(origin: str, host_header: str) -> bool:
    """Is ``origin`` this service itself, as the Host header names it?"""
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc.lower() == host_header.lower()


def _origin(origin: str) -> str:
    """A key's origin, checked and stored as browsers will send it (InvalidInput if not
    one): nothing is dropped silently, so a path or a tab is refused, not ignored."""
    try:
        return _canonical_origin(origin)
    except ValueError as exc:
        raise InvalidInput(
            f"an origin is scheme://host[:port], like https://site.example, not "
            f"{origin[:80]!r} ({exc})"
        ) from None


class AccessService:
    """Keys and the audit log; one per process, shared by the request threads."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._loaded_at = -float("inf")
        self._by_prefix: dict[str, list[KeyRecord]] = {}
        self._generation = 0  # bumped by ``_forget``: a re-read begun before it is dropped
        self._used: dict[str, float] = {}
        self._rereads = MovingWindowRateLimiter(MemoryStorage())
        self._reread_limit = parse(KEY_REREAD_LIMIT)

    def _keys(self, max_age: float = KEY_CACHE_S) -> dict[str, list[KeyRecord]]:
        """The keys by prefix, re-read when older than ``max_age``. The read runs outside
        the lock: with the database down, requests holding a lock across it waited their
        timeouts one after the other (8 at once: the last 503 after 35 s). Threads that find
        the copy stale at the same moment each read (a few hundred rows); a read that began
        before ``_forget`` is not kept, so this process sees its own key changes at once."""
        with self._lock:
            if time.monotonic() - self._loaded_at < max_age:
                return self._by_prefix
            generation = self._generation
        started = time.monotonic()
        keys = self.store.api_keys()
        by_prefix: dict[str, list[KeyRecord]] = {}
        for key in keys:
            # As browsers send them, also for keys stored before origins were
            # (an IDN origin stored in Unicode never matched a browser).
            key = replace(key, origins=tuple(origin_of(o) for o in key.origins))
            by_prefix.setdefault(key.prefix, []).append(key)
        with self._lock:
            if generation == self._generation and started >= self._loaded_at:
                self._by_prefix, self._loaded_at = by_prefix, started
        return by_prefix

    def _forget(self) -> None:
        with self._lock:
            self._loaded_at = -float("inf")
            self._generation += 1

    def create(
        self, name: str, scope: str, origins: Sequence[str] = (), by: str | None = None
    ) -> tuple[KeyRecord, str]:
        """A new key: its record and the key itself (the only time it exists).
        ``by``: the key that created it, for the audit log (None: the CLI)."""
        if not _NAME.fullmatch(name):
            raise InvalidInput(
                "a key name is 1-64 ASCII letters (A-Z, a-z), digits, '.', '_' or '-', "
                f"starting with a letter or digit, not {name[:80]!r}"
            )
        if scope not in SCOPES:
            raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, not {scope[:20]!r}")
        if origins and scope != "read":
            # Any client can send a page's Origin header: the binding protects nothing a
            # write or admin key could do (README, "Threat model").
            raise InvalidInput(
                f"a key bound to origins is a widget's key and must have scope read, not {scope!r}"
            )
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = KeyRecord(
            id=secrets.token_hex(8),
            name=name,
            scope=scope,
            origins=tuple(dict.fromkeys(_origin(o) for o in origins)),
            prefix=secret[:PREFIX_CHARS],
            key_hash=hash_key(secret),
            created_at=time.time(),
        )
        self.store.add_key(key)
        self._forget()
        self.record(by, "key.create", detail=f"{name} ({scope})")
        return key, secret

    def all_keys(self) -> list[KeyRecord]:
        return self.store.api_keys()

    def revoke(self, name: str, by: str | None = None, keep_an_admin: bool = False) -> None:
        """Revoking a revoked key changes nothing, so it is not audited again.
        ``keep_an_admin`` (over HTTP): refuse to revoke the last active admin key, which would
        leave the admin routes to whoever has a shell on the host."""
        # No key has another name (a NUL is not even storable); one line break at the end
        # was let through before names were matched whole, so such a key can be revoked.
        if not _NAME.fullmatch(name.removesuffix("\n")):
            raise KeyNotFound(f"no key named {name[:80]!r}")
        keys = self.store.api_keys()
        was_revoked = any(k.name == name and k.revoked_at for k in keys)
        # The store decides in the revocation's own transaction (LastAdminKey): two admins
        # revoking each other's keys at once must not both see another admin left.
        if not self.store.revoke_key(name, time.time(), keep_an_admin=keep_an_admin):
            raise KeyNotFound(f"no key named {name!r}")
        self._forget()
        if not was_revoked:
            self.record(by, "key.revoke", detail=name)

    def any_keys(self) -> bool:
        """Has any key ever been created (revoked ones count: auth does not switch off)?"""
        return bool(self._keys())

    def origins(self) -> set[str]:
        """Origins of the keys in force: with QA_CORS_ORIGINS, the CORS allow-list."""
        return {
            origin
            for keys in self._keys().values()
            for key in keys
            if key.revoked_at is None
            for origin in key.origins
        }

    def find(self, secret: str, reread: bool = True) -> KeyRecord | None:
        """The record of ``secret`` (revoked ones included), compared in constant time.

        A key the cached copy does not know may have been created a moment ago through
        another replica or the CLI: with ``reread`` the keys are read again before saying
        no (at most KEY_REREAD_LIMIT times a second, so a flood of invalid keys cannot keep
        the store busy), and a new key works on every replica at once."""
        found = self._match(secret, self._keys())
        if found is None and reread and self._rereads.hit(self._reread_limit, "keys"):
            found = self._match(secret, self._keys(max_age=0.0))
        if found is not None and found.revoked_at is None:
            now = time.time()
            if now - self._used.get(found.id, 0.0) >= LAST_USED_EVERY_S:
                self._used[found.id] = now
                self.store.touch_key(found.id, now)
        return found

    @staticmethod
    def _match(secret: str, by_prefix: dict[str, list[KeyRecord]]) -> KeyRecord | None:
        wanted = hash_key(secret)
        found = None
        for key in by_prefix.get(secret[:PREFIX_CHARS], []):
            if hmac.compare_digest(key.key_hash, wanted):
                found = key
        return found

    def record(
        self,
        key_name: str | None,
        action: str,
        document_id: str | None = None,
        content_hash: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.store.add_audit(
            AuditEntry(time.time(), key_name, action, document_id, content_hash, detail)
        )

    def audit(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        return self.store.audit(offset=offset, limit=limit)
