import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from qa_service.api import bodies
from qa_service.api.auth import AccessDep, CallerDep
from qa_service.api.deps import ServiceDep
from qa_service.api.errors import HUGE_NUMBER, NOT_UTF8, unreadable_json
from qa_service.api.schemas import (
    DocumentCreated,
    DocumentDetail,
    DocumentIn,
    DocumentPage,
    DocumentSummary,
)
from qa_service.errors import InvalidInput, UnsupportedMediaType
from qa_service.ingest.formats import media_type
from qa_service.models import Article
from qa_service.service import QAService
from qa_service.stores import DocumentOrder

router = APIRouter(prefix="/v1/documents", tags=["documents"])

# No document id is longer (qa_service/documents.py): a longer one is refused before the
# lookup, so the error quotes an excerpt instead of echoing kilobytes of path back.
DocumentId = Annotated[str, Path(min_length=1, max_length=128)]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            # Inlined: the route reads its body itself, so FastAPI does not register the model.
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": ".txt, .md or .html, UTF-8",
                        },
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "source": {"type": "string"},
                        "published_at": {"type": "string"},
                        "metadata": {
                            "type": "string",
                            "description": "A JSON object, as in the JSON body; stored with "
                            "the upload's format",
                        },
                    },
                }
            },
        },
    }
}


_FORM_FIELDS = ("id", "title", "source", "published_at", "metadata")
"""The text fields an upload takes beside its ``file``: the JSON body's fields but ``text``."""


def _missing_file(body: bytes, content_type: str) -> str:
    """Why a multipart body has no 'file': it may have one, cut off before its end."""
    boundary = content_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
    if boundary and f"--{boundary}--".encode() not in body:
        return (
            f"the multipart body ends before its closing boundary (--{boundary[:70]}--): "
            "it was cut off; send the whole body"
        )
    return "multipart upload needs a 'file' field"


async def _article_from_request(request: Request, service: QAService) -> tuple[str | None, Article]:
    content_type = request.headers.get("content-type", "")
    if media_type(content_type) == "multipart/form-data":  # any case, as the edge reads it
        await request.body()  # kept: a truncated body is told from a missing field below
        form = await request.form()
        _check_form(form)
        upload = form.get("file")
        if isinstance(upload, str):
            raise InvalidInput("the multipart 'file' field must be a file (give it a filename)")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(_missing_file(await request.body(), content_type))
        raw = await upload.read()
        article = service.read_upload(raw, upload.filename or "upload.txt", upload.content_type)
        fields: dict[str, Any] = {k: v for k in _FORM_FIELDS if isinstance(v := form.get(k), str)}
        given = {k: v for k, v in fields.items() if v}
        if "metadata" in given and (metadata := _form_metadata(given.pop("metadata"))) is not None:
            given["metadata"] = metadata  # null: as if not given, as in the JSON body
        _validate({**given, "text": "."})  # the limits of the JSON body apply to form fields
        return given.get("id"), service.with_form_fields(article, given)
    raw = await request.body()
    try:
        payload = bodies.loads(raw)
    except UnicodeDecodeError:
        raise UnsupportedMediaType(NOT_UTF8) from None
    except json.JSONDecodeError as exc:
        raise _json_invalid(exc) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting 100,000 deep
        raise unreadable_json(raw.decode("utf-8", "replace"), exc) from None
    body = _validate(payload)
    article = service.read_text(
        body.text,
        title=body.title,
        source=body.source,
        published_at=body.published_at,
        metadata=body.metadata,
    )
    return body.id, article


def _check_form(form: FormData) -> None:
    """One ``file`` and each text field at most once; any other field is refused by name,
    not dropped (a second file, a misspelled field: the client meant something by it)."""
    if (sent := len(form.getlist("file"))) > 1:
        raise InvalidInput(f"upload one file per request, not {sent}")
    for name in dict.fromkeys(form.keys()):
        if name == "file":
            continue
        values = form.getlist(name)
        if name not in _FORM_FIELDS:
            what = "a file" if any(isinstance(v, UploadFile) for v in values) else "a field"
            raise InvalidInput(
                f"unexpected multipart field {_excerpt(name)} ({what}): an upload takes one "
                f"'file' and the form fields {', '.join(_FORM_FIELDS)}"
            )
        if any(isinstance(v, UploadFile) for v in values):
            raise InvalidInput(f"the multipart field '{name}' must be text, not a file")
        if len(values) > 1:
            raise InvalidInput(
                f"the form field '{name}' is given {len(values)} times; send it once"
            )


def _excerpt(name: str, limit: int = 60) -> str:
    return repr(name if len(name) <= limit else name[:limit] + "...")


def _form_metadata(value: str) -> Any:
    """The ``metadata`` form field: a JSON object, as in the JSON body."""
    try:
        return bodies.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"metadata: the form field is not valid JSON: {exc}") from None
    except ValueError:
        raise InvalidInput(f"metadata: the form field is not valid JSON: {HUGE_NUMBER}") from None
    except RecursionError:
        raise InvalidInput("metadata: the form field is nested too deeply") from None


def _json_invalid(exc: json.JSONDecodeError) -> RequestValidationError:
    """A body that is not JSON, answered as FastAPI answers it on every route that lets FastAPI
    read its body (``/v1/ask``, ``/v1/chat``): 422 ``ValidationError`` with one problem of
    type ``json_invalid`` at ``("body", position)``."""
    problem = {
        "type": "json_invalid",
        "loc": ("body", exc.pos),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": exc.msg},
    }
    return RequestValidationError([problem])


def _validate(payload: Any) -> DocumentIn:
    """The body (or an upload's form fields) against the JSON body's schema. A mismatch is
    FastAPI's validation error, as on every route that lets FastAPI read its body: 422
    ``ValidationError`` listing each wrong field under ``("body", field)``."""
    try:
        return DocumentIn.model_validate(payload)
    except ValidationError as exc:
        problems = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(problems) from None


@router.post(
    "",
    response_model=DocumentCreated,
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"model": DocumentCreated, "description": "The same text was already stored"}},
)
async def add_document(
    request: Request, service: ServiceDep, access: AccessDep, caller: CallerDep
) -> Response:
    """Add an article as JSON or as a multipart file upload (.txt, .md, .html).

    The same text again is a no-op (200, `created: false`); new text under an existing id
    replaces the old version atomically.
    """
    doc_id, article = await _article_from_request(request, service)
    result = await run_in_threadpool(service.add_document, article, doc_id)
    if result.created or result.updated:
        # The hash comes with the result: reading the document back could find it deleted
        # by a DELETE that landed just after the write, and answer 404 for a stored article.
        action = "document.create" if result.created else "document.replace"
        await run_in_threadpool(access.record, caller.key, action, result.id, result.content_hash)
    body = DocumentCreated.model_validate(result, from_attributes=True)
    return JSONResponse(body.model_dump(), status_code=201 if result.created else 200)


@router.get("", response_model=DocumentPage)
def list_documents(
    service: ServiceDep,
    # SQLite takes 64-bit integers; an offset past any real archive is simply an empty page.
    offset: int = Query(0, ge=0, le=2**62),
    limit: int = Query(50, ge=1, le=500),
    order: DocumentOrder = Query(
        "oldest",
        description="`oldest` first (the default) or `newest` first, by the time each "
        "article was first stored (then its id).",
    ),
) -> DocumentPage:
    """Stored articles, oldest first (or newest first: `order=newest`), without their text."""
    records = service.list_documents(offset=offset, limit=limit, order=order)
    return DocumentPage(
        items=[DocumentSummary.of(r) for r in records],
        total=service.counts().documents,
        offset=offset,
        limit=limit,
        order=order,
    )


@router.get("/{doc_id}", response_model=DocumentDetail)
def get_document(doc_id: DocumentId, service: ServiceDep) -> DocumentDetail:
    """One article with its full text: citation offsets index into this `text`."""
    record = service.get_document(doc_id, with_text=True)
    return DocumentDetail.of(record, text=record.text)


@router.delete("/{doc_id}", status_code=204)
def delete_document(
    doc_id: DocumentId, service: ServiceDep, access: AccessDep, caller: CallerDep
) -> Response:
    """Remove an article and every chunk, sentence and vector of it."""
    deleted = service.delete_document(doc_id)  # the version deleted, not one read before
    access.record(caller.key, "document.delete", doc_id, deleted.content_hash)
    return Response(status_code=204)
