"""Citations and passages: spans of stored articles, re-read and checked before they leave.

The check itself is ``_Span.matches`` in extractive.py: a citation's quote is read from the
stored article at its offsets, and every cited sentence must sit exactly there.
"""

from dataclasses import dataclass


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
