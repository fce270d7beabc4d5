"""Citation building: ranked sentences -> spans of stored articles -> checked citations.

A citation's quote is read from the stored article at its offsets, and every cited sentence
must sit exactly there (``Span.matches``): nothing is cited that cannot be shown again
exactly. The numbers that shape the grouping are in ``qa_service.tuning.answer``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from qa_service.models import Citation
from qa_service.stores.base import SentenceSpan
from qa_service.tuning import answer as tuning

Ranked = list[tuple[float, SentenceSpan]]
"""Candidate sentences with their scores, best first."""
Quote = Callable[[str, int, int], str | None]
"""Reads ``document[start:end]`` from the store (None: the document or span is gone)."""


class Grouping(Protocol):
    """What ``group_citations`` reads from the answer configuration (read-only)."""

    @property
    def max_citations(self) -> int: ...
    @property
    def merge_margin(self) -> float: ...
    @property
    def max_citation_chars(self) -> int: ...
    @property
    def neighbour_bonus(self) -> float: ...
    @property
    def context_chars(self) -> int: ...


@dataclass(slots=True)
class Span:
    """Consecutive candidate sentences of one document that form one citation."""

    doc_id: str
    first: int  # sentence ords, inclusive
    last: int
    start: int
    end: int
    score: float
    rows: list[SentenceSpan]
    core: tuple[int, int]  # offsets of the chosen sentences, without added context
    said: bool = True  # its sentences may be said in the answer text (``framing``)

    @classmethod
    def of(cls, row: SentenceSpan, score: float) -> "Span":
        return cls(
            row.doc_id, row.ord, row.ord, row.start, row.end, score, [row], (row.start, row.end)
        )

    def gap(self, row: SentenceSpan) -> tuple[int, int]:
        """Offsets of the text between this span and ``row``, a sentence that touches it."""
        return (self.end, row.start) if row.ord > self.last else (row.end, self.start)

    def touches(self, row: SentenceSpan) -> bool:
        """``row`` is the sentence right before or after this span, with no text in between."""
        if row.doc_id != self.doc_id:
            return False
        if row.ord == self.last + 1:
            return row.start - self.end <= tuning.MAX_JOIN_GAP
        return row.ord == self.first - 1 and self.start - row.end <= tuning.MAX_JOIN_GAP

    def extend(self, row: SentenceSpan, *, context: bool = False) -> None:
        self.first, self.last = min(self.first, row.ord), max(self.last, row.ord)
        self.start, self.end = min(self.start, row.start), max(self.end, row.end)
        self.rows.append(row)
        if not context:
            self.core = (min(self.core[0], row.start), max(self.core[1], row.end))

    def matches(self, quote: str) -> bool:
        """Each sentence's stored text is exactly where its offsets say in ``quote``."""
        return len(quote) == self.end - self.start and all(
            quote[r.start - self.start : r.end - self.start] == r.text for r in self.rows
        )


def ends_paragraph(between: str | None) -> bool:
    """Whether the text between two sentences may hold a paragraph break: any line break.

    A blank line always is one. A single line break is one in text written a paragraph a
    line (as scrapers such as trafilatura write articles) and cannot be told from a hard wrap
    by the text between two sentences, so it counts too: across a hard wrap the first
    citation merely stays one sentence, across a paragraph it would join two statements.
    """
    return between is not None and "\n" in between


def group_citations(
    ranked: Ranked,
    cfg: Grouping,
    quote: Quote | None = None,
    leads: Mapping[str, int] | None = None,
) -> list[Span]:
    """Pick up to ``max_citations`` spans from the ranked sentences, best first.

    A sentence next to one already chosen joins that span instead of taking a slot: two
    neighbouring sentences are one statement more often than two separate ones. The first
    citation only grows by sentences scored within ``merge_margin`` of it, and never across
    a paragraph break or a line break (read through ``quote``), so it stays a precise span;
    nor by a sentence that only frames it (``framing``: a heading, or the lead of its article
    when the best sentence was read with it; ``leads``: each article's last lead sentence).
    """
    spans: list[Span] = []
    best = ranked[0][0] if ranked else 0.0
    if ranked and cfg.neighbour_bonus:
        ranked = prefer_neighbours(ranked, cfg.neighbour_bonus)
    for score, row in ranked:
        neighbour = next((s for s in spans if s.touches(row)), None)
        if neighbour is not None:
            close = neighbour is not spans[0] or (
                best - score <= cfg.merge_margin
                and not (quote and ends_paragraph(quote(row.doc_id, *neighbour.gap(row))))
                and not framing(row, spans[0].rows[0], leads)
            )
            length = max(neighbour.end, row.end) - min(neighbour.start, row.start)
            if close and length <= cfg.max_citation_chars:
                neighbour.extend(row)
                continue
        if len(spans) >= cfg.max_citations:
            break
        spans.append(Span.of(row, score))
    for span in spans[1:]:  # the first is the answer itself: always said
        span.said = not all(framing(r, spans[0].rows[0], leads) for r in span.rows)
    if cfg.context_chars:
        add_context(spans[1:], spans, {(r.doc_id, r.ord): r for _, r in ranked}, cfg.context_chars)
    return spans


def framing(row: SentenceSpan, best: SentenceSpan, leads: Mapping[str, int] | None) -> bool:
    """Whether ``row`` only frames the ``best`` sentence's answer: a heading (a headline
    names the topic and states nothing), or a sentence of the lead of ``best``'s article
    (``answer/lead.py``; ``leads``: each article's last lead sentence) when ``best`` comes
    after it, being read with it: its words already count for ``best``, so its near tie is
    the same evidence again, not a second statement. Neither joins the first citation nor
    is said in the answer text (issue 16: "Wer gewann in Seebach?" began with the lead)."""
    if row.kind == "heading":
        return True
    last = None if leads is None or row.doc_id != best.doc_id else leads.get(row.doc_id)
    return last is not None and row.ord <= last < best.ord


def prefer_neighbours(ranked: Ranked, bonus: float) -> Ranked:
    """Reorder all but the best sentence, its neighbours first by ``bonus`` (scores unchanged)."""
    top = ranked[0][1]

    def order(pair: tuple[float, SentenceSpan]) -> float:
        row = pair[1]
        adjacent = row.doc_id == top.doc_id and abs(row.ord - top.ord) == 1
        return pair[0] + (bonus if adjacent else 0.0)

    return [ranked[0], *sorted(ranked[1:], key=order, reverse=True)]


def add_context(
    targets: list[Span],
    spans: list[Span],
    rows: dict[tuple[str, int], SentenceSpan],
    max_chars: int,
) -> None:
    """Grow each target span by one body sentence on each side that no citation holds yet."""
    for span in targets:
        for key in ((span.doc_id, span.first - 1), (span.doc_id, span.last + 1)):
            row = rows.get(key)
            held = any(s.doc_id == key[0] and s.first <= key[1] <= s.last for s in spans)
            if row is None or held or row.kind == "heading" or not span.touches(row):
                continue
            if max(span.end, row.end) - min(span.start, row.start) <= max_chars:
                span.extend(row, context=True)


def build_citations(
    spans: list[Span], quote: Quote, titles: dict[str, str | None]
) -> list[tuple[Citation, str]]:
    """Each span that still reads exactly as stored, numbered from 1, with its statement.

    The statement is the span's chosen sentences without the context added around them:
    what the answer text may say; empty for a span that only frames the answer
    (``Span.said``), which is cited but not said.
    """
    built: list[tuple[Citation, str]] = []
    for span in spans:
        text = quote(span.doc_id, span.start, span.end)
        if text is None or not span.matches(text):
            continue  # never cite a span we cannot show again exactly
        number = len(built) + 1
        citation = Citation(
            number,
            span.doc_id,
            titles.get(span.doc_id),
            span.start,
            span.end,
            text,
            round(span.score, 6),
            chosen_start=span.core[0],
            chosen_end=span.core[1],
        )
        statement = text[span.core[0] - span.start : span.core[1] - span.start]
        built.append((citation, statement if span.said else ""))
    return built
