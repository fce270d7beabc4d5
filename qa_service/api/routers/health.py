import os
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response

from qa_service.api.auth import AuthDep
from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import Health

router = APIRouter(tags=["health"])


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
    without a key) and ``backends`` says which one."""
    report = service.health()
    if report.degraded:
        response.status_code = 503
    status = "degraded" if report.degraded else "ok"
    if auth.keys_required() and auth.identify(request.headers) is None:
        return {"status": status}
    return Health(status=status, pid=os.getpid(), **asdict(report))
