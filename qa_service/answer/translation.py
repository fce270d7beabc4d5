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
vocabulary is paid for once per process. ``LexiconWarmer`` pays it in the background at
start-up and after each ingest, so that the first English questions do not (HUNT9 L8: they
took 1-2.5 s while their candidates' words were embedded).
"""

import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from qa_service.retrieval.embedder import Embedder, embed_queries
from qa_service.retrieval.lexical import content_words, word_found
from qa_service.tuning.answer import LEXICON_WARM_BATCH, LEXICON_WORDS
from qa_service.tuning.retrieval import LONGEST_WORD_CHARS

log = logging.getLogger("qa_service")


def _lexicon_word(word: str) -> bool:
    """A word worth a vector: digits, one- or two-letter words and runs longer than any word
    (``LONGEST_WORD_CHARS``) are matched by spelling."""
    return 2 < len(word) <= LONGEST_WORD_CHARS and not word.isdigit()


def lexicon_words(text: str) -> list[str]:
    """The words of ``text`` that ``WordVectors.matches`` may look up, sorted."""
    return sorted(w for w in content_words(text) if _lexicon_word(w))


class WordVectors:
    """Single-word vectors of the corpus's words, embedded on first need and kept (bounded,
    least recently used first out; float16: 768 bytes a word)."""

    def __init__(self, embedder: Embedder, max_words: int = LEXICON_WORDS) -> None:
        self.embedder = embedder
        self.max_words = max_words
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def missing(self, words: Iterable[str]) -> list[str]:
        """``words`` without a kept vector, in order, once each."""
        with self._lock:
            return [w for w in dict.fromkeys(words) if w not in self._vectors]

    def add(self, words: Sequence[str]) -> None:
        """Embed ``words`` (in one call) and keep their vectors."""
        if not words:
            return
        fresh = self.embedder.embed_passages(list(words)).astype(np.float16)
        with self._lock:
            for word, vector in zip(words, fresh, strict=True):
                self._vectors[word] = vector
            while len(self._vectors) > self.max_words:
                self._vectors.popitem(last=False)

    def passage_vectors(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), dim) passage vectors; the unknown ones embedded in one call."""
        self.add(self.missing(words))
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


Texts = Callable[[], Iterable[str]]
"""The texts whose words to warm, read when their turn comes (in the warmer's thread)."""


class LexiconWarmer:
    """Embeds the corpus's words into ``WordVectors`` in one background thread: the articles
    at start-up, then each article ingested. ``LEXICON_WARM_BATCH`` words an engine call, so
    a question arriving meanwhile waits for at most one such call (the engine embeds waiting
    questions before the next passages); stops once ``max_words`` are kept. The vectors are
    bit-for-bit those embedded on need, so answers are the same, only sooner."""

    def __init__(self, lexicon: WordVectors, batch: int = LEXICON_WARM_BATCH) -> None:
        self.lexicon = lexicon
        self.batch = batch
        self._todo: queue.Queue[tuple[Texts, str]] = queue.Queue()
        self._busy = 0  # jobs queued or running
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def warm(self) -> bool:
        """Every job given so far is done."""
        return self._busy == 0

    def add(self, texts: Texts, what: str) -> None:
        """Warm the words of ``texts()`` (``what``: for the log line), after the jobs before."""
        with self._lock:
            if self._stopped.is_set():
                return
            self._busy += 1
            self._todo.put((texts, what))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="qa-lexicon", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop after the engine call in progress (the stores are about to close)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            texts, what = self._todo.get()
            try:
                self._warm(texts, what)
            except Exception as exc:  # a closed or unavailable store: the questions embed on need
                log.warning("word lexicon: %s not warmed: %s", what, exc)
            finally:
                with self._lock:
                    self._busy -= 1

    def _warm(self, texts: Texts, what: str) -> None:
        started, added = time.perf_counter(), 0
        for text in texts():
            words = self.lexicon.missing(lexicon_words(text))
            for i in range(0, len(words), self.batch):
                room = self.lexicon.max_words - len(self.lexicon)
                if self._stopped.is_set() or room <= 0:
                    return
                fresh = self.lexicon.missing(words[i : i + min(self.batch, room)])
                self.lexicon.add(fresh)  # less the words questions embedded meanwhile
                added += len(fresh)
        log.info(
            "word lexicon: %d words of %s embedded in %.1f s (%d kept)",
            added,
            what,
            time.perf_counter() - started,
            len(self.lexicon),
        )


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
