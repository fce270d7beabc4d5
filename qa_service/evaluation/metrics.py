"""Per-question outcomes and the metrics of issue 3, computed from them.

A gold answer "is in" a quote when the case-folded, whitespace-collapsed answer is a substring
of the equally normalised quote. An abstention counts as a miss for every hit metric.
"""

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

_SPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+\]")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def contains_answer(quote: str, answers: Sequence[str]) -> bool:
    folded = normalise(quote)
    return any(normalise(a) and normalise(a) in folded for a in answers)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the system returned for one question, reduced to what the metrics need."""

    question_id: str
    gold_document: str
    answers: tuple[str, ...]
    abstained: bool
    citations: tuple[tuple[str, str], ...]  # (document_id, quote), best first
    passages: tuple[tuple[str, str], ...] = ()  # (document_id, text), best first
    seconds: float = 0.0
    answer: str = ""  # the answer text as sent (generative: the verified sentences)
    mode: str = "extractive"  # extractive, generative or extractive_fallback
    fallback_reason: str | None = None
    sentences_kept: int = 0  # generative: verified sentences
    sentences_dropped: int = 0  # generative: sentences the verifier refused

    @property
    def answer_hit(self) -> bool:
        """The answer text itself (markers aside) holds a gold answer."""
        return not self.abstained and contains_answer(_MARKER.sub(" ", self.answer), self.answers)

    @property
    def top_hit(self) -> bool:
        return bool(self.citations) and contains_answer(self.citations[0][1], self.answers)

    @property
    def any_hit(self) -> bool:
        return any(contains_answer(quote, self.answers) for _, quote in self.citations)

    @property
    def doc_hit(self) -> bool:
        return bool(self.citations) and self.citations[0][0] == self.gold_document

    @property
    def passage_hit(self) -> bool:
        return any(contains_answer(text, self.answers) for _, text in self.passages)


@dataclass(frozen=True, slots=True)
class Metrics:
    questions: int
    answer_in_top_citation: float
    answer_in_citations: float
    answer_in_passages: float
    doc_hit_at_1: float
    median_citation_chars: float
    max_citations: int
    abstained: float
    latency_p50_ms: float
    latency_p95_ms: float
    ingest_seconds: float
    answer_contains_gold: float = 0.0
    with_verified_sentence: float = 0.0  # generative: share with at least one kept sentence
    sentences_kept: int = 0
    sentences_dropped: int = 0
    fallbacks: dict[str, int] | None = None  # reason -> questions (generative mode)

    def as_json(self) -> dict[str, float | int | dict[str, int] | None]:
        """The JSON line's keys: issue 3's names (``doc_hit@1``), values rounded for reading."""
        out: dict[str, float | int | dict[str, int] | None] = {}
        for key, value in asdict(self).items():
            name = "doc_hit@1" if key == "doc_hit_at_1" else key
            out[name] = round(value, 4) if isinstance(value, float) else value
        return out


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarise(outcomes: Sequence[Outcome], ingest_seconds: float = 0.0) -> Metrics:
    n = len(outcomes)

    def share(flags: Sequence[bool]) -> float:
        return sum(flags) / n if n else 0.0

    answered = [o for o in outcomes if not o.abstained and o.citations]
    seconds = [o.seconds for o in outcomes]
    return Metrics(
        questions=n,
        answer_in_top_citation=share([o.top_hit for o in outcomes]),
        answer_in_citations=share([o.any_hit for o in outcomes]),
        answer_in_passages=share([o.passage_hit for o in outcomes]),
        doc_hit_at_1=share([o.doc_hit for o in outcomes]),
        median_citation_chars=(
            statistics.median(len(o.citations[0][1]) for o in answered) if answered else 0.0
        ),
        max_citations=max((len(o.citations) for o in outcomes), default=0),
        abstained=share([o.abstained for o in outcomes]),
        latency_p50_ms=percentile(seconds, 50) * 1000,
        latency_p95_ms=percentile(seconds, 95) * 1000,
        ingest_seconds=ingest_seconds,
        answer_contains_gold=share([o.answer_hit for o in outcomes]),
        with_verified_sentence=share([o.sentences_kept > 0 for o in outcomes]),
        sentences_kept=sum(o.sentences_kept for o in outcomes),
        sentences_dropped=sum(o.sentences_dropped for o in outcomes),
        fallbacks=dict(Counter(o.fallback_reason for o in outcomes if o.fallback_reason)) or None,
    )
