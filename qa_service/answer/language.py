"""Which language a question is in, to answer (and abstain) in the same language."""

from typing import Literal

Language = Literal["de", "en"]

_EN = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "is",
        "are",
        "was",
        "were",
        "who",
        "what",
        "when",
        "where",
        "which",
        "why",
        "how",
        "many",
        "much",
        "did",
        "does",
        "do",
        "has",
        "have",
        "with",
        "for",
        "from",
        "by",
        "about",
        "and",
        "or",
    ]
)
_DE = frozenset(
    [
        "der",
        "die",
        "das",
        "des",
        "dem",
        "den",
        "ein",
        "eine",
        "einer",
        "eines",
        "im",
        "in",
        "am",
        "an",
        "auf",
        "zu",
        "ist",
        "sind",
        "war",
        "waren",
        "wer",
        "was",
        "wann",
        "wo",
        "welche",
        "welcher",
        "welches",
        "warum",
        "wie",
        "viele",
        "hat",
        "haben",
        "mit",
        "für",
        "von",
        "über",
        "und",
        "oder",
        "nicht",
    ]
)


def detect_language(text: str) -> Language:
    """German unless the question has clearly more English than German function words."""
    words = [w.strip("?!.,;:\"'()").lower() for w in text.split()]
    english = sum(w in _EN for w in words)
    german = sum(w in _DE for w in words)
    return "en" if english > german else "de"


ABSTAIN_MESSAGE: dict[Language, str] = {
    "de": "Dazu habe ich in den Artikeln keine belastbare Stelle gefunden.",
    "en": "I could not find a passage in the articles that answers this.",
}
