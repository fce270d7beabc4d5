"""German-aware lexical tokens for BM25: lower-cased, Snowball-stemmed, stopwords removed.

The BM25 index itself is SQLite FTS5 (see docstore.py): it is updated incrementally inside
the same transaction as the documents, so the lexical index can never disagree with them.
We feed FTS5 pre-stemmed tokens, because its built-in tokenizers know no German.
"""

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

# Question words and auxiliaries carry no topic, yet the stock lists keep some of them.
_QUESTION_WORDS = frozenset(
    [
        "wer",
        "wen",
        "wem",
        "wessen",
        "was",
        "wann",
        "wo",
        "wohin",
        "woher",
        "wie",
        "warum",
        "weshalb",
        "wieso",
        "welche",
        "welcher",
        "welches",
        "welchem",
        "welchen",
        "wieviel",
        "wieviele",
        "wurde",
        "wurden",
        "worden",
        "gibt",
        "gab",
        "who",
        "whom",
        "whose",
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
        "was",
        "were",
    ]
)
# Questions arrive in German and English; English function words must not match German text.
STOPWORDS = frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_EN) | _QUESTION_WORDS
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_PARTS = re.compile(r"[-'’]")
_stemmer = Stemmer.Stemmer("german")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Stemmed content words of ``text``; hyphenated compounds also yield their parts."""
    tokens: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        parts = [word, *_PARTS.split(word)] if _PARTS.search(word) else [word]
        for part in parts:
            if part in STOPWORDS or (len(part) < 2 and not part.isdigit()):
                continue
            tokens.append(_stem(_PARTS.sub("", part)))
    return tokens


def index_text(text: str) -> str:
    """The token string FTS5 stores for a passage."""
    return " ".join(tokenize(text))


def match_query(text: str) -> str | None:
    """An FTS5 MATCH expression (OR of quoted tokens), or None when nothing is searchable."""
    tokens = dict.fromkeys(tokenize(text))
    if not tokens:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)
