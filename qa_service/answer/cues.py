"""Answer-type cues: a question's wh-word says what kind of token its answer sentence holds.

"Wie viele ...?" wants a number, "Wann ...?" a date or time. A sentence without such a
token can still be right, so this is a small bonus in scoring, never a filter.
"""

import re
from typing import Literal

AnswerType = Literal["number", "time"]

_QUESTION_TYPES: list[tuple[re.Pattern[str], AnswerType]] = [
    (
        re.compile(
            r"\b(wie\s*viele?|wieviele?|wie\s+hoch|wie\s+gro(ß|ss)|wie\s+lange?|"
            r"how\s+(many|much|long|high|large|big|old)|what\s+(number|percentage))\b",
            re.IGNORECASE,
        ),
        "number",
    ),
    (
        re.compile(
            r"\b(wann|seit\s+wann|bis\s+wann|in\s+welchem\s+jahr|an\s+welchem\s+tag|"
            r"when|what\s+year|which\s+year|what\s+date)\b",
            re.IGNORECASE,
        ),
        "time",
    ),
]

_MONTHS = (
    "januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "january|february|march|may|june|july|october|december|montag|dienstag|mittwoch|"
    "donnerstag|freitag|samstag|sonntag|jahrhundert|century|gestern|heute|morgen"
)
_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    "number": re.compile(
        r"\d|\b(ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
        r"hundert|tausend|million|milliarde|dutzend|hälfte|prozent|one|two|three|four|five|six|"
        r"seven|eight|nine|ten|hundred|thousand|million|billion|percent)\w*\b",
        re.IGNORECASE,
    ),
    "time": re.compile(
        rf"\b(1\d{{3}}|20\d{{2}})\b|\b({_MONTHS})\b|\d{{1,2}}\.\s*\d{{1,2}}\.", re.IGNORECASE
    ),
}


def expected_answer_type(question: str) -> AnswerType | None:
    for pattern, answer_type in _QUESTION_TYPES:
        if pattern.search(question):
            return answer_type
    return None


def has_answer_type(sentence: str, answer_type: AnswerType | None) -> bool:
    return answer_type is not None and _PATTERNS[answer_type].search(sentence) is not None
