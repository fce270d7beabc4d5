"""Domain errors become HTTP responses here, and only here.

Our routes answer errors as ``{"detail": ..., "type": ...}`` (``type``: the domain error's
class, ``ValidationError`` for a request that does not fit its schema, or the HTTP status's
name such as ``NotFound``). The OpenAI-compatible routes answer them in
OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, so that OpenAI clients
raise their usual exceptions with a readable message; request validation errors there are
400, as OpenAI's own API answers them.
"""

import json
import math
import re
import sys
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.utils import is_body_allowed_for_status_code
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from qa_service import errors
from qa_service.textcheck import text_problem

# Most specific first: the first matching class decides the status.
STATUS: list[tuple[type[errors.QAServiceError], int]] = [
    (errors.HostNotAllowed, 400),
    (errors.CORSRefused, 400),
    (errors.DuplicateHeader, 400),
    (errors.NotAuthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.BodyTimeout, 408),
    (errors.BodyTooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.RateLimited, 429),
    (errors.ServiceBusy, 503),
    (errors.DocumentNotFound, 404),
    (errors.KeyNotFound, 404),
    (errors.KeyExists, 409),
    (errors.LastAdminKey, 409),
    (errors.ConversationNotFound, 404),
    (errors.DuplicateContent, 409),
    (errors.IdConflict, 409),
    (errors.DocumentTooLarge, 413),
    (errors.UnsupportedFormat, 415),
    (errors.InvalidInput, 422),
    (errors.EmbedderUnavailable, 503),
    (errors.RerankerUnavailable, 503),
    (errors.StoreUnavailable, 503),
    (errors.QAServiceError, 400),
]

# Routes whose clients expect OpenAI's error shape.
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")


class ErrorResponse(JSONResponse):
    """JSON that always renders: an error may echo what the client sent, which can hold
    lone surrogates UTF-8 cannot encode (they become "?") and NaN or Infinity, which JSON
    cannot hold (they become strings)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(
            _finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
        return text.encode("utf-8", errors="replace")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def status_for(exc: errors.QAServiceError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


# How much of a client's input an error may quote: enough to recognise it, never a 10 MB echo.
EXCERPT_CHARS = 80


def is_openai_path(request: Request | Scope) -> bool:
    scope = request.scope if isinstance(request, Request) else request
    path = scope["path"].removeprefix(scope.get("root_path", "") or "")
    return any(path == p or path.startswith(p + "/") for p in OPENAI_PATHS)


def excerpt(value: Any) -> Any:
    """Short input stays as it is; anything longer becomes its first characters and "…"."""
    if isinstance(value, str | int | float | bool) or value is None:
        text = value if isinstance(value, str) else None
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    if text is None or len(text) <= EXCERPT_CHARS:
        return value
    return text[:EXCERPT_CHARS] + "…"


def openai_error(
    status: int,
    message: str,
    param: str | None = None,
    code: str | None = None,
    kind: str | None = None,
) -> JSONResponse:
    """OpenAI's error body; ``kind`` is its ``type``, by default from the status."""
    kind = kind or ("server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return ErrorResponse(status_code=status, content=body)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _param(loc: tuple[Any, ...]) -> str | None:
    """("body", "messages", 0, "role") -> "messages[0].role", as OpenAI names parameters."""
    param = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        param += f"[{part}]" if isinstance(part, int) else f".{part}" if param else str(part)
    return param or None


def error_response(scope: Scope, exc: errors.QAServiceError) -> JSONResponse:
    """A domain error in the shape its route answers; used by the edge middleware too."""
    if is_openai_path(scope):
        status = 400 if isinstance(exc, errors.InvalidInput) else status_for(exc)
        if isinstance(exc, errors.RateLimited):  # as OpenAI's own rate limit answers
            response = openai_error(status, str(exc), code="rate_limit_exceeded", kind="requests")
        else:
            response = openai_error(status, str(exc), code=_snake(type(exc).__name__))
    else:
        body = {"detail": str(exc), "type": type(exc).__name__}
        if isinstance(exc, errors.BackendUnavailable):
            body["engine"] = exc.engine
        response = ErrorResponse(status_code=status_for(exc), content=body)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["retry-after"] = str(retry_after)
    if isinstance(exc, errors.RateLimited):
        for name, value in exc.headers:
            response.headers[name.decode()] = value.decode()
    if isinstance(exc, errors.NotAuthenticated):
        response.headers["www-authenticate"] = exc.challenge
    return response


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.QAServiceError)
    return error_response(request.scope, exc)


def explained(problem: Any) -> dict[str, Any]:
    """pydantic's "unable to parse raw data as a unicode string" (a lone surrogate in a field
    with a length or pattern) said as textcheck says it for every other field."""
    problem = dict(problem)
    given = problem.get("input")
    reason = text_problem(given) if isinstance(given, str) else None
    if problem.get("type") == "string_unicode" and reason:
        problem["msg"] = f"the value {reason}"
    return problem


def _short(problem: Any) -> dict[str, Any]:
    """A validation problem without the whole input (pydantic puts all of it in ``input``)."""
    problem = explained(problem)
    if "input" in problem:
        problem["input"] = excerpt(problem["input"])
    if isinstance(problem.get("ctx"), dict):
        problem["ctx"] = {k: excerpt(v) for k, v in problem["ctx"].items()}
    return problem


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if not is_openai_path(request):
        problems = [_short(p) for p in exc.errors()]
        return ErrorResponse(
            status_code=422,
            content={"detail": jsonable_encoder(problems), "type": "ValidationError"},
        )
    problems = [explained(p) for p in exc.errors()]
    first = problems[0] if problems else {}
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "")
        return openai_error(400, f"the request body is not valid JSON: {reason}".strip(": "))
    param = _param(tuple(first.get("loc", ())))
    message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    if param:
        message = f"{param}: {message}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem(s))"
    return openai_error(400, message, param, first.get("type"))


NOT_UTF8 = "the request body is not UTF-8: send JSON encoded in UTF-8, uncompressed"

HUGE_NUMBER = f"a number has more than {sys.get_int_max_str_digits():,} digits"
_HUGE_NUMBER = re.compile(rf"-?\d{{{sys.get_int_max_str_digits() + 1},}}")


def unreadable_json(body: str, cause: BaseException) -> RequestValidationError:
    """JSON that Python's reader refuses though it may be valid JSON: a number of more digits
    than Python converts (ValueError, CVE-2020-10735) or nesting deeper than its recursion
    (RecursionError). Answered as a body that is not JSON is, on every route: 422
    ``ValidationError`` with one ``json_invalid`` problem at ``("body", position)``; the
    position is the number's, 0 for nesting (the reader does not say where)."""
    if isinstance(cause, RecursionError):
        reason, position = "it is nested too deeply", 0
    else:
        found = _HUGE_NUMBER.search(body)
        reason, position = HUGE_NUMBER, found.start() if found else 0
    problem = {
        "type": "json_invalid",
        "loc": ("body", position),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": reason},
    }
    return RequestValidationError([problem])


# FastAPI's words when a JSON body cannot even be decoded (not UTF-8, say).
_UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's parse error, caused by bytes that are not UTF-8 (nor UTF-16/32 JSON).
        return error_response(request.scope, errors.UnsupportedMediaType(NOT_UTF8))
    if exc.detail == _UNPARSABLE_BODY and isinstance(exc.__cause__, ValueError | RecursionError):
        # Read as UTF-8 JSON, refused by Python's reader: as /v1/documents answers it.
        sent = (await request.body()).decode("utf-8", "replace")
        return await _validation_error(request, unreadable_json(sent, exc.__cause__))
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        exc = StarletteHTTPException(400, "the request body cannot be parsed: send UTF-8 JSON")
    if not is_openai_path(request):
        if not is_body_allowed_for_status_code(exc.status_code):
            return await http_exception_handler(request, exc)
        # Named like the domain errors' ``type`` ("Not Found" -> "NotFound"), so every
        # error body of the API says what kind of error it is.
        kind = HTTPStatus(exc.status_code).phrase.replace(" ", "").replace("-", "")
        body = {"detail": exc.detail, "type": kind}
        return ErrorResponse(status_code=exc.status_code, content=body, headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
    response = openai_error(
        exc.status_code, str(detail.get("message")), detail.get("param"), detail.get("code")
    )
    response.headers.update(exc.headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.QAServiceError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
