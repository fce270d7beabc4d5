import os
from dataclasses import asdict

from fastapi import APIRouter

from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep) -> Health:
    """Liveness plus the size of the index, and whether the LLM (if any) answered its last
    check (the last answer it was asked for, or a probe: at start-up, and in the background
    when this route finds the last check older than a minute)."""
    return Health(status="ok", pid=os.getpid(), **asdict(service.health()))
