"""German-aware lexical tokens for BM25: lower-cased, Snowball-stemmed, stopwords removed.

The BM25 index itself is SQLite FTS5 (see stores/sqlite/documents.py): it is updated
incrementally inside the same transaction as the documents, so the lexical index can never
disagree with them.
We feed FTS5 pre-stemmed tokens, because its built-in tokenizers know no German.
"""

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

from qa_service.lexicon import MEASURE_WORDS, NUMBER_WORDS, QUESTION_WORDS, WORD
from qa_service.textcheck import nfc
from qa_service.tuning.retrieval import (
    COMPOUND_MATCH,
    LONGEST_WORD_CHARS,
    MATCH_QUERY_CACHE,
    MIN_COMPOUND_PART,
    QUESTION_MATCHES_CACHE,
)

# Questions arrive in German and English; English function words must not match German text.
STOPWORDS = frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_EN) | QUESTION_WORDS
_PARTS = re.compile(r"[-'’]")
_stemmer = Stemmer.Stemmer("german")
# A word naming a measure is matched by the other words naming it ("gekostet" by
# "Baukosten", "Kosten" by "kostete"; ``lexicon.MEASURE_WORDS``): "Was hat sie gekostet?" is
# answered by "Die Baukosten beliefen sich auf ...", which shares no stem with it.
_SAME_MEASURE = {
    word: tuple(w for w, k in MEASURE_WORDS.items() if k == kind and len(w) >= MIN_COMPOUND_PART)
    for word, kind in MEASURE_WORDS.items()
}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (German) stem of a lower-case word; a run of characters longer than any
    word (``LONGEST_WORD_CHARS``) as it is: its stem costs time and means nothing."""
    return word if len(word) > LONGEST_WORD_CHARS else _stemmer.stemWord(word)


def fold(text: str) -> str:
    """``text`` lower-cased in Unicode NFC: a decomposed "ü" (u + U+0308) is no word character,
    so an article posted in NFD would index "Bürgermeisterin" as "bu" and "rgermeisterin"."""
    return nfc(text).lower()


def tokenize(text: str) -> list[str]:
    """Stemmed content words of ``text``; hyphenated compounds also yield their parts."""
    tokens: list[str] = []
    for match in WORD.finditer(fold(text)):
        word = match.group()
        parts = [word, *_PARTS.split(word)] if _PARTS.search(word) else [word]
        for part in parts:
            if part in STOPWORDS or (len(part) < 2 and not part.isdigit()):
                continue
            tokens.append(stem(_PARTS.sub("", part)))
    return tokens


def index_text(text: str) -> str:
    """The token string FTS5 stores for a passage."""
    return " ".join(tokenize(text))


@lru_cache(maxsize=MATCH_QUERY_CACHE)
def match_query(text: str) -> str | None:
    """An FTS5 MATCH expression (OR of quoted tokens), or None when nothing is searchable.
    Cached: a question's two keyword searches (chunks, sentences) ask for the same one."""
    tokens = dict.fromkeys(tokenize(text))
    if not tokens:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)


# -- query-time term coverage (candidate sentences only, never the whole corpus) -------------


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` that carry content, hyphenated compounds also split."""
    words: set[str] = set()
    for match in WORD.finditer(fold(text)):
        word = match.group()
        for part in [word, *_PARTS.split(word)] if _PARTS.search(word) else [word]:
            if part not in STOPWORDS and (len(part) > 1 or part.isdigit()):
                words.add(_PARTS.sub("", part))
    return words


@lru_cache(maxsize=50_000)
def _passage_terms(passage: str) -> tuple[frozenset[str], str, tuple[str, ...]]:
    """A passage's stems; its words joined for substring tests; its words and stems that are
    long enough to be a compound's part."""
    words = content_words(passage)
    stems = frozenset(stem(w) for w in words)
    parts = tuple(p for p in words | stems if len(p) >= MIN_COMPOUND_PART)
    return stems, " ".join(words), parts


def _match(word: str, stem: str, terms: tuple[frozenset[str], str, tuple[str, ...]]) -> float:
    stems, joined, parts = terms
    if stem in stems:
        return 1.0
    # German compounds: the question's word is part of a longer passage word, or the other way.
    if (len(stem) >= MIN_COMPOUND_PART and stem in joined) or (
        len(word) >= MIN_COMPOUND_PART and word in joined
    ):
        return COMPOUND_MATCH
    if len(word) >= 2 * MIN_COMPOUND_PART and (word.startswith(parts) or word.endswith(parts)):
        return COMPOUND_MATCH
    if any(other in joined for other in _SAME_MEASURE.get(word, ())):
        return COMPOUND_MATCH
    return 0.0


def term_coverage(question: str, passages: Sequence[str]) -> list[float]:
    """How much of the question each passage covers, in [0, 1], compound-aware.

    A question word is weighted by how rare it is *among the given passages*: the candidates
    of one question mostly come from one article, whose topic words ("Amazonas") are in all of
    them and decide nothing, while the rarer words point at the one sentence that answers.
    """
    _, matches, weights = _weighted_matches(question, tuple(passages))
    total = sum(weights) or 1.0
    return [sum(m * w for m, w in zip(row, weights, strict=True)) / total for row in matches]


def coverage_gain(question: str, passages: Sequence[str], contexts: Sequence[str]) -> list[float]:
    """How much more of the question each passage covers when read with its context (the
    same share as ``term_coverage``, with the words weighted by their rarity among the
    passages themselves): the question words its context holds and it does not. The
    passages' matches are ``term_coverage``'s (read once per question); a context shared by
    several passages (their article's lead) is matched once."""
    query, matches, weights = _weighted_matches(question, tuple(passages))
    if not weights:
        return [0.0] * len(passages)
    total = sum(weights) or 1.0
    context_matches: dict[str, list[float]] = {}
    gains = []
    for row, context in zip(matches, contexts, strict=True):
        held = context_matches.get(context)
        if held is None:
            terms = _passage_terms(context)
            held = context_matches[context] = [_match(w, s, terms) for w, s in query]
        extra = [max(0.0, h - m) for h, m in zip(held, row, strict=True)]
        gains.append(sum(e * w for e, w in zip(extra, weights, strict=True)) / total)
    return gains


Matches = tuple[tuple[tuple[str, str], ...], tuple[tuple[float, ...], ...], tuple[float, ...]]


@lru_cache(maxsize=QUESTION_MATCHES_CACHE)
def _weighted_matches(question: str, passages: tuple[str, ...]) -> Matches:
    """The question's content words (sorted) with their stems, each passage's match of each,
    and each word's weight: how rare it is among the passages. Kept for the last few
    questions: the score (``term_coverage``), the lead's gain (``coverage_gain``) and the
    near-miss test (``share_found``) read the same question and candidates."""
    words = content_words(question)
    if not words or not passages:
        return (), tuple(() for _ in passages), ()
    query = tuple((w, stem(w)) for w in sorted(words))
    matches = []
    for passage in passages:
        terms = _passage_terms(passage)
        matches.append(tuple(_match(w, s, terms) for w, s in query))
    n = len(passages)
    weights = tuple(
        math.log((n + 1) / (sum(row[i] > 0 for row in matches) + 0.5)) for i in range(len(query))
    )
    return query, tuple(matches), weights


def words_found(question: str, passages: Sequence[str]) -> float:
    """Share of the question's content words that some passage holds (compound-aware)."""
    words = content_words(question)
    if not words:
        return 0.0
    terms = [_passage_terms(p) for p in passages]
    found = sum(max((_match(w, stem(w), t) for t in terms), default=0.0) for w in words)
    return found / len(words)


def missing_names(question: str, passages: Sequence[str]) -> list[str]:
    """Capitalised words of the question after its first (names, and in German every noun)
    that no passage holds, compound-aware.

    A question on an article's topic that asks for something it does not say ("Wer ist der
    Bürgermeister von Kiew?") still finds close sentences; the missing word gives it away.
    """
    terms = [_passage_terms(p) for p in passages]
    missing = []
    for match in list(WORD.finditer(question))[1:]:
        word = match.group()
        folded = _PARTS.sub("", word.lower())
        if not word[:1].isupper() or word.lower() in STOPWORDS or len(folded) < 2:
            continue
        if max((_match(folded, stem(folded), t) for t in terms), default=0.0) == 0.0:
            missing.append(word)
    return missing


def share_found(question: str, passages: Sequence[str]) -> float:
    """Share of the question's content words that some passage holds at all (compound-aware,
    each word counted once whether matched whole or as a compound's part); 1.0 for a question
    without content words.

    Unlike ``missing_names`` it reads lower-case words too ("chinesische", a verb), so it sees
    a question on the articles' topic that asks mostly about things they never mention.
    """
    words = content_words(question)
    if not words:
        return 1.0
    query, matches, _ = _weighted_matches(question, tuple(passages))  # the score's
    found = sum(
        any(row[i] > 0 for row in matches) or any(same_verb(w, p) for p in passages)
        for i, (w, _stem) in enumerate(query)
    )
    return found / len(words)


def mentions(question: str, passage: str) -> bool:
    """``passage`` holds a content word of ``question``: the same stem, the word inside a
    longer word, or a compound of the question's found by its head, its last part ("Haushalt"
    for "Verteidigungshaushalt"). Unlike ``word_found`` not by its first part alone: German
    compounds name a kind of their last part, so "Verteidigung" is not about a budget. A weak
    verb's participle or past by its root (``verb_root``): "kostete" in "Baukosten"."""
    terms = _passage_terms(passage)
    stems, joined, parts = terms
    for word in content_words(question):
        root = stem(word)
        if root in stems or (len(root) >= MIN_COMPOUND_PART and root in joined):
            return True
        if _root_found(word, terms):  # "kostete" in "Baukosten" (``verb_root``)
            return True
        if len(word) >= MIN_COMPOUND_PART and word in joined:
            return True
        if len(word) >= 2 * MIN_COMPOUND_PART and word.endswith(parts):
            return True
    return False


def word_found(word: str, passage: str) -> bool:
    """``word`` is in ``passage``: the same stem, or part of a compound (or the other way), or
    the same verb as a participle and a finite form ("gekostet" / "kostete", ``verb_forms``),
    or a lower-case weak verb form's root in a word ("gekostet" / "Baukosten",
    ``verb_root``)."""
    lower = word.lower()
    terms = _passage_terms(passage)
    if _match(lower, stem(lower), terms) > 0 or same_verb(lower, passage):
        return True
    return _root_found(word, terms)


def _root_found(word: str, terms: tuple[frozenset[str], str, tuple[str, ...]]) -> bool:
    root = verb_root(word)
    return root is not None and _match(root, root, terms) > 0


def same_verb(word: str, passage: str) -> bool:
    """``passage`` holds the lower-case ``word``'s verb as a participle where ``word`` is a
    finite form, or the other way ("gekostet" / "kostete", see below)."""
    if word in STOPWORDS:  # "wann" is no past of "gewonnen"
        return False
    participle, finite = _passage_verb_keys(passage)
    return bool(_participle_keys(word) & finite or _finite_keys(word) & participle)


# -- German participles and finite forms of one verb ----------------------------------------
# A follow-up asks in the perfect ("Was hat sie gekostet?", "Wer hat gewonnen?") what the
# article says in the past ("Sie kostete ...", "gewann"): Snowball stems "gekostet" and
# "kostete" apart. A weak verb's participle is ge + stem + t, its past stem + te: the stem of
# the participle without "ge" is the past's ("kostet", "wahlt"). A strong verb's participle
# is ge + stem + en with another vowel than its past ("gewonnen" / "gewann", "gesprochen" /
# "sprach"): their consonants match once the vowels are left out. Only ge- participles (not
# "eröffnet", "angekündigt") and only word_found's question: BM25 stems stay as they are.

_VOWELS = re.compile(r"[aeiouyäöü]+")
_PARTICIPLE_ENDS = ("t", "en")


def _consonants(core: str) -> str | None:
    """``core`` with each run of vowels one "*" ("wonn" -> "w*nn"): a strong verb's forms
    share it; None when too little is left to tell a verb (fewer than two consonants)."""
    skeleton = _VOWELS.sub("*", core)
    return "s:" + skeleton if len(skeleton.replace("*", "")) >= 2 else None


@lru_cache(maxsize=50_000)
def verb_root(word: str) -> str | None:
    """The root of a weak verb's ge- participle or past as written in lower case
    ("gekostet", "kostete" -> "kost"; "gemeldet", "meldeten" -> "meld"): German nouns are
    built on it ("Baukosten", "Meldung"), so "Was hat sie gekostet?" and "Wie viel kostete
    die Brücke?" are answered by "Die Baukosten betrugen ...". None for any other word, a
    capitalised one included ("Gericht" is no participle of "richten"), for a root shorter
    than a compound's part (``MIN_COMPOUND_PART``: "gebaut" -> "bau" would be found in
    "Bauern") and for a number's ordinal ("vierte" is no past of a verb "vieren")."""
    if not word[:1].islower() or not word.isalpha():
        return None
    if word.startswith("ge") and word.endswith("t"):
        core = word[2:-2] if word.endswith("et") else word[2:-1]
    elif match := _WEAK_PAST.search(word):
        core = word[: match.start()]
    else:
        return None
    if len(core) < MIN_COMPOUND_PART or core in NUMBER_WORDS:
        return None
    return core


_WEAK_PAST = re.compile(r"e?te(?:n|st|t)?$")
"""A weak verb's past ("kostete", "meldeten", "zahltest"): its root is what stands before."""


@lru_cache(maxsize=50_000)
def _participle_keys(word: str) -> frozenset[str]:
    """What a ge- participle shares with its verb's finite forms (nothing for other words)."""
    if not word.startswith("ge") or len(word) < 6 or not word.endswith(_PARTICIPLE_ENDS):
        return frozenset()
    core = word[2:]
    keys = {"w:" + stem(core)}
    if word.endswith("en"):
        keys.add(_consonants(core[:-2]) or "w:" + stem(core))
    return frozenset(keys)


@lru_cache(maxsize=200_000)
def _finite_keys(word: str) -> frozenset[str]:
    """What a finite verb form (if ``word`` is one) shares with its participle: its stem (a
    weak past: "kostete" -> "kostet"), the consonants of it and its forms without the
    plural's -en or a "ge" that belongs to the verb ("gewann" -> "w*nn")."""
    forms = [word, word[:-2]] if word.endswith("en") else [word]
    if word.startswith("ge"):
        forms += [f[2:] for f in forms]
    keys = {"w:" + stem(word)} | {_consonants(f) or "w:" + stem(word) for f in forms}
    return frozenset(keys)


@lru_cache(maxsize=50_000)
def _passage_verb_keys(passage: str) -> tuple[frozenset[str], frozenset[str]]:
    """The participle keys and finite keys of a passage's words."""
    words = content_words(passage)
    participle = frozenset(k for w in words for k in _participle_keys(w))
    finite = frozenset(k for w in words for k in _finite_keys(w))
    return participle, finite


# -- the same terms for a keyword index outside SQLite (PostgreSQL, server mode) -------------


@lru_cache(maxsize=200_000)
def _fts5_terms(token: str) -> tuple[str, ...]:
    """How FTS5's default tokenizer (unicode61, remove_diacritics 1) reads one of our tokens:
    letters, digits and private-use characters make terms, anything else ('_') separates, a
    Latin letter with one accent loses it ('josé' -> 'jose'; 'quốc' keeps its two) and a
    final sigma folds like a capital ('ὀξύς' -> 'ὀξύσ'). Checked term by term against FTS5 on
    the XQuAD-de texts (tests/retrieval/test_lexical.py)."""
    terms, current = [], []
    for char in token:
        if char == "ς":
            current.append("σ")
        elif unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "Co":
            parts = unicodedata.normalize("NFD", char)
            current.append(parts[0] if len(parts) == 2 and parts[0].isascii() else char)
        elif current:
            terms.append("".join(current))
            current = []
    if current:
        terms.append("".join(current))
    return tuple(terms)


def index_terms(text: str) -> list[str]:
    """The terms FTS5 would index for a passage (``index_text``), in order, repeats kept: a
    keyword index elsewhere stores these to count what FTS5 counts."""
    return [term for token in tokenize(text) for term in _fts5_terms(token)]


def query_terms(text: str) -> list[str]:
    """The distinct terms ``match_query`` searches for, as FTS5 reads them."""
    return list(dict.fromkeys(index_terms(text)))
