import os
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from qa_service.api.auth import AuthDep
from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, response_model_exclude_unset=True)
def health(service: ServiceDep, auth: AuthDep, request: Request) -> Health | dict[str, Any]:
    """Liveness; with a key (or while no key is required) also the size of the index, and
    whether the LLM (if any) answered its last check (the last answer it was asked for, or a
    probe: at start-up, and in the background when this route finds the last check older
    than a minute)."""
    if auth.keys_required() and auth.identify(request.headers) is None:
        return {"status": "ok"}
    return Health(status="ok", pid=os.getpid(), **asdict(service.health()))
