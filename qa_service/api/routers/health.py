import os
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response

from qa_service.api.auth import AuthDep
from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import MAX_QUESTION_CHARS, Health
from qa_service.errors import BackendUnavailable

router = APIRouter(tags=["health"])


# GET only: load balancers also probe with HEAD, which ``api/head.head_as_get`` answers as
# this GET without a body. Naming HEAD here too made a second OpenAPI operation with the
# same id ("Duplicate Operation ID" at every /openapi.json), one no request ever reached.
@router.get(
    "/health",
    response_model=Health,
    response_model_exclude_unset=True,
    responses={503: {"model": Health}},
)
def health(
    service: ServiceDep, auth: AuthDep, request: Request, response: Response
) -> Health | dict[str, Any]:
    """Liveness; with a key (or while no key is required) also the size of the index, and
    whether the LLM (if any) answered its last check (the last answer it was asked for, or a
    probe: at start-up, and in the background when this route finds the last check older
    than a minute). In server mode each engine is asked too: while PostgreSQL or the Chroma
    server is unavailable the status is "degraded" (HTTP 503, for load balancers, with or
    without a key) and ``backends`` says which one (without a key, or while the keys cannot
    be read, only the status and each engine "ok" or "unavailable")."""
    report = service.health()
    degraded = report.degraded
    try:
        # The keys live in PostgreSQL (server mode): with it down, asking again would make
        # /health wait a second timeout.
        keys_down = report.backends.get("PostgreSQL", "ok") != "ok"
        anonymous = keys_down or (auth.keys_required() and auth.identify(request.headers) is None)
    except BackendUnavailable:  # the keys live in the engine that is down (server mode)
        anonymous = degraded = True
    if degraded:
        response.status_code = 503
    status = "degraded" if degraded else "ok"
    if anonymous:
        if not report.backends:
            return {"status": status}
        # Which engine is down, for load balancers and operators, but not why (no internals).
        return {
            "status": status,
            "backends": {
                engine: "ok" if state == "ok" else "unavailable"
                for engine, state in report.backends.items()
            },
        }
    longest = min(service.settings.max_question_chars, MAX_QUESTION_CHARS)
    return Health(status=status, pid=os.getpid(), max_question_chars=longest, **asdict(report))
