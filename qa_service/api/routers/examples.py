"""/v1/examples: questions the stored articles answer, for a first-time visitor to try."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from qa_service.answer.examples import ExampleQuestions
from qa_service.api.deps import ComputeDep
from qa_service.api.schemas import ExampleQuestionsOut

router = APIRouter(prefix="/v1", tags=["examples"])


async def get_examples(request: Request) -> ExampleQuestions:
    return request.app.state.examples


ExamplesDep = Annotated[ExampleQuestions, Depends(get_examples)]


@router.get("/examples", response_model=ExampleQuestionsOut)
async def example_questions(
    examples: ExamplesDep, compute: ComputeDep, limit: int = Query(3, ge=1, le=5)
) -> dict[str, Any]:
    """Up to `limit` questions made from section headings of the newest articles.

    Each was asked once and answered from the article's text (not only its heading);
    the list is kept until the newest articles change. Empty when nothing qualifies.
    """
    found = await compute.run(examples.get, limit)
    return {"questions": [asdict(q) for q in found]}
