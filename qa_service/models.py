"""Domain records that flow one way: article -> sentences/chunks -> passages -> answer.

Offsets are half-open ``[start, end)`` character positions into the stored article text;
they are born at segmentation and never recomputed by searching text later.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    kind: Literal["body", "heading"] = "body"


@dataclass(frozen=True, slots=True)
class Chunk:
    start: int
    end: int
    first_sentence: int  # index into the article's sentence list
    last_sentence: int  # inclusive


@dataclass(frozen=True, slots=True)
class Found:
    """What an uploaded file or page says about itself (its headline, its date, its file
    name as the source): used only where the caller gave nothing and no version is stored
    with one, never over what was given before."""

    title: str | None = None
    source: str | None = None
    published_at: str | None = None


@dataclass(slots=True)
class Article:
    """An article as parsed from its source, before it gets an id. ``title``, ``source``
    and ``published_at`` are given (they replace what is stored); ``found``, fallbacks."""

    text: str
    title: str | None = None
    source: str | None = None
    published_at: str | None = None
    metadata: dict[str, Any] | None = None  # None: keep what a stored version has
    found: Found = Found()

    def as_found(self) -> "Article":
        """This article with its title, source and date as fallbacks (``found``): what a
        file or page yields, not what a caller gave."""
        return Article(
            self.text,
            metadata=self.metadata,
            found=Found(self.title, self.source, self.published_at),
        )


INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"  # BOM / zero-width no-break space, zero-widths
_EDGES = re.compile(rf"^[\s{INVISIBLE}]+|[\s{INVISIBLE}]+$")
_WHITESPACE = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """What makes two article texts "the same text" (one document, never a second copy).

    SHA-256 of the text in Unicode NFC with the whitespace and invisible marks around it
    removed: the same article with decomposed umlauts (macOS file names, some CMS exports),
    one more trailing newline (a file vs. a JSON string), or a byte-order mark or zero-width
    space at either end (an editor's, a copy-paste's) is the same article. So is one whose
    whitespace differs inside (one more space in a sentence, another line wrapping, a tab for
    a space: HUNT L8): every run of whitespace counts as one space. The stored text is kept
    exactly as first posted; citations index into it.
    """
    canonical = _WHITESPACE.sub(" ", _canonical(text))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(text: str) -> str:
    """NFC without the whitespace and invisible marks around it."""
    return _EDGES.sub("", unicodedata.normalize("NFC", text))


def canonical_field(value: str | None) -> str | None:
    """A title, source or date as stored: NFC without the whitespace and invisible marks
    around it, as ``content_hash`` reads the text; spelled otherwise (decomposed umlauts, a
    trailing space from a form) it is the same value, not a new version. Empty: not given."""
    if value is None:
        return None
    return _canonical(value) or None


def canonical_metadata(value: Any) -> Any:
    """Metadata with every string (keys too) in NFC; strings are kept whole, spaces and all."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {canonical_metadata(k): canonical_metadata(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical_metadata(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Segmentation:
    sentences: list[Sentence]
    chunks: list[Chunk]


@dataclass(frozen=True, slots=True)
class Citation:
    """A span of a stored article that an answer cites: ``text[start:end] == quote``.

    Also the API's ``CitationOut`` (api/schemas.py): the descriptions are its documentation.
    """

    id: Annotated[int, Field(description="The number used in the answer's [n] markers.")]
    document_id: str
    title: str | None
    start: Annotated[
        int,
        Field(
            description=(
                "Start offset into the document text, in Unicode code points (Python string "
                "indices; in JavaScript index Array.from(text), not the UTF-16 string)."
            )
        ),
    ]
    end: Annotated[int, Field(description="End offset, exclusive: text[start:end] == quote.")]
    quote: str
    score: float
    chosen_start: Annotated[
        int | None,
        Field(
            description="Where the chosen sentence(s) start, in the same code points: `quote` "
            "may carry a sentence of context on each side (citations 2 and 3), and "
            "text[chosen_start:chosen_end] is what was chosen. Equals start when there is no "
            "context; null only in conversation turns stored before the field existed."
        ),
    ] = None
    chosen_end: Annotated[
        int | None,
        Field(description="End of the chosen sentence(s), exclusive; equals end without context."),
    ] = None


@dataclass(frozen=True, slots=True)
class Passage:
    document_id: str
    title: str | None
    start: int
    end: int
    text: str
    score: float
