"""Citations are checked against the stored article text before they leave the service."""

from dataclasses import dataclass

from qa_service.retrieval.docstore import DocStore


@dataclass(frozen=True, slots=True)
class Citation:
    id: int  # the number used in the answer's [n] markers
    document_id: str
    title: str | None
    start: int
    end: int
    quote: str
    score: float


@dataclass(frozen=True, slots=True)
class Passage:
    document_id: str
    title: str | None
    start: int
    end: int
    text: str
    score: float


def verified_quote(docs: DocStore, doc_id: str, start: int, end: int, expected: str) -> bool:
    """True when the article text at [start, end) is exactly ``expected``."""
    return docs.quote(doc_id, start, end) == expected
