"""A cross-lingual word lexicon the embedding model itself provides: English question words
matched to the German words of candidate sentences by the cosine of their single-word vectors.

BM25 and the term coverage see almost nothing in common between an English question and a
German sentence (names and numbers only). e5 embeds single words across languages close
together ("population" / "Bevölkerung" 0.90, "built" / "gebaut" 0.91, query-prefixed English
word against passage-prefixed German word), so a question word counts as found in a sentence
when the sentence holds it, or holds a word at least ``threshold`` close to it. No dictionary,
no dev data: the vectors are the model's.

Cost: a question's words not in the query-vector cache are embedded in one engine call;
the sentences' words are embedded once in batches and kept (``WordVectors``), so a corpus's
vocabulary is paid for once per process, on the questions that first meet it.
"""

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from qa_service.retrieval.embedder import Embedder, embed_queries
from qa_service.retrieval.lexical import content_words, word_found
from qa_service.tuning.answer import LEXICON_WORDS


def _lexicon_word(word: str) -> bool:
    """A word worth a vector: digits and one- or two-letter words are matched by spelling."""
    return len(word) > 2 and not word.isdigit()


class WordVectors:
    """Single-word vectors of the corpus's words, embedded on first need and kept (bounded,
    least recently used first out; float16: 768 bytes a word)."""

    def __init__(self, embedder: Embedder, max_words: int = LEXICON_WORDS) -> None:
        self.embedder = embedder
        self.max_words = max_words
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def passage_vectors(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), dim) passage vectors; the unknown ones embedded in one call."""
        with self._lock:
            missing = [w for w in dict.fromkeys(words) if w not in self._vectors]
        if missing:
            fresh = self.embedder.embed_passages(missing).astype(np.float16)
            with self._lock:
                for word, vector in zip(missing, fresh, strict=True):
                    self._vectors[word] = vector
                while len(self._vectors) > self.max_words:
                    self._vectors.popitem(last=False)
        with self._lock:
            out = []
            for word in words:
                vector = self._vectors.get(word)
                if vector is None:  # pushed out by another thread meanwhile: embed it again
                    vector = self.embedder.embed_passages([word])[0].astype(np.float16)
                else:
                    self._vectors.move_to_end(word)
                out.append(vector)
        return np.asarray(out, dtype=np.float32).reshape(len(words), -1)

    def query_vectors(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), dim) query vectors of the question's words, the ones the embedder's
        cache lacks in one engine call (``embed_queries``)."""
        return embed_queries(self.embedder, list(words))

    def matches(self, question: str, passages: Sequence[str], threshold: float) -> np.ndarray:
        """(question words, passages) booleans: the passage holds the word (spelled alike,
        ``word_found``), or a word whose vector is at least ``threshold`` close to it."""
        words = sorted(content_words(question))
        found = np.array([[word_found(w, p) for p in passages] for w in words], dtype=bool).reshape(
            len(words), len(passages)
        )
        asked = [w for w in words if _lexicon_word(w)]
        per_passage = [sorted(w for w in content_words(p) if _lexicon_word(w)) for p in passages]
        vocabulary = sorted({w for ws in per_passage for w in ws})
        if not asked or not vocabulary:
            return found
        column = {w: i for i, w in enumerate(vocabulary)}
        close = self.query_vectors(asked) @ self.passage_vectors(vocabulary).T >= threshold
        row = {w: i for i, w in enumerate(asked)}
        for j, passage_words in enumerate(per_passage):
            if not passage_words:
                continue
            near = close[:, [column[w] for w in passage_words]].any(axis=1)
            for i, word in enumerate(words):
                if word in row:
                    found[i, j] |= near[row[word]]
        return found


def translated_coverage(found: np.ndarray) -> list[float]:
    """Each passage's share of the question's words (``WordVectors.matches``), a word weighted
    by how rare it is among the passages, as ``lexical.term_coverage`` weights them."""
    words, n = found.shape
    if not words or not n:
        return [0.0] * n
    weights = np.array([math.log((n + 1) / (row.sum() + 0.5)) for row in found])
    total = float(weights.sum()) or 1.0
    return [float(weights @ found[:, j]) / total for j in range(n)]


def translated_share(found: np.ndarray) -> float:
    """Share of the question's words that some passage holds or translates (1.0: no words)."""
    return float(found.any(axis=1).mean()) if found.shape[0] else 1.0
