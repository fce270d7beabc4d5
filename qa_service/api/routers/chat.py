"""/v1/chat and /v1/conversations: questions in a conversation, follow-ups resolved."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from sse_starlette.sse import EventSourceResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from qa_service.api.auth import CallerDep
from qa_service.api.bodies import UniqueKeysRoute
from qa_service.api.chat_schemas import (
    ChatRequest,
    ChatResponse,
    ConversationOut,
    StoredCitationOut,
    TurnOut,
)
from qa_service.api.deps import ComputeDep
from qa_service.api.routers.ask import answer_fields
from qa_service.api.schemas import CitationOut
from qa_service.chat.service import ChatAnswer, ChatService, ChatTurn
from qa_service.chat.streaming import answer_sentences, chat_events

router = APIRouter(prefix="/v1", tags=["chat"], route_class=UniqueKeysRoute)


async def get_chat_service(request: Request) -> ChatService:
    return request.app.state.chat


ChatServiceDep = Annotated[ChatService, Depends(get_chat_service)]
ConversationId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "The answer, or with `stream: true` Server-Sent Events: `start`, "
            "`sentence` (one per answer sentence), `done` (this JSON body), `[DONE]`.",
        }
    },
)
async def chat(
    body: ChatRequest, chat_service: ChatServiceDep, compute: ComputeDep, caller: CallerDep
) -> ChatResponse | EventSourceResponse:
    """Answer a message as the next turn of a conversation, like `/v1/ask` plus context.

    Without `conversation_id` a new conversation starts; its id is in the response. A
    follow-up such as "Wann war das?" is searched together with the topic of the last
    turns (`retrieval_query` shows how); a self-contained question is searched alone.
    An unknown `conversation_id` is a 404, and so is one another key started. With
    `stream: true` the answer arrives as Server-Sent Events, sentence by sentence, then
    the whole body in the `done` event.
    """
    turn = await compute.run(
        chat_service.start_chat,
        body.message,
        body.conversation_id,
        body.top_k,
        body.mode,
        caller.key_id,
    )
    if body.stream:
        start = await run_in_threadpool(_stream_start, chat_service, turn)
        return EventSourceResponse(
            chat_events(start, turn.sentences(answer_sentences), lambda: _done_body(turn)),
            sep="\n",
            background=BackgroundTask(turn.abandon),  # runs after a disconnect too
        )
    return _chat_response(await run_in_threadpool(turn.result))


def _stream_start(chat_service: ChatService, turn: ChatTurn) -> dict[str, Any]:
    """The `start` event: known before the answer is written (the turn number is the next)."""
    assert turn.conversation_id is not None
    if turn.create:
        number = 0
    else:
        number = len(chat_service.conversation(turn.conversation_id, turn.owner).turns)
    return {
        "conversation_id": turn.conversation_id,
        "turn": number,
        "language": turn.pending.base.language,
    }


def _done_body(turn: ChatTurn) -> dict[str, Any]:
    assert turn.final is not None  # set once every sentence was sent
    return _chat_response(turn.final).model_dump(mode="json")  # exactly the body without stream


def _chat_response(result: ChatAnswer) -> ChatResponse:
    assert result.reply is not None
    fields = answer_fields(result.reply) | {
        "conversation_id": result.conversation_id,
        "turn": result.turn,
        "retrieval_query": result.rewrite.query,
    }
    return ChatResponse.model_validate(fields, from_attributes=True)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: ConversationId, chat_service: ChatServiceDep, caller: CallerDep
) -> ConversationOut:
    """All turns of a conversation, each with its answer and exact citations.

    A citation whose span no longer holds its quote (the article changed there, or was
    deleted) is marked `stale`.
    """
    return await run_in_threadpool(_conversation_body, chat_service, conversation_id, caller.key_id)


def _conversation_body(
    chat_service: ChatService, conversation_id: str, owner: str | None
) -> ConversationOut:
    conversation = chat_service.conversation(conversation_id, owner)
    return ConversationOut(
        id=conversation.id,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        turns=[
            TurnOut(
                turn=t.ord,
                message=t.message,
                retrieval_query=t.retrieval_query,
                answer=t.answer,
                abstained=t.abstained,
                language=t.language,
                citations=[
                    StoredCitationOut(
                        **dict(CitationOut.model_validate(c)), stale=not chat_service.is_current(c)
                    )
                    for c in t.citations
                ],
                created_at=t.created_at,
            )
            for t in conversation.turns
        ],
    )


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(
    conversation_id: ConversationId, chat_service: ChatServiceDep, caller: CallerDep
) -> Response:
    """Forget a conversation and all its turns: the key that started it may, and an admin
    key may forget any (one started without a key, before keys were required, included);
    another key gets 404, as for an unknown id."""
    admin = caller.scope == "admin"
    await run_in_threadpool(chat_service.delete, conversation_id, caller.key_id, admin=admin)
    return Response(status_code=204)
