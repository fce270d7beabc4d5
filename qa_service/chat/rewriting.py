"""Follow-up questions without an LLM: the retrieval query carries the recent conversation.

"Wann war das?" cannot be answered alone; after "Wer wurde zum Chef der Drohnentruppen
ernannt?" it can. We fold the last few turns, oldest first, into a *context* of a query
vector and a few topic terms, and let each new message take over as much of the previous
context as it needs:

* **dependence** (0..1) says how little the message stands on its own: pronouns and
  deictic words ("er", "das" without a noun, "dort", "damals"), a leading "Und ...?", and
  few content words of its own raise it; nouns and names of its own lower it. A
  self-contained question (a topic change) has dependence 0 and is searched exactly as
  ``/v1/ask`` would search it, so the conversation never hijacks it.
* **dense**: the message's own embedding plus the previous context's vector, scaled by
  ``dependence * max_context_weight`` (< 1: always below the new message), re-normalised.
  Every turn's embedding is computed once, when it is asked, and stored with the turn.
* **lexical**: the message text plus the previous context's topic terms (newest first),
  as many as the dependence asks for. BM25 sees them as ordinary query terms.

Because each self-contained message resets the context, what is carried is the current
topic, not the whole history. A follow-up the articles could not answer (it abstained)
leaves the topic as it was: "Wie viele Kinder hat er?" found nothing, so "Kinder" must not
steer the next turn's search. A follow-up that names nothing of its own passes the topic on
unchanged, so a topic set once lasts through ``window`` "Und wann?" turns until a new one
is set (the next one finds no topic in reach); the ``window`` (read back to find that topic)
bounds the work per request.

The topic terms are the nouns and names of the message that set the topic (capitalised: in
German every noun), and for an English one its other content words too, since English nouns
are lower-case ("Who is the German chancellor?" carries "German chancellor").
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_service.answer.language import Language, detect_language
from qa_service.answer.references import (
    addresses_assistant,
    bare,
    is_capitalised,
    is_content_word,
    is_name,
    is_topic_word,
    leads_with_name,
    pointers,
    refers_to_nothing,
    words,
)
from qa_service.lexicon import CONTINUATION_PHRASES, CONTINUATIONS, SMALL_TALK
from qa_service.prompts import prompt_path, render
from qa_service.retrieval.lexical import tokenize
from qa_service.tuning import chat as tuning


@dataclass(frozen=True, slots=True)
class RewriteConfig:
    """How much a message inherits; every default is explained in ``qa_service.tuning.chat``."""

    window: int = tuning.WINDOW
    max_context_weight: float = tuning.MAX_CONTEXT_WEIGHT
    max_carried_terms: int = tuning.MAX_CARRIED_TERMS
    max_context_terms: int = tuning.MAX_CONTEXT_TERMS


@dataclass(frozen=True, slots=True)
class Turn:
    """An earlier user message and the query embedding of what it asked; ``abstained``: its
    answer found nothing (``fold`` lets such a follow-up narrow nothing); ``asked``: the
    question it was searched as when its words alone do not say it (``asked_question``:
    "Grossi" in reply to "Was hat er gesagt?"), ``vector`` then being that question's."""

    message: str
    vector: np.ndarray
    abstained: bool = False
    asked: str | None = None

    @property
    def searched(self) -> str:
        return self.asked or self.message


@dataclass(frozen=True, slots=True)
class Context:
    """What a conversation is about after some turn: a query vector and topic terms.

    ``language``: the language the terms are written in (that of the messages that named
    them), None when they came from messages in different languages or it is not known. An
    English topic's words ("drone forces") are in no German article even while the topic's
    article is there: only the terms of a topic named in the articles' language tell
    whether it is still in them (``ExtractiveAnswerer.lost_topic``)."""

    vector: np.ndarray
    terms: tuple[str, ...]
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class Rewrite:
    """How to search for a message: ``query`` for BM25, ``vector`` for the dense index."""

    message: str
    query: str
    vector: np.ndarray
    dependence: float
    carried_terms: tuple[str, ...]
    context: Context

    @property
    def rewritten(self) -> bool:
        return bool(self.carried_terms) or self.dependence > 0


def topic_terms(message: str, nouns_only: bool = False) -> list[str]:
    """Content words of ``message`` as written, nouns and names (capitalised) first."""
    seen: set[str] = set()
    nouns: list[str] = []
    others: list[str] = []
    for i, word in enumerate(words(message)):
        if not is_content_word(word):
            continue
        key = " ".join(tokenize(word))
        if not key or key in seen:
            continue
        seen.add(key)
        (nouns if is_capitalised(word, i) else others).append(word)
    return nouns if nouns_only else nouns + others


def opening_terms(message: str) -> list[str]:
    """The topic a self-contained message sets: its nouns and names; in English (whose nouns
    are lower-case: "Who is the German chancellor?") its other content words after them."""
    return topic_terms(message, nouns_only=detect_language(message) != "en")


def dependence(message: str) -> float:
    """0 for a self-contained question, up to 1 for "Wann war das?"; see the module doc."""
    ws = words(message)
    if not ws:
        return 1.0
    if leads_with_name(message):
        return 0.0
    points = float(len(pointers(message)))
    if ws[0].lower() in CONTINUATIONS or " ".join(ws[:2]).lower() in CONTINUATION_PHRASES:
        points += tuning.CONTINUATION_POINTER
    content = 0.0
    for i, word in enumerate(ws):
        if is_content_word(word):
            content += tuning.OWN_NOUN_WEIGHT if is_name(word, i) else tuning.OWN_WORD_WEIGHT
    if content == 0:
        return 1.0
    return round(points / (points + tuning.OWN_CONTENT_SHARE * content), 3)


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


def rewrite(
    message: str,
    vector: np.ndarray,
    previous: Context | None,
    config: RewriteConfig | None = None,
) -> Rewrite:
    """The search for ``message`` given the conversation's ``previous`` context (if any)."""
    config = config or RewriteConfig()
    weight = dependence(message) if previous is not None else 0.0
    aside = addresses_assistant(message) or (weight == 0 and not sets_topic(message, weight))
    if previous is not None and aside:
        # An aside to the assistant ("Wer bist du?") or a message naming nothing ("Danke!",
        # "Hallo"): searched (if at all) as it is, and the conversation's topic is still the
        # one before it, for the follow-up after it.
        own = np.asarray(vector, dtype=np.float32)
        return Rewrite(message, message, own, 0.0, (), previous)
    if previous is None or weight == 0:
        # The embedder's vector as it is (already unit length): normalising it again moves
        # the last float digit, and the same question would score differently in chat and ask.
        own = np.asarray(vector, dtype=np.float32)
        terms = tuple(opening_terms(message)[: config.max_context_terms])
        context = Context(own, terms, detect_language(message))
        return Rewrite(message, message, own, 0.0, (), context)

    nouns = topic_terms(message, nouns_only=True)
    own_keys = {" ".join(tokenize(t)) for t in topic_terms(message)}
    inherited = [t for t in previous.terms if " ".join(tokenize(t)) not in own_keys]
    carried = tuple(inherited[: max(1, round(config.max_carried_terms * weight))])
    mixed = _normalise(vector + config.max_context_weight * weight * previous.vector)
    query = f"{message} {' '.join(carried)}" if carried else message
    # A follow-up that names nothing of its own ("Wann war das?", "When was he elected?")
    # asks about the same topic: the topic passes on unchanged, so it is still there after
    # ``window`` such turns; one that names something ("Und was sagte Merz?") narrows it.
    topic = mixed if nouns else previous.vector
    terms = tuple([*nouns, *inherited][: config.max_context_terms])
    language = previous.language
    if nouns and detect_language(message) != language:
        language = None  # "Und was sagte Merz?" after an English topic: terms of both
    context = Context(topic, terms, language)
    return Rewrite(message, query, mixed, weight, carried, context)


def sets_topic(message: str, weight: float) -> bool:
    """Whether a message of dependence ``weight`` replaces the conversation's topic: it stands
    on its own, is no aside to the assistant and names something (``names_topic``)."""
    if weight != 0 or addresses_assistant(message):
        return False
    return any(
        is_topic_word(w, i) and bare(w) not in SMALL_TALK for i, w in enumerate(words(message))
    )


def topic_start(messages: Sequence[str]) -> int:
    """The index of the newest message that sets a topic of its own (``sets_topic``; else the
    first): the turns before it no longer shape the context, so they need not be embedded."""
    for i in range(len(messages) - 1, -1, -1):
        if sets_topic(messages[i], dependence(messages[i])):
            return i
    return 0


def fold(turns: Sequence[Turn], config: RewriteConfig | None = None) -> Context | None:
    """The context after the last ``config.window`` turns, from the newest topic on.

    A follow-up that abstained passes the context on unchanged: what it named ("Kinder" in
    "Wie viele Kinder hat er?") is in no answer, so it is no part of the topic. A
    self-contained question that abstained still sets the topic: the user moved on to it,
    and a pronoun after it points there, not back to the turns before.
    """
    config = config or RewriteConfig()
    recent = list(turns)[-config.window :] if config.window > 0 else []
    context: Context | None = None
    for turn in recent[topic_start([t.searched for t in recent]) :]:
        step = rewrite(turn.searched, turn.vector, context, config)
        if not (turn.abstained and step.dependence > 0):
            context = step.context
    return context


def names_topic(message: str) -> bool:
    """Whether ``message`` names anything a later pronoun could point at (``is_topic_word``)."""
    return any(is_topic_word(w, i) for i, w in enumerate(words(message)))


def lends_topic(messages: Sequence[str], config: RewriteConfig | None = None) -> bool:
    """Whether the earlier messages (as typed) that ``fold`` reads name anything: "Hallo" or
    "Danke!" does not, so "Wie alt ist sie?" after it is asked back as if asked alone."""
    config = config or RewriteConfig()
    recent = list(messages)[-config.window :] if config.window > 0 else []
    return any(names_topic(m) for m in recent[topic_start(recent) :])


def held_question(messages: Sequence[str], config: RewriteConfig | None = None) -> str | None:
    """The last message (as typed) if it was held with an ask-back: a pronoun question
    (``refers_to_nothing``) the messages before it lent no topic."""
    if not messages or refers_to_nothing(messages[-1]) is None:
        return None
    return None if lends_topic(messages[:-1], config) else messages[-1]


def only_names(message: str) -> bool:
    """A message of at most ``MAX_REPLY_WORDS`` words that only names someone or something
    ("Grossi", "Friedrich Merz", "der Kanzler"): no question, nothing pointing back."""
    ws = words(message)
    if not ws or len(ws) > tuning.MAX_REPLY_WORDS or "?" in message:
        return False
    return not pointers(message) and names_topic(message)


def completed_question(held: str, reply: str) -> str | None:
    """The held question with its pronoun replaced by a reply that only names someone:
    "Wie alt ist er?" + "Merz" -> "Wie alt ist Merz?"; None for any other reply."""
    pronoun = refers_to_nothing(held)
    if pronoun is None or not only_names(reply):
        return None
    return re.sub(rf"\b{re.escape(pronoun)}\b", reply.strip(" .!"), held, count=1)


def topic_name(
    messages: Sequence[str], searched: Sequence[str], config: RewriteConfig | None = None
) -> str | None:
    """The bare name that set the conversation's topic ("Grossi", typed alone or in reply to
    an ask-back), if no message since named anything; else None. ``searched``: each of
    ``messages`` as it was searched (``asked_questions``)."""
    config = config or RewriteConfig()
    if config.window <= 0 or not messages:
        return None
    typed, asked = list(messages)[-config.window :], list(searched)[-config.window :]
    start = topic_start(asked)
    if not sets_topic(asked[start], dependence(asked[start])) or not only_names(typed[start]):
        return None
    if any(names_topic(m) for m in typed[start + 1 :]):
        return None
    return typed[start].strip(" .!")


def asked_question(
    message: str,
    earlier: Sequence[str],
    searched: Sequence[str],
    config: RewriteConfig | None = None,
    read: Callable[[str], str] | None = None,
) -> str | None:
    """The question ``message`` asks after the ``earlier`` messages (``searched``: each as it
    was searched) when its own words do not say it; None when they do.

    * A reply that only names someone completes the question held with an ask-back:
      "Was hat er gesagt?" + "Grossi" -> "Was hat Grossi gesagt?" (``read``: how the held
      question is read, as the message itself was).
    * A pronoun question that names nothing, after a topic set by such a bare name, is
      completed with it: "Grossi" then "Wovor warnt er?" -> "Wovor warnt Grossi?". The
      embedding of a name alone says too little to steer a search (it cited a sentence
      about Schoigu), the completed question stands on its own.
    """
    held = held_question(earlier, config)
    if held is not None:
        return completed_question(read(held) if read else held, message)
    name = topic_name(earlier, searched, config)
    return completed_question(message, name) if name else None


def asked_questions(messages: Sequence[str], config: RewriteConfig | None = None) -> list[str]:
    """Each message (oldest first) as it was searched after the ones before it
    (``asked_question``, else the message itself)."""
    searched: list[str] = []
    for i, message in enumerate(messages):
        searched.append(asked_question(message, messages[:i], searched, config) or message)
    return searched


def condense_prompt(history: str, question: str, path: Path | None = None) -> str:
    """The condense-question prompt for an LLM rewriter (strict: see qa_service/prompts.py).

    The service keeps folding turns with :func:`rewrite`: benchmarks/followups.py measures
    both, and with a small LLM the folding wins (benchmarks/README.md).
    """
    return render(path or prompt_path("condense"), history=history, question=question)
