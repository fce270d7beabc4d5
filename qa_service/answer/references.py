"""Words that point elsewhere, and whether a question names anything of its own.

"Wann war er zuletzt dort?" and "How old is he?" point at something said before: in a
conversation the follow-up rewriting (``chat/rewriting.py``) lends them the earlier turns'
topic; asked alone (the first message of a conversation, ``/v1/ask``) nothing says who "he"
is, and any sentence about any man would be a confident wrong answer, so the answerer asks
back instead (``refers_to_nothing``).
"""

from qa_service.lexicon import (
    ANAPHORS,
    DEMONSTRATIVES,
    FUNCTION_WORDS,
    PERSONAL_PRONOUNS,
    QUESTION_WORDS,
    WORD,
)
from qa_service.retrieval.lexical import STOPWORDS
from qa_service.tuning import answer as tuning


def words(text: str) -> list[str]:
    """The words of ``text`` as written (``lexicon.WORD``)."""
    return [m.group() for m in WORD.finditer(text)]


def is_function_word(lower: str) -> bool:
    """A word that carries no topic: a stopword, a question word's helper, a pronoun."""
    return lower in STOPWORDS or lower in FUNCTION_WORDS or lower in ANAPHORS


def is_content_word(word: str) -> bool:
    """A word of the message's own topic: not a function word, three letters or a number."""
    return not is_function_word(word.lower()) and (len(word) >= 3 or word.isdigit())


def is_capitalised(word: str, position: int) -> bool:
    """A capitalised word past the first (a name; in German any noun) or an acronym: the
    first word is capitalised by position, not meaning."""
    return word[0].isupper() and (position > 0 or word.isupper())


def is_name(word: str, position: int) -> bool:
    """A capitalised word (``is_capitalised``) or a number: what names a topic."""
    return is_capitalised(word, position) or word[0].isdigit()


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


def refers_to_nothing(question: str) -> str | None:
    """The personal pronoun of a question that names nothing else, or None.

    "How old is he?", "Wie alt ist sie?", "Was hat er gesagt?": a person or thing pointed at
    ("er", "she", "it", "ihn" ...), no name, noun or number of its own, and at most
    ``UNRESOLVED_MAX_CONTENT_WORDS`` other content words. A longer question's pronoun points
    inside it ("... the astronauts tested their spacecraft?"), and a named topic ("What did he
    say about Ukraine?") is something to search for.
    """
    ws = words(question)
    pronoun = next((w for w in ws if w.lower() in PERSONAL_PRONOUNS), None)
    if pronoun is None:
        return None
    own = 0
    for i, word in enumerate(ws):
        lower = word.lower()
        if lower in PERSONAL_PRONOUNS or lower in QUESTION_WORDS or not is_content_word(word):
            continue
        if is_name(word, i):
            return None
        own += 1
    return pronoun if own <= tuning.UNRESOLVED_MAX_CONTENT_WORDS else None
