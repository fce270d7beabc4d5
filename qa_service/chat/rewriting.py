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
topic, not the whole history; the ``window`` bounds the work per request.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_service.lexicon import ANAPHORS, CONTINUATIONS, DEMONSTRATIVES, FUNCTION_WORDS, WORD
from qa_service.prompts import prompt_path, render
from qa_service.retrieval.lexical import STOPWORDS, tokenize
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
    """An earlier user message and its query embedding (computed once, when it was asked)."""

    message: str
    vector: np.ndarray


@dataclass(frozen=True, slots=True)
class Context:
    """What a conversation is about after some turn: a query vector and topic terms."""

    vector: np.ndarray
    terms: tuple[str, ...]


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


def _words(text: str) -> list[str]:
    return [m.group() for m in WORD.finditer(text)]


def _is_function_word(lower: str) -> bool:
    return lower in STOPWORDS or lower in FUNCTION_WORDS or lower in ANAPHORS


def topic_terms(message: str, nouns_only: bool = False) -> list[str]:
    """Content words of ``message`` as written, nouns and names (capitalised) first."""
    words = _words(message)
    seen: set[str] = set()
    nouns: list[str] = []
    others: list[str] = []
    for i, word in enumerate(words):
        lower = word.lower()
        if _is_function_word(lower) or (len(word) < 3 and not word.isdigit()):
            continue
        key = " ".join(tokenize(word))
        if not key or key in seen:
            continue
        seen.add(key)
        # The first word is capitalised by position, not because it is a noun.
        (nouns if word[0].isupper() and (i > 0 or word.isupper()) else others).append(word)
    return nouns if nouns_only else nouns + others


def dependence(message: str) -> float:
    """0 for a self-contained question, up to 1 for "Wann war das?"; see the module doc."""
    words = _words(message)
    if not words:
        return 1.0
    lowers = [w.lower() for w in words]
    pointers = 0.0
    for i, lower in enumerate(lowers):
        if lower in ANAPHORS:
            pointers += 1.0
        elif lower in DEMONSTRATIVES:
            following = words[i + 1] if i + 1 < len(words) else ""
            if not following or not following[0].isupper():
                pointers += 1.0  # "Wann war das?", "Was sagt der dazu?"
    if lowers[0] in CONTINUATIONS:
        pointers += tuning.CONTINUATION_POINTER
    content = 0.0
    for i, word in enumerate(words):
        lower = lowers[i]
        if _is_function_word(lower) or (len(word) < 3 and not word.isdigit()):
            continue
        capitalised = word[0].isupper() and (i > 0 or word.isupper())
        own_noun = capitalised or word[0].isdigit()
        content += tuning.OWN_NOUN_WEIGHT if own_noun else tuning.OWN_WORD_WEIGHT
    if content == 0:
        return 1.0
    return round(pointers / (pointers + tuning.OWN_CONTENT_SHARE * content), 3)


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
    nouns = topic_terms(message, nouns_only=True)
    weight = dependence(message) if previous is not None else 0.0
    if previous is None or weight == 0:
        # The embedder's vector as it is (already unit length): normalising it again moves
        # the last float digit, and the same question would score differently in chat and ask.
        own = np.asarray(vector, dtype=np.float32)
        context = Context(own, tuple(nouns[: config.max_context_terms]))
        return Rewrite(message, message, own, 0.0, (), context)

    own_keys = {" ".join(tokenize(t)) for t in topic_terms(message)}
    inherited = [t for t in previous.terms if " ".join(tokenize(t)) not in own_keys]
    carried = tuple(inherited[: max(1, round(config.max_carried_terms * weight))])
    mixed = _normalise(vector + config.max_context_weight * weight * previous.vector)
    query = f"{message} {' '.join(carried)}" if carried else message
    context = Context(mixed, tuple([*nouns, *inherited][: config.max_context_terms]))
    return Rewrite(message, query, mixed, weight, carried, context)


def fold(turns: Sequence[Turn], config: RewriteConfig | None = None) -> Context | None:
    """The context after the last ``config.window`` turns, oldest first."""
    config = config or RewriteConfig()
    context: Context | None = None
    for turn in list(turns)[-config.window :] if config.window > 0 else []:
        context = rewrite(turn.message, turn.vector, context, config).context
    return context


def condense_prompt(history: str, question: str, path: Path | None = None) -> str:
    """The condense-question prompt for an LLM rewriter (strict: see qa_service/prompts.py).

    The service keeps folding turns with :func:`rewrite`: benchmarks/followups.py measures
    both, and with a small LLM the folding wins (benchmarks/README.md).
    """
    return render(path or prompt_path("condense"), history=history, question=question)
