import os

from fastapi import APIRouter

from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep) -> Health:
    """Liveness plus the size of the index."""
    report = service.health()
    return Health(
        status="ok",
        documents=report.documents,
        chunks=report.chunks,
        sentences=report.sentences,
        embedder=report.embedder,
        reranker=report.reranker,
        calibrated=report.calibrated,
        pid=os.getpid(),
    )
