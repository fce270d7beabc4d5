"""Answer-type cues: a question's wh-word says what kind of token its answer sentence holds.

"Wie viele ...?" wants a number, "Wann ...?" a date or time. A sentence without such a
token can still be right, so this is a small bonus in scoring, never a filter.
"""

import re
from typing import Literal

from qa_service.lexicon import (
    NUMBER_QUESTIONS,
    NUMBER_WORDS,
    TIME_QUESTIONS,
    TIME_WORDS,
    alternation,
)

AnswerType = Literal["number", "time"]

_QUESTION_TYPES: list[tuple[re.Pattern[str], AnswerType]] = [
    (re.compile(rf"\b({'|'.join(NUMBER_QUESTIONS)})\b", re.IGNORECASE), "number"),
    (re.compile(rf"\b({'|'.join(TIME_QUESTIONS)})\b", re.IGNORECASE), "time"),
]
_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b({alternation(NUMBER_WORDS)})\w*\b", re.IGNORECASE),
    "time": re.compile(
        rf"\b(1\d{{3}}|20\d{{2}})\b|\b({alternation(TIME_WORDS)})\b|\d{{1,2}}\.\s*\d{{1,2}}\.",
        re.IGNORECASE,
    ),
}


def expected_answer_type(question: str) -> AnswerType | None:
    for pattern, answer_type in _QUESTION_TYPES:
        if pattern.search(question):
            return answer_type
    return None


def has_answer_type(sentence: str, answer_type: AnswerType | None) -> bool:
    return answer_type is not None and _PATTERNS[answer_type].search(sentence) is not None
