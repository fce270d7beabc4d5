"""Request and response models of /v1/chat, /v1/conversations and the OpenAI-compatible routes.

The OpenAI models follow the Chat Completions API closely enough for its official clients;
fields we do not use (temperature, max_tokens, ...) are accepted and ignored.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from qa_service.answer.language import is_abstention
from qa_service.api.schemas import (
    MAX_QUESTION_CHARS,
    AskResponse,
    CitationOut,
    Question,
    TopK,
)
from qa_service.config import AnswerMode
from qa_service.textcheck import nfc, text_problem

MODEL_ID = "qa-service"
MAX_MESSAGES = 500
MAX_OTHER_MESSAGE_CHARS = 100_000  # system prompts and earlier answers; not searched


class ChatRequest(BaseModel):
    # A misspelled "conversationId" would start a new conversation silently: 422 naming it.
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        examples=["3f2b8c0e5d6a4f1e9b7c2d4a6e8f0a1b"],
        description="Continue this conversation; omit to start a new one.",
    )
    message: Question = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        examples=["Und wer wurde Chef der Fallschirmjägertruppen?"],
    )
    top_k: TopK = Field(None, description="Passages to return; default: QA_TOP_K.")
    mode: AnswerMode | None = Field(
        None, description="extractive or generative; default: QA_ANSWER_MODE."
    )
    stream: StrictBool = Field(
        False,
        description="Answer as Server-Sent Events: `start`, one `sentence` per answer "
        "sentence, `done` with this route's usual JSON body, then `[DONE]`.",
    )


class ChatResponse(AskResponse):
    conversation_id: str
    turn: int = Field(description="Position of this turn in the conversation, from 0.")
    retrieval_query: str = Field(
        description="What was searched: the message plus topic terms carried over from "
        "earlier turns when it is a follow-up (the message alone otherwise)."
    )


class StoredCitationOut(CitationOut):
    stale: bool = Field(
        description="The span no longer holds the quote: the article changed there or was "
        "deleted since this turn (the quote is what was cited then)."
    )


class TurnOut(BaseModel):
    turn: int
    message: str
    retrieval_query: str
    answer: str
    abstained: bool
    language: str
    citations: list[StoredCitationOut]
    created_at: float


class ConversationOut(BaseModel):
    id: str
    created_at: float
    updated_at: float
    turns: list[TurnOut]


# --- OpenAI Chat Completions ---------------------------------------------------------------

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


_CONTENT_FORMS = (
    'content must be a string or a list of text parts ({"type": "text", "text": "..."})'
)


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "an object" if isinstance(value, dict) else f"a {type(value).__name__}"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Role
    content: str | list[TextPart] | None = None
    name: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _text_parts_only(cls, content: Any) -> Any:
        """The content's shape checked here, so a mismatch is one error named
        ``messages[i].content`` (pydantic's union names its members: ``content.str``,
        ``content.list[TextPart]``); an image or audio part is refused by name."""
        if content is None or isinstance(content, str):
            return content
        if not isinstance(content, list):
            raise ValueError(f"{_CONTENT_FORMS}, not {_json_kind(content)}")
        for i, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if isinstance(kind, str) and kind != "text":
                raise ValueError(
                    f'content part {i} is of type {kind!r}; only "text" parts are supported'
                )
            if kind is None or not isinstance(part.get("text"), str):
                raise ValueError(f"content part {i} is not a text part: {_CONTENT_FORMS}")
        return content

    @property
    def text(self) -> str:
        """The parts joined by a space: "Chef" + "der Drohnentruppen" are two words."""
        if isinstance(self.content, list):
            return " ".join(part.text for part in self.content)
        return self.content or ""

    @model_validator(mode="after")
    def _messages_are_usable_text(self) -> "ChatMessage":
        limit = MAX_QUESTION_CHARS if self.role == "user" else MAX_OTHER_MESSAGE_CHARS
        which = f"{'an' if self.role == 'assistant' else 'a'} {self.role} message"
        if (length := len(nfc(self.text))) > limit:
            raise ValueError(f"{which} has {length:,} characters; the limit is {limit:,}")
        if problem := text_problem(self.text):  # user messages are embedded, all are echoed
            raise ValueError(f"{which} {problem}")
        return self


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: StrictBool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [
                        {"role": "user", "content": "Wer ist Chef der Drohnentruppen?"},
                        {"role": "assistant", "content": "Selenskyj hat zudem ... [1]"},
                        {"role": "user", "content": "Wann war das?"},
                    ],
                    "stream": False,
                }
            ]
        },
    )

    model: str = Field(examples=[MODEL_ID])
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    # "yes" is not a boolean (OpenAI refuses it too); null is the default, as OpenAI's spec
    # allows for both (its clients send it).
    stream: StrictBool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(
        1, ge=1, le=1, strict=True, description="Only one choice is supported (null: 1)."
    )
    top_k: TopK = Field(None, description="Extension: passages to retrieve.")
    mode: AnswerMode | None = Field(
        None, description="Extension: extractive or generative; default: QA_ANSWER_MODE."
    )

    @field_validator("messages")
    @classmethod
    def _last_message_is_a_question(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages and messages[-1].role != "user":
            raise ValueError(
                f"the last message must come from the user, not the {messages[-1].role}"
            )
        if messages and not messages[-1].text.strip():
            raise ValueError("the last user message is empty")
        return messages

    @property
    def question(self) -> str:
        return self.messages[-1].text

    @property
    def earlier_turns(self) -> list[tuple[str, bool]]:
        """Each earlier user message, and whether the assistant's reply to it (the next
        assistant message before another user one) was our abstention: such a follow-up
        narrows no topic (``chat.rewriting.fold``)."""
        turns: list[tuple[str, bool]] = []
        replied = True
        for m in self.messages[:-1]:
            if m.role == "user":
                turns.append((m.text, False))
                replied = False
            elif m.role == "assistant" and turns and not replied:
                turns[-1] = (turns[-1][0], is_abstention(m.text))
                replied = True
        return turns


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[CompletionChoice]
    usage: Usage
    citations: list[CitationOut] = Field(
        description="Extension: the exact spans behind the [n] markers in the content; "
        "standard clients ignore it."
    )
    abstained: bool = Field(description="Extension: true when no passage was relevant enough.")
    mode: str = Field("extractive", description="Extension: as in /v1/ask.")
    fallback_reason: str | None = Field(None, description="Extension: as in /v1/ask.")


class ModelCard(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "qa_service"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    error: OpenAIErrorBody


def usage_of(prompt: str, completion: str) -> dict[str, Any]:
    """Whitespace words as a stand-in for tokens: no tokenizer is involved in answering."""
    prompt_tokens, completion_tokens = len(prompt.split()), len(completion.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
