"""Domain errors become HTTP responses here, and only here."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from qa_service import errors

# Most specific first: the first matching class decides the status.
STATUS: list[tuple[type[errors.QAServiceError], int]] = [
    (errors.DocumentNotFound, 404),
    (errors.ConversationNotFound, 404),
    (errors.DuplicateContent, 409),
    (errors.DocumentTooLarge, 413),
    (errors.UnsupportedFormat, 415),
    (errors.InvalidInput, 422),
    (errors.EmbedderUnavailable, 503),
    (errors.QAServiceError, 400),
]


def status_for(exc: errors.QAServiceError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.QAServiceError)
    return JSONResponse(
        status_code=status_for(exc), content={"detail": str(exc), "type": type(exc).__name__}
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.QAServiceError, _domain_error)
