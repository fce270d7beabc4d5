from fastapi import APIRouter

from qa_service.api.deps import ComputeDep, ServiceDep
from qa_service.api.schemas import AskRequest, AskResponse

router = APIRouter(prefix="/v1", tags=["ask"])


@router.post("/ask", response_model=AskResponse)
async def ask(body: AskRequest, service: ServiceDep, compute: ComputeDep) -> AskResponse:
    """Answer one question from the articles, with numbered citations of exact spans.

    Every citation's `quote` equals `document.text[start:end]`. When no passage is relevant
    enough, `abstained` is true and `citations` is empty.
    """
    answer = await compute.run(service.ask, body.question, body.top_k)
    return AskResponse.model_validate(answer)
