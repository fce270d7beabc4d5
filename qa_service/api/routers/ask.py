import dataclasses
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from qa_service.answer.generative import Reply
from qa_service.api.bodies import UniqueKeysRoute
from qa_service.api.deps import ComputeDep, ServiceDep
from qa_service.api.schemas import AskRequest, AskResponse

router = APIRouter(prefix="/v1", tags=["ask"], route_class=UniqueKeysRoute)


def answer_fields(reply: Reply) -> dict[str, Any]:
    """The /v1/ask body's fields as the reply holds them (citations and passages the domain's
    records): validated once, by the response model they go into (other routes, chat, add
    theirs), read with ``from_attributes``. Validating the answer, dumping it and validating
    the dump again cost ~0.09 ms a request (benchmarks/README.md, Latency, latency14)."""
    answer = reply.answer
    return {f.name: getattr(answer, f.name) for f in dataclasses.fields(answer)} | reply.fields()


@router.post("/ask", response_model=AskResponse)
async def ask(body: AskRequest, service: ServiceDep, compute: ComputeDep) -> AskResponse:
    """Answer one question from the articles, with numbered citations of exact spans.

    Every citation's `quote` equals `document.text[start:end]`. When no passage is relevant
    enough, `abstained` is true and `citations` is empty. With `mode: "generative"` (the
    default when an LLM is configured) an LLM writes the answer from the cited spans and
    only sentences verified against the spans they cite are kept (`sentences`); if none is,
    or the LLM fails, the extractive answer comes back with `mode: "extractive_fallback"`.
    """
    with compute.admission():
        service.expect_question(body.question)  # the embedder may batch it from now on
        pending = await compute.thread(service.start_answer, body.question, body.top_k, body.mode)
    # The LLM waits on the network, not the CPU: outside the compute limiter. Without it
    # the reply is ready: no second hop through a thread (benchmarks/README.md, Latency).
    reply = await run_in_threadpool(pending.reply) if pending.writes else pending.reply()
    return AskResponse.model_validate(answer_fields(reply), from_attributes=True)
