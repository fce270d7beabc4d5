import os

from fastapi import APIRouter

from qa_service.api.deps import ServiceDep
from qa_service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep) -> Health:
    """Liveness plus the size of the index."""
    documents, chunks, sentences = service.index.docs.counts()
    return Health(
        status="ok",
        documents=documents,
        chunks=chunks,
        sentences=sentences,
        embedder=service.embedder.name,
        reranker=service.answerer.reranker.name if service.answerer.reranker else None,
        calibrated=service.answerer.calibration.calibrated,
        pid=os.getpid(),
    )
