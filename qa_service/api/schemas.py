"""Request and response models of the public HTTP API (a contract: add fields, rename none)."""

from typing import Any

from pydantic import BaseModel, Field

MAX_QUESTION_CHARS = 2000


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    documents: int
    chunks: int
    sentences: int
    embedder: str
    reranker: str | None = Field(None, description="QA_RERANKER_MODEL, when one is loaded.")
    calibrated: bool = Field(
        description="Whether the embedding model's score weights and abstain threshold were "
        "measured with this very model (qa_service/tuning/calibration.py); false for a "
        "custom QA_EMBEDDING_MODEL nobody calibrated."
    )
    pid: int = Field(description="The serving process (one of several under serve --workers).")


class DocumentIn(BaseModel):
    id: str | None = Field(
        None,
        max_length=128,
        examples=["pistorius-2025-06-04"],
        description="Becomes the document id; derived from the text if absent.",
    )
    title: str | None = Field(None, max_length=500)
    text: str = Field(min_length=1, examples=["Am 4. Juni 2025 treffen sich ..."])
    source: str | None = Field(None, max_length=2000)
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
    content_hash: str
    created_at: float
    updated_at: float


class DocumentDetail(DocumentSummary):
    text: str


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    total: int
    offset: int
    limit: int


class AskRequest(BaseModel):
    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        examples=["Wer wurde zum Chef der Drohnentruppen ernannt?"],
    )
    top_k: int | None = Field(None, ge=1, le=20, description="Passages to return (default 4).")


class CitationOut(BaseModel):
    id: int = Field(description="The number used in the answer's [n] markers.")
    document_id: str
    title: str | None
    start: int = Field(
        description=(
            "Start offset into the document text, in Unicode code points (Python string "
            "indices; in JavaScript index Array.from(text), not the UTF-16 string)."
        )
    )
    end: int = Field(description="End offset, exclusive: text[start:end] == quote.")
    quote: str
    score: float


class PassageOut(BaseModel):
    document_id: str
    title: str | None
    start: int
    end: int
    text: str
    score: float


class AskResponse(BaseModel):
    answer: str
    abstained: bool
    citations: list[CitationOut]
    passages: list[PassageOut]
    language: str = Field(description="Detected question language: de or en.")
