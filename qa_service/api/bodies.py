"""JSON bodies read with each key once per object.

Python's reader keeps the last of two equal keys (``{"id": "a", "id": "b"}`` is ``b``)
while other readers keep the first or refuse: a gateway that checked one value and a
service that acts on the other is the classic JSON interoperability hole, and a client
that sent two values meant something by each. So a duplicate key is refused like JSON
that cannot be read (RFC 8259 leaves the behaviour open, RFC 7493 I-JSON forbids it), as
an upload's form field sent twice and two ``Authorization`` headers already are.
"""

import contextlib
import json
from collections.abc import Callable, Coroutine
from json.decoder import JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class DuplicateKey(ValueError):
    """An object of the body holds one key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


def loads(raw: bytes | str) -> Any:
    """``json.loads`` that refuses a duplicate key with a ``json.JSONDecodeError`` at the
    object holding it, so every route answers it as it answers a body that is not JSON
    (422 ``json_invalid`` at ``("body", position)``; 400 on the OpenAI routes)."""
    try:
        return json.loads(raw, object_pairs_hook=_unique)
    except DuplicateKey as duplicate:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        message = f"the key {json.dumps(duplicate.key)[:82]} is given twice in one object"
        raise json.JSONDecodeError(message, text, _object_start(text)) from None


def _object_start(text: str) -> int:
    """Where the innermost object holding a duplicate key opens. The C reader does not say;
    this second, pure-Python read (only for a body already refused) records it."""
    starts: list[int] = []

    def parse_object(state: tuple[str, int], *args: Any) -> Any:
        try:
            return JSONObject(state, *args)
        except DuplicateKey:
            if not starts:
                starts.append(state[1] - 1)
            raise

    decoder = json.JSONDecoder(object_pairs_hook=_unique)
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = py_make_scanner(decoder)  # type: ignore[attr-defined]
    with contextlib.suppress(DuplicateKey, RecursionError):
        decoder.decode(text)
    return starts[0] if starts else 0


class _UniqueKeysRequest(Request):
    """The route's request, reading the body through the request the exception handlers
    get: a handler that reads the body again (``api/errors.py``) finds it there, instead
    of waiting for bytes the client has sent already."""

    def __init__(self, request: Request) -> None:
        super().__init__(request.scope, request.receive)
        self._sent = request

    async def body(self) -> bytes:
        return await self._sent.body()

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class UniqueKeysRoute(APIRoute):
    """A route whose JSON body FastAPI reads with :func:`loads`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_UniqueKeysRequest(request))

        return route
