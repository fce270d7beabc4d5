"""Dependencies as Annotated aliases: routes declare what they need, the app state has it."""

from typing import Annotated

from fastapi import Depends, Request

from qa_service.api.compute import Compute
from qa_service.service import QAService


def get_service(request: Request) -> QAService:
    return request.app.state.service


ServiceDep = Annotated[QAService, Depends(get_service)]


def get_compute(request: Request) -> Compute:
    return request.app.state.compute


ComputeDep = Annotated[Compute, Depends(get_compute)]
