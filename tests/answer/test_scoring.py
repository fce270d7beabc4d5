"""Scoring candidate sentences (planted candidates; tests/answer/test_topic.py runs the real
retriever and model)."""

import pytest

from qa_service.answer.scoring import evidence_score, rank, score_candidates
from qa_service.retrieval.retriever import CandidateSentence
from qa_service.stores import SentenceSpan
from qa_service.tuning import answer as tuning
from qa_service.tuning.calibration import ScoreWeights

WEIGHTS = ScoreWeights(coverage=0.15, previous=0.10, cue=0.03)


def candidate(text: str, dense: float, ord_: int = 0, **extra: object) -> CandidateSentence:
    row = SentenceSpan("a", ord_, 0, 0, len(text), extra.pop("kind", "body"), text)  # type: ignore[arg-type]
    return CandidateSentence(row, dense, 0.0, 1.0, 0, **extra)  # type: ignore[arg-type]


def test_each_signal_adds_its_weight() -> None:
    question = "Wann wurde der Hafen eröffnet?"
    plain = candidate("Es regnete.", 0.8, previous_dense=0.5)
    dated = candidate("Es regnete 1888.", 0.8, previous_dense=0.5)  # a year: the "Wann" cue
    heading = candidate("Es regnete", 0.8, previous_dense=0.5, kind="heading")
    first = candidate("Es regnete.", 0.8)  # no sentence before: its own cosine stands in
    scores = score_candidates(question, [plain, dated, heading, first], WEIGHTS)
    assert scores[0] == pytest.approx(0.8 + 0.10 * 0.5)
    assert scores[1] - scores[0] == pytest.approx(WEIGHTS.cue)
    assert scores[0] - scores[2] == pytest.approx(WEIGHTS.heading_penalty)
    assert scores[3] == pytest.approx(0.8 + 0.10 * 0.8)


def test_coverage_of_the_questions_words_lifts_a_sentence() -> None:
    question = "Wer leitet die Bibliothek?"
    other, answer = score_candidates(
        question,
        [candidate("Der Hafen ist alt.", 0.8), candidate("Die Bibliothek leitet Anna.", 0.8)],
        WEIGHTS,
    )
    assert answer > other


def test_rank_is_best_first_and_stable() -> None:
    a, b, c = candidate("A.", 0.8, 0), candidate("B.", 0.8, 1), candidate("C.", 0.8, 2)
    ranked = rank([a, b, c], [0.5, 0.9, 0.5])
    assert [row.ord for _, row in ranked] == [1, 0, 2]


def test_evidence_is_the_closest_cosine_plus_the_questions_words_found() -> None:
    question = "Wer ist Schoigu?"
    far = candidate("Schoigu traf Kim.", 0.70)
    near = [candidate(f"Satz {i}.", 0.85 - i * 0.01, i) for i in range(tuning.EVIDENCE_SENTENCES)]
    # The name is only in a sentence outside the closest ones: it does not count.
    assert evidence_score(question, [far, *near]) == pytest.approx(0.85)
    assert evidence_score(question, [far]) == pytest.approx(0.70 + tuning.EVIDENCE_WORDS_WEIGHT)
