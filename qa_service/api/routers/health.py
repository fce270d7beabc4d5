import os
from dataclasses import asdict

from fastapi import APIRouter

from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep) -> Health:
    """Liveness plus the size of the index."""
    return Health(status="ok", pid=os.getpid(), **asdict(service.health()))
