"""Words that point elsewhere, and whether a question names anything of its own.

"Wann war er zuletzt dort?" and "How old is he?" point at something said before: in a
conversation the follow-up rewriting (``chat/rewriting.py``) lends them the earlier turns'
topic; asked alone (the first message of a conversation, ``/v1/ask``) nothing says who "he"
is, and any sentence about any man would be a confident wrong answer, so the answerer asks
back instead (``refers_to_nothing``). So does a conversation whose earlier turns name nothing
("Hallo" -> "Wie alt ist sie?"); a bare name in reply ("Merz") completes the held question.
"""

import re

from qa_service.answer.language import APOSTROPHE
from qa_service.lexicon import (
    ANAPHORS,
    CONTINUATIONS,
    DEMONSTRATIVES,
    DISCOURSE_WORDS,
    FORMAL_ADDRESS,
    FUNCTION_WORDS,
    GENERIC_WORDS,
    PERSONAL_PRONOUNS,
    QUESTION_WORDS,
    SECOND_PERSON,
    SMALL_TALK,
    UNITS,
    WORD,
    de,
)
from qa_service.retrieval.lexical import STOPWORDS
from qa_service.tuning import answer as tuning

ROLE_WORDS = (QUESTION_WORDS, CONTINUATIONS, SMALL_TALK, GENERIC_WORDS, DISCOURSE_WORDS)


def words(text: str) -> list[str]:
    """The words of ``text`` as written (``lexicon.WORD``)."""
    return [m.group() for m in WORD.finditer(text)]


def bare(word: str) -> str:
    """``word`` lower-cased, a contraction cut to its first word ("What's" -> "what")."""
    return APOSTROPHE.split(word.lower(), maxsplit=1)[0]


def is_function_word(lower: str) -> bool:
    """A word that carries no topic: a stopword, a question word's helper, a pronoun, a unit
    of measure ("Um wie viel Prozent?" asks in what unit, not about what)."""
    lower = bare(lower)
    return lower in STOPWORDS or lower in FUNCTION_WORDS or lower in ANAPHORS or lower in UNITS


def is_role_word(word: str) -> bool:
    """A word the lexicon knows for its role: a function or question word, a pronoun, a
    continuation ("Und"), small talk ("Hallo"), a generic verb or adjective ("Tell", "Sagte"),
    a word that opens a reply ("Übrigens", "Well")."""
    lower = bare(word)
    return is_function_word(lower) or any(lower in group for group in ROLE_WORDS)


def is_content_word(word: str) -> bool:
    """A word of the message's own topic: not a function word, three letters or a number."""
    return not is_function_word(word.lower()) and (len(word) >= 3 or word.isdigit())


def is_capitalised(word: str, position: int) -> bool:
    """A capitalised word (a name; in German any noun) or an acronym. The first word is
    capitalised by position, so it counts only when the lexicon does not know it for its
    role: "Merz, wie alt ist er?" names Merz, "Wie alt ist er?" names nothing."""
    return word[0].isupper() and (position > 0 or word.isupper() or not is_role_word(word))


def is_name(word: str, position: int) -> bool:
    """A capitalised word (``is_capitalised``) or a number: what names a topic."""
    return is_capitalised(word, position) or word[0].isdigit()


LEADING_NAME = re.compile(r"\s*(\w+(?:[-'’]\w+)*)\s*[,:;.–—-]", re.UNICODE)


def leads_with_name(text: str) -> bool:
    """A name set off before the question ("Merz, wie alt ist er?", "Habeck: ..."): the
    question's pronouns point at it, so the message sets its own topic."""
    match = LEADING_NAME.match(text)
    return match is not None and is_topic_word(match.group(1), 0)


def pointers(text: str) -> list[str]:
    """The words of ``text`` that point back: pronouns and adverbs ("er", "dort", "that"),
    and a demonstrative with no noun after it ("Wann war das?", not "das Treffen")."""
    found: list[str] = []
    ws = words(text)
    for i, word in enumerate(ws):
        lower = word.lower()
        if lower in ANAPHORS:
            found.append(word)
        elif lower in DEMONSTRATIVES:
            following = ws[i + 1] if i + 1 < len(ws) else ""
            if not following or not following[0].isupper():
                found.append(word)
    return found


def is_topic_word(word: str, position: int) -> bool:
    """A word that names what a question is about: a name or number (``is_name``), or any
    content word the lexicon does not know as generic ("drones", "kanzler", "selenskyj";
    not "old", "gesagt", "Hallo")."""
    if not is_content_word(word) or bare(word) in QUESTION_WORDS:
        return False
    return is_name(word, position) or not is_role_word(word)


def refers_to_nothing(question: str) -> str | None:
    """The personal pronoun of a question that names nothing else, or None.

    "How old is he?", "Wie alt ist sie?", "Was hat er gesagt?": a person or thing pointed at
    ("er", "she", "it", "ihn" ...), no topic word of its own (``is_topic_word``: no name,
    noun or number, lower-case or not), and at most ``UNRESOLVED_MAX_CONTENT_WORDS`` other
    (generic) content words. A longer question's pronoun points inside it ("... the
    astronauts tested their spacecraft?"). A capitalised "Sie"/"Ihnen" past the first word
    addresses the assistant ("Wie alt sind Sie?"); a question in capitals reads lower-case.
    """
    if question.isupper():
        question = question.lower()
    ws = words(question)
    if any(w[0].isupper() and w.lower() in FORMAL_ADDRESS for w in ws[1:]):
        return None
    pronoun = next((w for w in ws if w.lower() in PERSONAL_PRONOUNS), None)
    if pronoun is None:
        return None
    own = 0
    for i, word in enumerate(ws):
        if word.lower() in PERSONAL_PRONOUNS or not is_content_word(word):
            continue
        if is_topic_word(word, i):
            return None
        own += bare(word) not in QUESTION_WORDS
    return pronoun if own <= tuning.UNRESOLVED_MAX_CONTENT_WORDS else None


def is_addressee(word: str, position: int) -> bool:
    """A word for the assistant: "du", "dir", "you", "your"; the formal "Sie"/"Ihnen"
    capitalised past the first word ("Wer sind Sie?")."""
    lower = word.lower()
    return lower in SECOND_PERSON or (
        position > 0 and word[0].isupper() and lower in FORMAL_ADDRESS
    )


def addresses_assistant(question: str) -> bool:
    """Whether a question asks about the assistant itself: "Who are you?", "Wer bist du?",
    "Was kannst du?", "Wer sind Sie?". It addresses the assistant and names nothing else (no
    topic word, ``is_topic_word``); the verb agreeing with "du" ("bist", "kannst") names
    nothing either. The articles are news: nothing in them answers it, and any sentence cited
    would be noise. A question that names a topic besides ("Was weißt du über Rutte?", "Can
    you tell me what Merz said?") asks about the topic and is searched.
    """
    if question.isupper():
        question = question.lower()
    ws = words(question)
    addressees = [i for i, w in enumerate(ws) if is_addressee(w, i)]
    if not addressees:
        return False
    du = any(ws[i].lower() in de.SECOND_PERSON for i in addressees)
    for i, word in enumerate(ws):
        agrees = du and word.islower() and word.endswith(de.SECOND_PERSON_VERB_ENDING)
        if i in addressees or agrees:
            continue
        if is_topic_word(word, i):
            return False
    return True
