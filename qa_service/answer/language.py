"""Which language a question is in, to answer (and abstain) in the same language."""

from qa_service.lexicon import LANGUAGE_CUES, Language

__all__ = ["ABSTAIN_MESSAGE", "Language", "detect_language", "unresolved_message"]


def detect_language(text: str) -> Language:
    """German unless the question has clearly more English than German function words."""
    words = [w.strip("?!.,;:\"'()").lower() for w in text.split()]
    english = sum(w in LANGUAGE_CUES["en"] for w in words)
    german = sum(w in LANGUAGE_CUES["de"] for w in words)
    return "en" if english > german else "de"


ABSTAIN_MESSAGE: dict[Language, str] = {
    "de": "Dazu habe ich in den Artikeln keine belastbare Stelle gefunden.",
    "en": "I could not find a passage in the articles that answers this.",
}


UNRESOLVED_MESSAGE: dict[Language, str] = {
    "de": "Wen oder was meinen Sie mit „{pronoun}“? Nennen Sie bitte den Namen oder das Thema.",
    "en": 'Who or what do you mean by "{pronoun}"? Please name the person or the topic.',
}
"""The abstention for a question whose pronoun points at nothing (``answer/references.py``)."""


def unresolved_message(language: Language, pronoun: str) -> str:
    return UNRESOLVED_MESSAGE[language].format(pronoun=pronoun)
