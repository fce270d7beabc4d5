"""Request and response models of the public HTTP API (a contract: add fields, rename none).

Routes return these models. A shape the service already defines as a domain record
(``Citation``, ``Passage``) is turned into a model here, not declared a second time.
"""

import dataclasses
import typing
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from qa_service.config import AnswerMode
from qa_service.ingest.formats import MAX_SOURCE_CHARS
from qa_service.models import Citation, Passage
from qa_service.stores import DocumentOrder, DocumentRecord
from qa_service.textcheck import control_problem, nfc
from qa_service.tuning.limits import MAX_TOP_K


def response_model(name: str, record: type) -> type[BaseModel]:
    """The response model of the domain dataclass ``record``, under the API's schema name:
    its fields, types and descriptions, read from ``record`` instances (from_attributes)."""
    hints = typing.get_type_hints(record, include_extras=True)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(record)}
    return create_model(name, __config__=ConfigDict(from_attributes=True), **fields)


if typing.TYPE_CHECKING:  # mypy cannot see models made at run time
    CitationOut = BaseModel
    PassageOut = BaseModel
else:
    CitationOut = response_model("CitationOut", Citation)
    PassageOut = response_model("PassageOut", Passage)

MAX_QUESTION_CHARS = 2000
TopK = Annotated[int | None, Field(ge=1, le=MAX_TOP_K, strict=True)]
"""How many passages a request asks for (None: QA_TOP_K), as every asking route takes it."""


def _nfc(value: object) -> object:
    return nfc(value) if isinstance(value, str) else value


Question = Annotated[str, BeforeValidator(_nfc)]
"""A question, in NFC before its length is checked: the service counts characters as they
are read (qa_service/answer/questions.py), not as a keyboard happened to encode them."""


class LLMHealth(BaseModel):
    model: str
    base_url: str
    ok: bool | None = Field(
        description="Whether the LLM answered its last check (an answer or a probe); "
        "null before the first one."
    )
    checked_at: float | None = Field(description="Unix time of the last check.")
    error: str | None = Field(None, description="Why the last check failed.")
    in_flight: int | None = Field(
        None, description="Generative answers of this process waiting on the LLM now."
    )
    max_in_flight: int | None = Field(
        None,
        description="QA_LLM_MAX_IN_FLIGHT: past it a question gets the extractive answer at "
        "once (fallback_reason llm_busy).",
    )


class WordLexiconHealth(BaseModel):
    words: int = Field(description="Corpus words whose single-word vectors are kept.")
    warm: bool = Field(
        description="The background warm-up has embedded the words of every article "
        "(at start-up and after each ingest): questions no longer wait for them."
    )


class Health(BaseModel):
    """Without a key, once keys are required, only ``status``."""

    status: str = Field(
        examples=["ok"], description='"ok", or "degraded" when a backend is unavailable (503).'
    )
    documents: int | None = Field(None, description="None while PostgreSQL is unavailable.")
    chunks: int | None = None
    sentences: int | None = None
    embedder: str | None = None
    reranker: str | None = Field(None, description="QA_RERANKER_MODEL, when one is loaded.")
    calibrated: bool | None = Field(
        None,
        description="Whether the embedding model's score weights and abstain threshold were "
        "measured with this very model (qa_service/tuning/calibration.py); false for a "
        "custom QA_EMBEDDING_MODEL nobody calibrated.",
    )
    answer_mode: AnswerMode = Field(
        "extractive", description="The default answer mode (QA_ANSWER_MODE, else by QA_LLM_*)."
    )
    llm: LLMHealth | None = Field(None, description="The configured LLM, if any.")
    pid: int | None = Field(
        None, description="The serving process (one of several under serve --workers)."
    )
    mode: str | None = Field(None, examples=["embedded", "server"])
    max_question_chars: int | None = Field(
        None,
        description="The longest question accepted, in Unicode code points after NFC "
        "(QA_MAX_QUESTION_CHARS, at most 2000); the page's input counts the same way.",
    )
    backends: dict[str, str] | None = Field(
        None,
        examples=[{"PostgreSQL": "ok", "Chroma": "Chroma is unavailable: ..."}],
        description='Server mode: each engine, "ok" or why it is unavailable.',
    )
    word_lexicon: WordLexiconHealth | None = Field(
        None,
        description="The corpus words' single-word vectors the scores read (the closest "
        "word for German questions; QA_TRANSLATE_WORDS): how many are kept, and whether the "
        "background warm-up is done. null: the embedding model's scores read none.",
    )


def _no_control_characters(value: str | None) -> str | None:
    if value is not None and (problem := control_problem(value)):
        raise ValueError(problem)
    return value


Title = Annotated[str, Field(max_length=500), AfterValidator(_no_control_characters)]
"""A title (or, ``Source``, a source): printed by terminals and tables, so no control
characters (the article text may hold them; its offsets must stay exact). The length is the
string's own constraint: on the optional field it read "at most 500 items"."""
Source = Annotated[str, Field(max_length=MAX_SOURCE_CHARS), AfterValidator(_no_control_characters)]


class DocumentIn(BaseModel):
    # A field it does not know is 422 naming it, as in an upload: a misspelled "titel"
    # would be lost silently otherwise.
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None,
        max_length=128,
        examples=["pistorius-2025-06-04"],
        description="Becomes the document id; derived from the text if absent.",
    )
    title: Title | None = None
    text: str = Field(min_length=1, examples=["Am 4. Juni 2025 treffen sich ..."])
    source: Source | None = None
    published_at: str | None = Field(None, max_length=64, examples=["2025-06-04"])
    metadata: dict[str, Any] | None = Field(
        None, description="Free-form JSON; omitted on a re-post: the stored metadata stays."
    )


class DocumentCreated(BaseModel):
    id: str
    chunks: int
    sentences: int
    created: bool
    updated: bool = Field(description="True when an existing document changed (text or metadata).")


class DocumentSummary(BaseModel):
    id: str
    title: str | None
    source: str | None
    published_at: str | None
    metadata: dict[str, Any]
    chunks: int
    sentences: int
    content_hash: str = Field(
        description="SHA-256 (hex) of the text in Unicode NFC without surrounding whitespace "
        "or byte-order marks: "
        "equal hashes are the same article."
    )
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, record: DocumentRecord, **extra: Any) -> Self:
        return cls(
            id=record.id,
            title=record.title,
            source=record.source,
            published_at=record.published_at,
            metadata=record.metadata,
            chunks=record.n_chunks,
            sentences=record.n_sentences,
            content_hash=record.content_hash,
            created_at=record.created_at,
            updated_at=record.updated_at,
            **extra,
        )


class DocumentDetail(DocumentSummary):
    text: str


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    total: int
    offset: int
    limit: int
    order: DocumentOrder = "oldest"


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelled field is 422, as in DocumentIn

    question: Question = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        examples=["Wer wurde zum Chef der Drohnentruppen ernannt?"],
    )
    top_k: TopK = Field(None, description="Passages to return; default: QA_TOP_K.")
    mode: AnswerMode | None = Field(
        None,
        description="extractive or generative (an LLM writes, every sentence verified); "
        "default: QA_ANSWER_MODE.",
    )


class SentenceOut(BaseModel):
    text: str = Field(description="A generated sentence, without its [n] markers.")
    citations: list[int] = Field(description="Ids of the citations that support it.")
    verified: bool = Field(
        description="Checked against its cited spans (always true: unverified sentences "
        "are dropped)."
    )


class AskResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    answer: str
    abstained: bool
    citations: list[CitationOut]
    passages: list[PassageOut]
    language: str = Field(description="Detected question language: de or en.")
    mode: Literal["extractive", "generative", "extractive_fallback"] = Field(
        "extractive",
        description="How the answer was made: extractive (article sentences), generative "
        "(written by the LLM, every sentence verified), or extractive_fallback (generative "
        "was asked for but gave nothing verified; see fallback_reason).",
    )
    fallback_reason: str | None = Field(
        None,
        examples=["llm_timeout"],
        description="Why a generative answer fell back: llm_timeout, llm_unavailable, "
        "llm_refused, llm_bad_response, llm_empty, llm_busy (QA_LLM_MAX_IN_FLIGHT answers "
        "were waiting on the LLM already), nothing_verified, stale (every cited "
        "article replaced or deleted while the LLM wrote), no_evidence, llm_not_configured.",
    )
    sentences: list[SentenceOut] | None = Field(
        None,
        description="Generative answers: the kept sentences; `answer` is their text "
        "with [n] markers.",
    )


class ExampleQuestionOut(BaseModel):
    question: str = Field(examples=["Worum geht es bei „NATO-Pläne und geopolitische Bedenken“?"])
    document_id: str = Field(description="The article the question was made from.")
    title: str | None


class ExampleQuestionsOut(BaseModel):
    questions: list[ExampleQuestionOut]
