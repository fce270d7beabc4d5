"""When the service says it found nothing instead of citing noise.

Two tests, both needed because dense similarity finds *something* for any text: the
evidence (``scoring.evidence_score``) must reach the embedding model's calibrated threshold
for the question's language, and the message must ask about something at all.
"""

from collections.abc import Sequence

from qa_service.answer.cues import expected_answer_type, holds_asked_quantity
from qa_service.lexicon import SMALL_TALK
from qa_service.retrieval.lexical import content_words, missing_names, share_found


def asks_something(question: str, query: str) -> bool:
    """Whether the message asks about anything at all.

    e5 places all short texts close together, so "Danke!" and "Was?" find sentences. A search
    with no content word ("Was?" alone, with no conversation to lend it one) or a message made
    only of small talk ("Danke!", "ok", "Super, das hilft mir") asks nothing. Anything else, a
    keyword or a misspelled name ("Schoygu") included, is left to the dense evidence.
    """
    if not content_words(query):
        return False
    own = content_words(question)  # none: a follow-up ("Wann war das?"), asked via query
    return not own or not own <= SMALL_TALK


def abstains(evidence: float, threshold: float, question: str, query: str) -> bool:
    """Too little evidence, or nothing asked: answer with the abstain message."""
    return evidence < threshold or not asks_something(question, query)


def near_miss(question: str, passages: Sequence[str]) -> bool:
    """A capitalised word of the question (a name; in German any noun) is in none of the
    candidate sentences: such a question must show more evidence (``Calibration.near_miss``)."""
    return bool(missing_names(question, passages))


def few_words_found(question: str, passages: Sequence[str], least_share: float) -> bool:
    """Less than ``least_share`` of the question's content words (lower-case ones too) are in
    any candidate sentence: another near miss (``Calibration.few_words_found``)."""
    return share_found(question, passages) < least_share


def lacks_asked_quantity(question: str, cited: Sequence[str]) -> bool:
    """A number question ("Wie viele ...?", "How much ...?") none of whose cited sentences
    (the best three and the best one's neighbours) holds a quantity that could answer it: a
    near miss that shares the articles' names but not what it asks for
    (``Calibration.asked_quantity``; ``cues.holds_asked_quantity`` says what counts)."""
    return expected_answer_type(question) == "number" and not any(
        holds_asked_quantity(question, sentence) for sentence in cited
    )
