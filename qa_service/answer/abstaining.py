"""When the service says it found nothing instead of citing noise.

Two tests, both needed because dense similarity finds *something* for any text: the
evidence (``scoring.evidence_score``) must reach the embedding model's calibrated threshold
for the question's language, and the message must ask about something at all.
"""

import re
from collections.abc import Sequence

from qa_service.answer.cues import AskedQuantity, asked_measure, expected_answer_type
from qa_service.answer.references import bare, is_content_word, is_name, words
from qa_service.lexicon import (
    CONTINUATIONS,
    FUTURE_WORDS,
    NEXT_TIMES,
    QUESTION_WORDS,
    SMALL_TALK,
    alternation,
    is_letter_run,
)
from qa_service.retrieval.lexical import (
    content_words,
    mentions,
    missing_names,
    share_found,
    word_found,
)
from qa_service.retrieval.spelling import likeness, spelling_key
from qa_service.tuning.generation import MIN_NAME_LIKENESS


def asks_something(question: str, query: str) -> bool:
    """Whether the message asks about anything at all.

    e5 places all short texts close together, so "Danke!" and "Was?" find sentences. A search
    with no content word ("Was?" alone, with no conversation to lend it one) or a message made
    only of small talk ("Danke!", "ok", "Super, das hilft mir") asks nothing. Anything else, a
    keyword or a misspelled name ("Schoygu") included, is left to the dense evidence. A run of
    one or two repeated letters ("Wer aaaa…?") is no word: e5 reads 2,000 of them as close to
    some sentence (HUNT11 L3), so a message of only such runs asks nothing either. Nor does a
    search of numbers alone ("134", a list of 500): e5 reads digits as close to any sentence
    full of figures, and the words test finds every one of them there (hunt15: a table-like
    run-on sentence answered both). A follow-up's number ("Und 2024?") asks through its
    query, which the conversation lends its words.
    """
    if not any(_has_letter(word) for word in _real(content_words(query))):
        return False
    own = content_words(question)  # none: a follow-up ("Wann war das?"), asked via query
    if not own:
        return True
    real = _real(own)
    return bool(real) and not real <= SMALL_TALK


def _has_letter(word: str) -> bool:
    return any(char.isalpha() for char in word)


def _real(words: set[str]) -> set[str]:
    """Those of ``words`` that are words at all (not a run of repeated letters)."""
    return {w for w in words if not is_letter_run(w)}


def abstains(evidence: float, threshold: float, question: str, query: str) -> bool:
    """Too little evidence, or nothing asked: answer with the abstain message."""
    return evidence < threshold or not asks_something(question, query)


def near_miss(question: str, passages: Sequence[str]) -> bool:
    """A capitalised word of the question (a name; in German any noun) is in none of the
    candidate sentences: such a question must show more evidence (``Calibration.near_miss``)."""
    return bool(missing_names(question, passages))


_PLACE = re.compile(r"\b(?:in|aus|bei)\s+(?-i:(?P<place>[A-ZÄÖÜ][\w-]*))", re.IGNORECASE)
"""A named place the question asks about: "in Görlitz", "aus Zwickau", "in Frankfurt (Oder)"."""


def missing_place(question: str, passages: Sequence[str]) -> bool:
    """The question places what it asks in a named place ("Wie viel Regen fiel in Zwickau?")
    that none of ``passages`` (the candidate sentences) names, compound-aware
    (``lexical.missing_names``): found sentences on the topic say it of other places ("in
    Plauen"), and citing them answers about the wrong place."""
    places = [m.group("place") for m in _PLACE.finditer(question)]
    return bool(places) and bool(set(missing_names(" ".join(["in", *places]), passages)))


_NEXT = re.compile(rf"\b(?:{alternation(NEXT_TIMES)})\w*", re.IGNORECASE)


def asks_time_to_come(question: str) -> bool:
    """The question asks about a time to come ("Wann ist das nächste Derby?", "Wann spielt
    Elbflorenz das nächste Mal?", ``lexicon.NEXT_TIMES``)."""
    return _NEXT.search(question) is not None


def names_time_to_come(window: str) -> bool:
    """``window`` (the best sentence with its neighbours) names a time to come. A question
    asking about one (``asks_time_to_come``) whose window does not is answered by a report of
    what happened (the match just played): about the wrong time.

    A year the question names is not tested so: an article states it once for a whole
    passage ("in der Saison 2015", then "in dieser Kategorie"), so XQuAD-de's right answers
    often lack it (benchmarks/README.md, quality17). A window that says something is still
    to come in other words (``lexicon.FUTURE_WORDS``: "Die Wahl findet am 5. Mai statt.")
    may name that time: the question is answered from it."""
    return _NEXT.search(window) is not None or not FUTURE_WORDS.isdisjoint(
        word.lower() for word in words(window)
    )


def few_words_found(question: str, passages: Sequence[str], least_share: float) -> bool:
    """Less than ``least_share`` of the question's content words (lower-case ones too) are in
    any candidate sentence: another near miss (``Calibration.few_words_found``)."""
    return share_found(question, passages) < least_share


def lacks_asked_quantity(
    question: str,
    cited: Sequence[str],
    *,
    about: bool = False,
    own: Sequence[str] | None = None,
) -> bool:
    """A number question ("Wie viele ...?", "How much ...?") none of whose cited sentences
    (the best three, and the best one with its neighbours) holds a quantity that could answer
    it: a near miss that shares the articles' names but not what it asks for
    (``Calibration.asked_quantity``; ``cues.holds_asked_quantity`` says what counts).

    ``about``: the quantity counts only in a text that also mentions a word of the question
    (``lexical.mentions``; ``Calibration.quantity_about``): "30 Prozent" more deterrence does
    not tell "Wie hoch ist der deutsche Verteidigungshaushalt?". A follow-up naming nothing
    ("Wie viele sind es?") asks about the conversation's topic, which its words cannot tell:
    any quantity counts for it, and so does one naming only the measure it asks ("Wie schwer
    ist es?": the sentence stating the weight does not say "schwer"). ``own``: the question's
    ``own_words``, where the caller has them already (read here otherwise)."""
    if expected_answer_type(question) != "number":
        return False
    measure = asked_measure(question)
    own = own_words(question) if own is None else own
    about = about and any(bare(w) != measure for w in own)
    held = AskedQuantity.of(question).held_by  # the question read once
    return not any(
        held(sentence) and (not about or mentions(question, sentence)) for sentence in cited
    )


def asks_beyond_topic(follow_up: str, own: Sequence[str], passages: Sequence[str]) -> bool:
    """A follow-up's own words (``own``, ``own_words``: what it asks about the conversation's
    topic: "alt" in "Wie alt ist er?", "Kinder", "geboren"; not its pronouns, question words
    or "Und") are in none of the candidate sentences.

    The follow-up is searched with the topic's vector mixed in (``chat/rewriting.py``), so
    every sentence on the topic is close to it and the dense evidence is met by the topic,
    not by what is asked; only the words tell whether the articles say anything about it.
    A follow-up with no word of its own ("Wann war das?", "Warum?") asks nothing beyond it.
    The adjective a follow-up asks a measure by ("schwer" in "Wie schwer ist es?") is found in
    a sentence that states the measure ("Das Rad wiegt 23 Kilogramm.", ``cues.asked_measure``).
    """
    measure = asked_measure(follow_up)
    held = AskedQuantity.of(follow_up).held_by if measure is not None else None
    return bool(own) and not any(
        word_found(w, p) or (held is not None and bare(w) == measure and held(p))
        for w in own
        for p in passages
    )


def own_words(message: str) -> list[str]:
    """What a message names or asks of its own: its content words but for question words and
    continuations ("Und"). A follow-up leaning wholly on the conversation's topic ("Wann war
    das?", "Wie viele sind es?") has none."""
    return [
        w
        for w in words(message)
        if is_content_word(w) and bare(w) not in QUESTION_WORDS and bare(w) not in CONTINUATIONS
    ]


def topic_not_found(
    follow_up: str,
    own: Sequence[str],
    query: str,
    passages: Sequence[str],
    *,
    names_only: bool = False,
) -> bool:
    """A follow-up that asks only about the conversation's topic ("Wann war das?", "Wann
    kamen sie?": no name, noun or number among ``own``, its ``own_words``) none of whose
    topic terms (carried in ``query`` after it: "Wann war das? Häuser Pegel Auendorf") is in
    any candidate sentence.

    The topic's article is gone (deleted, or replaced by a text that no longer says it): the
    topic's vector still leans the search somewhere, and any sentence found there ("Die
    Brücke wurde am Freitag eröffnet.") would answer about something else. A verb or
    adjective of its own ("kamen") names nothing else to ask about: a sentence holding it
    ("Zum Stadtfest kamen 20.000 Besucher.") is no more about the topic than any other.

    ``names_only``: the topic's words are in another language than the articles ("houses
    flooded Auendorf" over German text): only its names tell, each found as written or
    spelled alike (``spelling.likeness``: "Shoigu" is "Schoigu"); a topic without a name is
    never found gone.
    """
    if names_own(follow_up, own) or not query.startswith(follow_up):
        return False
    carried = [w for w in words(query[len(follow_up) :]) if is_content_word(w)]
    if names_only:
        carried = [w for w in carried if w[:1].isupper()]
        return bool(carried) and not any(
            word_found(w, p) or spelled_alike(w, p) for w in carried for p in passages
        )
    return bool(carried) and not any(word_found(w, p) for w in carried for p in passages)


def names_own(message: str, own: Sequence[str]) -> bool:
    """Whether any of ``own`` (``own_words`` of ``message``) is a name, noun or number where
    it stands (``references.is_name``): "Und was sagte Merz?" names someone of its own,
    "Wann kamen sie?" and "Wie alt ist er?" do not."""
    mine = set(own)
    return any(w in mine and is_name(w, i) for i, w in enumerate(words(message)))


def spelled_alike(name: str, passage: str) -> bool:
    """A word of ``passage`` spells ``name`` alike once transliterations are folded
    ("Shoigu" / "Schoigu", "Zelensky" / "Selenskyj"; ``MIN_NAME_LIKENESS``)."""
    return likeness(spelling_key(name), spelling_key(passage)) >= MIN_NAME_LIKENESS
