"""Dependencies as Annotated aliases: routes declare what they need, the app state has it.

Every getter that only reads ``app.state`` is ``async def``: FastAPI runs a plain ``def``
dependency in its thread pool, one thread hop (~0.1-0.3 ms, more on a busy machine) per
dependency and request (benchmarks/README.md, Latency).
"""

from typing import Annotated

from fastapi import Depends, Request

from qa_service.api.compute import Compute
from qa_service.service import QAService


async def get_service(request: Request) -> QAService:
    return request.app.state.service


ServiceDep = Annotated[QAService, Depends(get_service)]


async def get_compute(request: Request) -> Compute:
    return request.app.state.compute


ComputeDep = Annotated[Compute, Depends(get_compute)]
