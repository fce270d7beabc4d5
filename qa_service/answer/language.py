"""Which language a question is in, to answer (and abstain) in the same language."""

import re

from qa_service.lexicon import LANGUAGE_CUES, Language, en

APOSTROPHE = re.compile(r"['’]")

__all__ = [
    "ABSTAIN_MESSAGE",
    "ASSISTANT_MESSAGE",
    "Language",
    "detect_language",
    "is_abstention",
    "unresolved_message",
]


def detect_language(text: str) -> Language:
    """German unless the question has clearly more English than German function words.

    A contraction reads as its first word ("What's" as "what", "Who's" as "who"), and an
    ending only English writes ("they're", "didn't") counts as one more English word."""
    words = [w.strip("?!.,;:\"'()’").lower() for w in text.split()]
    parts = [APOSTROPHE.split(w, maxsplit=1) for w in words]
    english = sum(
        p[0] in LANGUAGE_CUES["en"] or (len(p) == 2 and p[1] in en.CONTRACTIONS) for p in parts
    )
    german = sum(p[0] in LANGUAGE_CUES["de"] for p in parts)
    return "en" if english > german else "de"


ABSTAIN_MESSAGE: dict[Language, str] = {
    "de": "Dazu habe ich in den Artikeln keine belastbare Stelle gefunden.",
    "en": "I could not find a passage in the articles that answers this.",
}


def is_abstention(reply: str) -> bool:
    """Whether an assistant reply (as an OpenAI client sends it back) is our abstention."""
    return reply.strip().startswith(tuple(ABSTAIN_MESSAGE.values()))


ASSISTANT_MESSAGE: dict[Language, str] = {
    "de": (
        "Ich beantworte Fragen zu den gespeicherten Artikeln und zitiere die Stellen, die sie "
        "beantworten. Über mich selbst steht in den Artikeln nichts."
    ),
    "en": (
        "I answer questions about the stored articles and cite the passages that answer them. "
        "The articles say nothing about me."
    ),
}
"""The abstention for a question about the assistant itself ("Who are you?",
``answer/references.addresses_assistant``): no article answers it, so nothing is cited."""


UNRESOLVED_MESSAGE: dict[Language, str] = {
    "de": "Wen oder was meinen Sie mit „{pronoun}“? Nennen Sie bitte den Namen oder das Thema.",
    "en": 'Who or what do you mean by "{pronoun}"? Please name the person or the topic.',
}
"""The abstention for a question whose pronoun points at nothing (``answer/references.py``)."""


def unresolved_message(language: Language, pronoun: str) -> str:
    return UNRESOLVED_MESSAGE[language].format(pronoun=pronoun)
