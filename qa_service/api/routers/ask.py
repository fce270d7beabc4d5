import dataclasses
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import serialize_response
from fastapi.telemetry import get_telemetry_data
from starlette.concurrency import run_in_threadpool

from qa_service.answer.generative import Pending, Reply
from qa_service.api.bodies import UniqueKeysRoute, loads
from qa_service.api.compute import Compute
from qa_service.api.deps import ComputeDep, ServiceDep
from qa_service.api.schemas import AskRequest, AskResponse
from qa_service.config import AnswerMode
from qa_service.ingest.formats import media_type
from qa_service.service import QAService

router = APIRouter(prefix="/v1", tags=["ask"], route_class=UniqueKeysRoute)


def answer_fields(reply: Reply) -> dict[str, Any]:
    """The /v1/ask body's fields as the reply holds them (citations and passages the domain's
    records): validated once, by the response model they go into (other routes, chat, add
    theirs), read with ``from_attributes``. Validating the answer, dumping it and validating
    the dump again cost ~0.09 ms a request (benchmarks/README.md, Latency, latency14)."""
    answer = reply.answer
    return {f.name: getattr(answer, f.name) for f in dataclasses.fields(answer)} | reply.fields()


def expected(
    service: QAService, question: str, top_k: int | None, mode: AnswerMode | None
) -> Pending:
    """``start_answer`` of a question that found an answer thread free, queued for the
    embedder first as one admitted to wait (``expect_question``): another thread's engine call
    may still take it while this one searches its keywords. In the thread, not on the event
    loop: reading the question there cost the loop ~0.1 ms (benchmarks/README.md, Latency,
    latency16)."""
    service.expect_question(question)
    return service.start_answer(question, top_k, mode)


async def answer(body: AskRequest, service: QAService, compute: Compute) -> AskResponse:
    """One question answered: admitted, handed to an answer thread, its reply as the model."""
    question, top_k, mode = body.question, body.top_k, body.mode
    with compute.admission():
        if compute.must_wait():  # the embedder may batch it from now on, while it waits
            service.expect_question(question)
            pending = await compute.thread(service.start_answer, question, top_k, mode)
        else:  # a thread is free: it queues the question itself, off the event loop
            pending = await compute.thread(expected, service, question, top_k, mode)
    # The LLM waits on the network, not the CPU: outside the compute limiter. Without it
    # the reply is ready: no second hop through a thread (benchmarks/README.md, Latency).
    reply = await run_in_threadpool(pending.reply) if pending.writes else pending.reply()
    return AskResponse.model_validate(answer_fields(reply), from_attributes=True)


async def well_formed(request: Request) -> AskRequest | None:
    """The request's question when its body is a JSON object that fits ``AskRequest``, read
    as the route's FastAPI handler reads it (``bodies.loads`` of the bytes: each key once,
    then the model in Python mode); None for anything else, which that handler then refuses
    in its own words."""
    body = await request.body()
    if not body or media_type(request.headers.get("content-type")) != "application/json":
        return None
    try:
        return AskRequest.model_validate(loads(body))
    except Exception:  # any failure: FastAPI's handler reads the same bytes and says why
        return None


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class LeanAskRoute(UniqueKeysRoute):
    """POST /v1/ask without FastAPI's per-request machinery on the way of a valid question.

    FastAPI's handler parses the Content-Type with ``email``, solves the dependencies (two
    getters of ``app.state``), validates the body through its field and calls the endpoint:
    ~0.1-0.2 ms of the event loop per question (benchmarks/README.md, Latency, latency16).
    Here a body that fits ``AskRequest`` goes straight to ``answer`` and the reply through
    the route's own response field, as FastAPI serialises it (same bytes, same headers).
    Anything else (a bad body, a key given twice, telemetry on) takes the route's FastAPI
    handler (``UniqueKeysRoute``'s) with the same request, its body already read: every
    refusal is that handler's, word for word. Its schema and OpenAPI entry are unchanged."""

    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        field = self.response_field

        async def handle(request: Request) -> Response:
            body = await well_formed(request)
            if body is None or get_telemetry_data() is not None:
                return await full(request)
            state = request.app.state
            reply = await answer(body, state.service, state.compute)
            content = await serialize_response(field=field, response_content=reply, dump_json=True)
            return Response(content=content, media_type="application/json")

        return handle


async def ask(body: AskRequest, service: ServiceDep, compute: ComputeDep) -> AskResponse:
    """Answer one question from the articles, with numbered citations of exact spans.

    Every citation's `quote` equals `document.text[start:end]`. When no passage is relevant
    enough, `abstained` is true and `citations` is empty. With `mode: "generative"` (the
    default when an LLM is configured) an LLM writes the answer from the cited spans and
    only sentences verified against the spans they cite are kept (`sentences`); if none is,
    or the LLM fails, the extractive answer comes back with `mode: "extractive_fallback"`.
    """
    return await answer(body, service, compute)


router.add_api_route(
    "/ask",
    ask,
    methods=["POST"],
    response_model=AskResponse,
    route_class_override=LeanAskRoute,
)
