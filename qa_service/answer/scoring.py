"""Scoring candidate sentences: how well each answers the question, and whether any does.

The weights come from the embedding model's calibration (``qa_service.tuning.calibration``);
the other numbers from ``qa_service.tuning.answer``.
"""

from collections.abc import Mapping, Sequence

import numpy as np

from qa_service.answer.citations import Ranked
from qa_service.answer.cues import (
    answer_type_test,
    asked_kind,
    expected_answer_type,
    role_holder_test,
    verb_role_test,
)
from qa_service.retrieval.lexical import term_coverage, words_found
from qa_service.retrieval.retriever import CandidateSentence
from qa_service.tuning import answer as tuning
from qa_service.tuning.calibration import ScoreWeights

Key = tuple[str, int]  # (doc_id, sentence ord)


def score_candidates(
    question: str,
    candidates: list[CandidateSentence],
    weights: ScoreWeights,
    extra: Sequence[float] | None = None,
) -> list[float]:
    """Dense similarity, plus term coverage, the previous sentence, chunk rank and cues (the
    answer type, or a role's holder named);
    ``extra``: each candidate's weighted signals from single-word vectors (the translated
    coverage, ``answer/translation.py``; the closest word, ``answer/word_similarity.py``),
    added as given."""
    coverage = term_coverage(question, [c.row.text for c in candidates])
    max_chunk = max(c.chunk_score for c in candidates)
    answer_type = expected_answer_type(question)
    cue = weights.speech if answer_type == "speech" else weights.cue
    if answer_type == "number" and asked_kind(question):
        cue = max(cue, weights.measure)  # "Wie lange ...?": a duration, not any number
    fits = answer_type_test(question, answer_type)  # the question read once
    # "Wie heißt der Bürgermeister von X?": the role noun with a name after it is the "who"
    # question's answer type, worth the wh-word cue (``cues.role_holder_test``).
    holds = role_holder_test(question)
    # "Wer trainiert X?": the role noun with a name after it ("Trainer Markus Brenner"), worth
    # its own weight (``ScoreWeights.role``).
    names_role = verb_role_test(question)
    scores = []
    for c, covered, added in zip(
        candidates, coverage, extra or [0.0] * len(candidates), strict=True
    ):
        previous = c.previous_dense if c.previous_dense is not None else c.dense
        chunk = c.chunk_score / max_chunk if max_chunk > 0 else 0.0
        scores.append(
            c.dense
            + weights.coverage * covered
            + weights.previous * previous
            + weights.chunk * chunk
            + (cue if fits(c.row.text) or holds(c.row.text) else 0.0)
            + (weights.role if names_role(c.row.text) else 0.0)
            - (weights.heading_penalty if c.row.kind == "heading" else 0.0)
            + added
        )
    return scores


def prefer_topic(
    candidates: list[CandidateSentence],
    scores: list[float],
    vectors: Mapping[Key, np.ndarray],
    topic_vector: np.ndarray,
    bonus: float,
) -> list[float]:
    """Add ``bonus`` to the sentences of the article closest to the conversation's topic.

    ``vectors`` are the candidates' stored sentence vectors; the article of the one closest
    to ``topic_vector`` (the earlier turns, folded) is the conversation's.
    """
    if not vectors:
        return scores
    _, topic_doc = max((float(v @ topic_vector), doc) for (doc, _), v in vectors.items())
    return [
        s + (bonus if c.row.doc_id == topic_doc else 0.0)
        for s, c in zip(scores, candidates, strict=True)
    ]


def rank(candidates: list[CandidateSentence], scores: list[float]) -> Ranked:
    """The candidates' sentences with their scores, best first (ties keep retrieval order)."""
    return sorted(
        zip(scores, (c.row for c in candidates), strict=True),
        key=lambda pair: pair[0],
        reverse=True,
    )


def evidence_score(question: str, candidates: list[CandidateSentence]) -> float:
    """How strongly the corpus speaks about the question at all (the abstain test's input).

    Uses the best cosine of any candidate, not of the best-scored one: the question is
    whether anything relevant was found, not which sentence answers.
    """
    closest = sorted(candidates, key=lambda c: c.dense, reverse=True)
    closest = closest[: tuning.EVIDENCE_SENTENCES]
    found = words_found(question, [c.row.text for c in closest])
    return closest[0].dense + tuning.EVIDENCE_WORDS_WEIGHT * found
