"""The extractive answerer: the answer is made of article sentences, each one cited.

No LLM is involved, so nothing can be invented: the answer text is the cited sentences,
and each citation's quote is re-read from the stored article and compared before use.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from qa_service.answer.citations import Citation, Passage
from qa_service.answer.cues import expected_answer_type, has_answer_type
from qa_service.answer.language import ABSTAIN_MESSAGE, Language, detect_language
from qa_service.answer.reranking import Reranker, rerank
from qa_service.errors import EmptyQuestion, QuestionTooLong
from qa_service.lexicon import SMALL_TALK
from qa_service.retrieval.docstore import SentenceRow
from qa_service.retrieval.embedder import Embedder, embedder_calibration
from qa_service.retrieval.lexical import content_words, term_coverage, words_found
from qa_service.retrieval.retriever import CandidateSentence, HybridRetriever
from qa_service.textcheck import check_text
from qa_service.tuning import answer as answer_tuning
from qa_service.tuning.calibration import ScoreWeights


@dataclass(frozen=True, slots=True)
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]
    language: Language
    diagnostics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AnswerConfig:
    """How answers are built; every default is explained in ``qa_service.tuning.answer``."""

    max_citations: int = answer_tuning.MAX_CITATIONS
    weights: ScoreWeights | None = None  # None: the embedding model's calibration
    merge_margin: float = answer_tuning.MERGE_MARGIN
    max_citation_chars: int = answer_tuning.MAX_CITATION_CHARS
    neighbour_bonus: float = answer_tuning.NEIGHBOUR_BONUS
    context_chars: int = answer_tuning.CONTEXT_CHARS
    answer_margin: float = answer_tuning.ANSWER_MARGIN
    abstain_threshold: float | None = None  # None: the embedding model's calibration
    max_question_chars: int = 2000
    rerank_candidates: int = answer_tuning.RERANK_CANDIDATES
    topic_bonus: float = answer_tuning.TOPIC_BONUS
    topic_min_dependence: float = answer_tuning.TOPIC_MIN_DEPENDENCE


def score_candidates(
    question: str, candidates: list[CandidateSentence], weights: ScoreWeights
) -> list[float]:
    """Dense similarity, plus term coverage, the previous sentence, chunk rank and cues."""
    coverage = term_coverage(question, [c.row.text for c in candidates])
    max_chunk = max(c.chunk_score for c in candidates)
    answer_type = expected_answer_type(question)
    scores = []
    for c, covered in zip(candidates, coverage, strict=True):
        previous = c.previous_dense if c.previous_dense is not None else c.dense
        chunk = c.chunk_score / max_chunk if max_chunk > 0 else 0.0
        scores.append(
            c.dense
            + weights.coverage * covered
            + weights.previous * previous
            + weights.chunk * chunk
            + (weights.cue if has_answer_type(c.row.text, answer_type) else 0.0)
            - (weights.heading_penalty if c.row.kind == "heading" else 0.0)
        )
    return scores


def evidence_score(question: str, candidates: list[CandidateSentence]) -> float:
    """How strongly the corpus speaks about the question at all (the abstain test's input).

    Uses the best cosine of any candidate, not of the best-scored one: the question is
    whether anything relevant was found, not which sentence answers.
    """
    closest = sorted(candidates, key=lambda c: c.dense, reverse=True)
    closest = closest[: answer_tuning.EVIDENCE_SENTENCES]
    found = words_found(question, [c.row.text for c in closest])
    return closest[0].dense + answer_tuning.EVIDENCE_WORDS_WEIGHT * found


@dataclass(slots=True)
class _Span:
    """Consecutive candidate sentences of one document that form one citation."""

    doc_id: str
    first: int  # sentence ords, inclusive
    last: int
    start: int
    end: int
    score: float
    rows: list[SentenceRow]
    core: tuple[int, int]  # offsets of the chosen sentences, without added context

    @classmethod
    def of(cls, row: SentenceRow, score: float) -> "_Span":
        return cls(
            row.doc_id, row.ord, row.ord, row.start, row.end, score, [row], (row.start, row.end)
        )

    def touches(self, row: SentenceRow) -> bool:
        """``row`` is the sentence right before or after this span, with no text in between."""
        if row.doc_id != self.doc_id:
            return False
        if row.ord == self.last + 1:
            return row.start - self.end <= answer_tuning.MAX_JOIN_GAP
        return row.ord == self.first - 1 and self.start - row.end <= answer_tuning.MAX_JOIN_GAP

    def extend(self, row: SentenceRow, *, context: bool = False) -> None:
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


def group_citations(ranked: list[tuple[float, SentenceRow]], cfg: AnswerConfig) -> list[_Span]:
    """Pick up to ``max_citations`` spans from the ranked sentences, best first.

    A sentence next to one already chosen joins that span instead of taking a slot: two
    neighbouring sentences are one statement more often than two separate ones. The first
    citation only grows by sentences scored within ``merge_margin`` of it, so it stays a
    precise span.
    """
    spans: list[_Span] = []
    best = ranked[0][0] if ranked else 0.0
    if ranked and cfg.neighbour_bonus:
        top = ranked[0][1]

        def order(pair: tuple[float, SentenceRow]) -> float:
            row = pair[1]
            adjacent = row.doc_id == top.doc_id and abs(row.ord - top.ord) == 1
            return pair[0] + (cfg.neighbour_bonus if adjacent else 0.0)

        ranked = [ranked[0], *sorted(ranked[1:], key=order, reverse=True)]
    for score, row in ranked:
        neighbour = next((s for s in spans if s.touches(row)), None)
        if neighbour is not None:
            close = neighbour is not spans[0] or best - score <= cfg.merge_margin
            length = max(neighbour.end, row.end) - min(neighbour.start, row.start)
            if close and length <= cfg.max_citation_chars:
                neighbour.extend(row)
                continue
        if len(spans) >= cfg.max_citations:
            break
        spans.append(_Span.of(row, score))
    if cfg.context_chars:
        _add_context(spans[1:], spans, {(r.doc_id, r.ord): r for _, r in ranked}, cfg)
    return spans


def _add_context(
    targets: list[_Span],
    spans: list[_Span],
    rows: dict[tuple[str, int], SentenceRow],
    cfg: AnswerConfig,
) -> None:
    """Grow each target span by one body sentence on each side that no citation holds yet."""
    for span in targets:
        for key in ((span.doc_id, span.first - 1), (span.doc_id, span.last + 1)):
            row = rows.get(key)
            held = any(s.doc_id == key[0] and s.first <= key[1] <= s.last for s in spans)
            if row is None or held or row.kind == "heading" or not span.touches(row):
                continue
            if max(span.end, row.end) - min(span.start, row.start) <= cfg.context_chars:
                span.extend(row, context=True)


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")  # in any script


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class ExtractiveAnswerer:
    def __init__(
        self,
        retriever: HybridRetriever,
        embedder: Embedder,
        config: AnswerConfig | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.config = config or AnswerConfig()
        self.reranker = reranker
        self.calibration = embedder_calibration(embedder)
        self.weights = self.config.weights or self.calibration.weights

    def abstain_threshold(self, language: Language) -> float:
        """The configured threshold, else the model's calibrated one for this language."""
        if self.config.abstain_threshold is not None:
            return self.config.abstain_threshold
        return self.calibration.abstain[language]

    def _prefer_topic(
        self,
        candidates: list[CandidateSentence],
        scores: list[float],
        topic_vector: np.ndarray,
        dependence: float,
    ) -> list[float]:
        """Add the topic bonus to the sentences of the article closest to the conversation."""
        keys = [(c.row.doc_id, c.row.ord) for c in candidates]
        vectors = self.retriever.index.docs.sentence_vectors(keys)
        if not vectors:
            return scores
        _, topic_doc = max((float(v @ topic_vector), doc) for (doc, _), v in vectors.items())
        bonus = self.config.topic_bonus * dependence
        return [
            s + (bonus if doc == topic_doc else 0.0)
            for s, (doc, _) in zip(scores, keys, strict=True)
        ]

    @staticmethod
    def _asks_something(question: str, query: str) -> bool:
        """Whether the message asks about anything at all.

        Dense similarity finds something for any text ("Danke!", "Was?"): e5 places all
        short texts close together. A search with no content word ("Was?" alone, with no
        conversation to lend it one) or a message made only of small talk ("Danke!", "ok",
        "Super, das hilft mir") asks nothing. Anything else, a keyword or a misspelled name
        ("Schoygu") included, is left to the dense evidence.
        """
        if not content_words(query):
            return False
        own = content_words(question)  # none: a follow-up ("Wann war das?"), asked via query
        return not own or not own <= SMALL_TALK

    def check_question(self, question: str) -> str:
        question = check_text(question, "the question").strip()
        if not question:
            raise EmptyQuestion("the question is empty")
        if not _LETTER_OR_DIGIT.search(question):
            raise EmptyQuestion("the question has no words (only punctuation, symbols or spaces)")
        if len(question) > self.config.max_question_chars:
            raise QuestionTooLong(
                f"the question has {len(question):,} characters; the limit is "
                f"{self.config.max_question_chars:,}"
            )
        return question

    def ask(
        self,
        question: str,
        top_k: int = 4,
        *,
        retrieval_query: str | None = None,
        vector: np.ndarray | None = None,
        topic: tuple[np.ndarray, float] | None = None,
    ) -> Answer:
        """Answer ``question``; a ``retrieval_query`` (a chat rewrite) may replace it for search.

        ``topic`` is a conversation's earlier turns (their folded vector) and how much the
        question depends on them, in [0, 1]: its article is preferred (see ``topic_bonus``).
        """
        question = self.check_question(question)
        query = retrieval_query or question
        if vector is None:
            vector = self.embedder.embed_query(query)
        language = detect_language(question)
        retrieval = self.retriever.retrieve(query, vector, top_k)
        docs = self.retriever.index.docs
        titles: dict[str, str | None] = {c.row.doc_id: None for c in retrieval.chunks}
        titles |= {c.row.doc_id: None for c in retrieval.candidates}
        for doc_id in titles:
            record = docs.get(doc_id)
            titles[doc_id] = record.title if record else None

        passages = [
            Passage(
                c.row.doc_id,
                titles.get(c.row.doc_id),
                c.row.start,
                c.row.end,
                docs.quote(c.row.doc_id, c.row.start, c.row.end) or "",
                round(c.score, 6),
            )
            for c in retrieval.chunks
        ]
        candidates = retrieval.candidates
        if not candidates:
            return Answer(ABSTAIN_MESSAGE[language], True, [], passages, language)

        scores = score_candidates(question, candidates, self.weights)
        if (
            topic is not None
            and topic[1] >= self.config.topic_min_dependence
            and self.config.topic_bonus
        ):
            scores = self._prefer_topic(candidates, scores, *topic)
        ranked = sorted(
            zip(scores, (c.row for c in candidates), strict=True),
            key=lambda pair: pair[0],
            reverse=True,
        )
        evidence = evidence_score(question, candidates)
        diagnostics = {"evidence": evidence, "best_score": ranked[0][0]}
        if evidence < self.abstain_threshold(language) or not self._asks_something(question, query):
            return Answer(ABSTAIN_MESSAGE[language], True, [], passages, language, diagnostics)
        if self.reranker is not None and len(ranked) > 1:
            # The search query: in a conversation it carries the topic ("Wann war das? Chef
            # Drohnentruppen"), which the follow-up alone does not.
            head = ranked[: self.config.rerank_candidates]
            ranked = rerank(self.reranker, query, ranked, [row.text for _, row in head])
            diagnostics["reranked"] = float(len(head))

        citations: list[Citation] = []
        statements: dict[int, str] = {}  # citation id -> its chosen sentences, without context
        for span in group_citations(ranked, self.config):
            quote = docs.quote(span.doc_id, span.start, span.end)
            if quote is None or not span.matches(quote):
                continue  # never cite a span we cannot show again exactly
            number = len(citations) + 1
            statements[number] = quote[span.core[0] - span.start : span.core[1] - span.start]
            citations.append(
                Citation(
                    number,
                    span.doc_id,
                    titles.get(span.doc_id),
                    span.start,
                    span.end,
                    quote,
                    round(span.score, 6),
                )
            )
        if not citations:
            return Answer(ABSTAIN_MESSAGE[language], True, [], passages, language, diagnostics)
        # Another citation joins the answer text only when it scores nearly as well and
        # comes from the same article: near-ties across articles are common for English
        # questions (no shared words with German text) and would read as a list of guesses.
        # The answer reads each citation's chosen sentences, not the context shown around them.
        best = citations[0]
        in_answer = [
            c
            for c in citations
            if c.document_id == best.document_id
            and c.score >= best.score - self.config.answer_margin
        ]
        in_answer.sort(key=lambda c: c.start)  # read in article order
        answer = " ".join(f"{_fold(statements[c.id])} [{c.id}]" for c in in_answer)
        return Answer(answer, False, citations, passages, language, diagnostics)
