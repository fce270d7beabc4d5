"""Which language a question is in, to answer (and abstain) in the same language."""

from qa_service.lexicon import LANGUAGE_CUES, Language

__all__ = ["ABSTAIN_MESSAGE", "Language", "detect_language"]


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
