"""OpenAI-compatible Chat Completions and Models, so existing clients can talk to the service.

Streaming sends content deltas in OpenAI's chunk format, then a last chunk carries
``finish_reason: "stop"``, the structured ``citations`` and the answer's ``mode``, then
``data: [DONE]``. An extractive answer is complete before the first byte and is replayed
word by word; a generative one arrives sentence by sentence, each sentence sent only once
it is verified (never an unverified token). A generative answer that falls back sends the
extractive answer's text instead.
Errors on these routes use OpenAI's error shape (see api/errors.py).
"""

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, HTTPException
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from qa_service.api.bodies import UniqueKeysRoute
from qa_service.api.chat_schemas import (
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    CompletionChoice,
    CompletionMessage,
    ModelCard,
    ModelList,
    OpenAIError,
    Usage,
    usage_of,
)
from qa_service.api.deps import ComputeDep
from qa_service.api.errors import excerpt
from qa_service.api.routers.chat import ChatServiceDep
from qa_service.api.schemas import CitationOut
from qa_service.chat.service import ChatAnswer, ChatTurn

router = APIRouter(prefix="/v1", tags=["openai"], route_class=UniqueKeysRoute)

CREATED = int(time.time())  # the model "exists" since the process started
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OpenAIError, "description": "Invalid request"},
    404: {"model": OpenAIError, "description": "Unknown model"},
}
_PIECE = re.compile(r"\s*\S+\s*")


def _model_card() -> ModelCard:
    return ModelCard(created=CREATED)


def _check_model(model: str) -> None:
    if model != MODEL_ID:
        raise HTTPException(
            status_code=404,
            detail={
                "message": f"The model `{excerpt(model)}` does not exist; "
                f"this service offers `{MODEL_ID}`.",
                "param": "model",
                "code": "model_not_found",
            },
        )


@router.get("/models", response_model=ModelList, responses=ERRORS)
async def list_models() -> ModelList:
    """The one model this service offers: `qa-service`."""
    return ModelList(data=[_model_card()])


@router.get("/models/{model}", response_model=ModelCard, responses=ERRORS)
async def retrieve_model(model: str) -> ModelCard:
    _check_model(model)
    return _model_card()


def _chunk(completion_id: str, created: int, delta: dict[str, Any], **extra: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": None, "logprobs": None}],
        **extra,
    }
    return json.dumps(body, ensure_ascii=False)


def _citations(result: ChatAnswer) -> list[dict[str, Any]]:
    return [CitationOut.model_validate(c).model_dump() for c in result.answer.citations]


def _words(answer: str, abstained: bool) -> list[tuple[str, list[int]]]:
    """A complete (extractive) answer replayed word by word."""
    return [(piece, []) for piece in _PIECE.findall(answer)]


def _stream(
    turn: ChatTurn, completion_id: str, created: int, prompt: str, include_usage: bool
) -> Iterator[dict[str, str]]:
    yield {"data": _chunk(completion_id, created, {"role": "assistant", "content": ""})}
    first = True
    for text, citations in turn.sentences(_words):
        piece = text if first or not citations else f" {text}"  # sentences: one space apart
        first = False
        yield {"data": _chunk(completion_id, created, {"content": piece})}
    result = turn.final
    assert result is not None and result.reply is not None
    content = result.answer.answer
    final = json.loads(
        _chunk(
            completion_id,
            created,
            {},
            citations=_citations(result),
            abstained=result.answer.abstained,
            mode=result.reply.mode,
            fallback_reason=result.reply.fallback_reason,
        )
    )
    final["choices"][0]["finish_reason"] = "stop"
    yield {"data": json.dumps(final, ensure_ascii=False)}
    if include_usage:
        usage = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [],
            "usage": usage_of(prompt, content),
        }
        yield {"data": json.dumps(usage, ensure_ascii=False)}
    yield {"data": "[DONE]"}


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        **ERRORS,
        200: {
            "content": {"text/event-stream": {}},
            "description": "A chat.completion, or with `stream: true` a stream of "
            "chat.completion.chunk events ending with `data: [DONE]`.",
        },
    },
)
async def chat_completions(
    body: ChatCompletionRequest, chat_service: ChatServiceDep, compute: ComputeDep
) -> ChatCompletion | EventSourceResponse:
    """OpenAI Chat Completions over the articles: model `qa-service`.

    The last message must come from the user; earlier user messages are the conversation
    a follow-up is resolved against (nothing is stored). The content carries `[1]`, `[2]`
    markers; the top-level `citations` field holds the exact spans behind them. With
    `stream: true` the answer arrives as Server-Sent Events, citations in the last chunk;
    generative answers (extension `mode`, default QA_ANSWER_MODE) send each sentence once
    it is verified against the spans it cites.
    """
    _check_model(body.model)
    turn = await compute.run(
        chat_service.start_complete, body.question, body.earlier_turns, body.top_k, body.mode
    )
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    prompt = "\n".join(m.text for m in body.messages)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return EventSourceResponse(
            _stream(turn, completion_id, created, prompt, include_usage), sep="\n"
        )
    result = await run_in_threadpool(turn.result)
    assert result.reply is not None
    answer = result.answer
    return ChatCompletion(
        id=completion_id,
        created=created,
        choices=[CompletionChoice(message=CompletionMessage(content=answer.answer))],
        usage=Usage(**usage_of(prompt, answer.answer)),
        citations=_citations(result),
        abstained=answer.abstained,
        mode=result.reply.mode,
        fallback_reason=result.reply.fallback_reason,
    )
