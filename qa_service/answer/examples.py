"""Example questions for the page's empty state, made from the section headings of stored
articles (whatever the index holds, not a fixed list).

A heading names what its section reports, so "Worum geht es bei „<heading>“?" is a question
the articles answer. Each candidate is asked once and kept only if its best citation is the
section's text, not the heading itself (4 of 7 seed headings qualify); the result is cached
until the articles it may look at change.
"""

import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from qa_service.answer.extractive import ExtractiveAnswerer
from qa_service.answer.language import detect_language
from qa_service.models import Citation
from qa_service.stores.base import DocumentRecord, DocumentStore
from qa_service.tuning.answer import (
    EXAMPLE_ARTICLES,
    EXAMPLE_CANDIDATES,
    EXAMPLE_LOOKBACK_ARTICLES,
)

TEMPLATES = {"de": "Worum geht es bei „{}“?", "en": "What is “{}” about?"}
_USABLE_HEADING = re.compile(r"^[^\d\n]{12,90}$")  # no date lines ("Mittwoch, 4. Juni")


@dataclass(frozen=True, slots=True)
class ExampleQuestion:
    question: str
    document_id: str
    title: str | None


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    doc_id: str
    title: str | None
    section: tuple[int, int]
    """Its section's text: from the heading's end to the next heading (or the article's end)."""


def _candidate_headings(docs: DocumentStore, records: list[DocumentRecord]) -> Iterator[Heading]:
    """The headings of ``records`` (newest first), read a window of ``EXAMPLE_ARTICLES`` at a
    time and only as far as they are asked for: within a window one heading per article in
    turn, then the next older window. A heading repeated (within an article, or in two
    articles: "Reaktionen") makes the same question: tried once per section, offered once
    (``ExampleQuestions._find``), from the newest article whose section answers it."""
    for first in range(0, len(records), EXAMPLE_ARTICLES):
        yield from _window_headings(docs, records[first : first + EXAMPLE_ARTICLES])


def _window_headings(docs: DocumentStore, records: list[DocumentRecord]) -> list[Heading]:
    per_doc: list[list[Heading]] = []
    for record in records:
        rows = docs.sentences_by_key([(record.id, i) for i in range(record.n_sentences)])
        ordered = [r for _, r in sorted(rows.items())]
        starts = [r.start for r in ordered if r.kind == "heading"]
        per_doc.append(
            [
                Heading(r.text, record.id, record.title, (r.end, _next(starts, r.end)))
                for r in ordered
                if r.kind == "heading"
                and r.ord > 0  # the first line is usually the title
                and len(r.text.split()) >= 3
                and _USABLE_HEADING.match(r.text)
            ]
        )
    rounds = max((len(h) for h in per_doc), default=0)
    return [h[i] for i in range(rounds) for h in per_doc if i < len(h)]


def _next(starts: list[int], after: int) -> int:
    """The first of ``starts`` past ``after``; none: no end (the article's)."""
    return next((start for start in starts if start > after), sys.maxsize)


def _answers_section(citation: Citation, heading: Heading) -> bool:
    """The best citation's chosen sentence lies in the heading's section of its article."""
    start = citation.start if citation.chosen_start is None else citation.chosen_start
    first, end = heading.section
    return citation.document_id == heading.doc_id and first <= start < end


def _chosen(citation: Citation) -> str:
    start = citation.start if citation.chosen_start is None else citation.chosen_start
    end = citation.end if citation.chosen_end is None else citation.chosen_end
    return citation.quote[start - citation.start : end - citation.start]


class ExampleQuestions:
    def __init__(self, answerer: ExtractiveAnswerer, docs: DocumentStore) -> None:
        self.answerer = answerer
        self.docs = docs
        self._lock = threading.Lock()
        self._cache: tuple[object, list[ExampleQuestion]] | None = None

    def get(self, limit: int = 3) -> list[ExampleQuestion]:
        newest = self.docs.page(offset=0, limit=EXAMPLE_LOOKBACK_ARTICLES, order="newest")
        key = (limit, tuple((r.id, r.content_hash) for r in newest))
        with self._lock:
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, self._find(newest, limit))
            return self._cache[1]

    def _find(self, newest: list[DocumentRecord], limit: int) -> list[ExampleQuestion]:
        found: list[ExampleQuestion] = []
        candidates = islice(_candidate_headings(self.docs, newest), EXAMPLE_CANDIDATES)
        offered: set[str] = set()
        for heading in candidates:
            question = TEMPLATES[detect_language(heading.text)].format(heading.text)
            if (key := " ".join(question.casefold().split())) in offered:
                continue
            answer = self.answerer.ask(question)
            if answer.abstained or not _answers_section(answer.citations[0], heading):
                continue  # nothing found, or found elsewhere: another section or article
            if _chosen(answer.citations[0]).strip() == heading.text:
                continue  # the best citation is the heading itself
            offered.add(key)
            found.append(ExampleQuestion(question, heading.doc_id, heading.title))
            if len(found) == limit:
                break
        return found
