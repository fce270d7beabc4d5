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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa_service.retrieval.embedder import Embedder, embed_queries
from qa_service.retrieval.lexical import content_words, word_found
from qa_service.tuning.answer import LEXICON_WARM_BATCH, LEXICON_WORDS, SENTENCE_WORDS_CACHE
from qa_service.tuning.retrieval import LONGEST_WORD_CHARS

log = logging.getLogger("qa_service")


def _lexicon_word(word: str) -> bool:
    """A word worth a vector: digits, one- or two-letter words and runs longer than any word
    (``LONGEST_WORD_CHARS``) are matched by spelling."""
    return 2 < len(word) <= LONGEST_WORD_CHARS and not word.isdigit()


def lexicon_words(text: str) -> list[str]:
    """The words of ``text`` that ``WordVectors.matches`` may look up, sorted."""
    return sorted(w for w in content_words(text) if _lexicon_word(w))


@lru_cache(maxsize=SENTENCE_WORDS_CACHE)
def sentence_words(text: str) -> tuple[str, ...]:
    """``lexicon_words`` of a candidate sentence, kept: the same sentences are candidates of
    many questions, and reading their words was most of the closest word's cost (tput10)."""
    return tuple(lexicon_words(text))


@dataclass(frozen=True, slots=True)
class TextWords:
    """The lexicon words of each of some texts (``sentence_words``) and the vocabulary they
    make: sorted, each word one column of the vocabulary's vectors."""

    per_text: list[tuple[str, ...]]
    vocabulary: list[str]
    column: dict[str, int]

    @classmethod
    def of(cls, texts: Sequence[str]) -> "TextWords":
        per_text = [sentence_words(text) for text in texts]
        vocabulary = sorted({word for words in per_text for word in words})
        return cls(per_text, vocabulary, {word: i for i, word in enumerate(vocabulary)})

    def columns(self, words: Sequence[str]) -> list[int]:
        return [self.column[word] for word in words]


def _rounded(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as the lexicon keeps them: rounded to float16 (the values every answer was
    measured with), held as float32."""
    return vectors.astype(np.float16).astype(np.float32)


class WordVectors:
    """Single-word vectors of the corpus's words, embedded on first need and kept (bounded,
    least recently used first out).

    The vectors are rows of one matrix, so a question's few hundred words are read in one
    numpy take instead of a Python loop per word; a row's last use is a tick in an array, set
    for all of them at once. The values are those a dict of vectors gave, bit for bit: each is
    rounded to float16 as it always was, and kept as float32 (1,536 bytes a word), so that a
    question reads its words' vectors without converting them (float16 -> float32 was a third
    of the closest word's CPU; benchmarks/README.md, Latency, latency14)."""

    def __init__(self, embedder: Embedder, max_words: int = LEXICON_WORDS) -> None:
        self.embedder = embedder
        self.max_words = max_words
        self._rows: dict[str, int] = {}  # word -> its row of _matrix
        self._words: list[str | None] = []  # row -> its word (None: free)
        self._free: list[int] = []  # rows without a word, the lowest last
        self._matrix = np.zeros((0, 0), dtype=np.float32)  # float16 values (``_rounded``)
        self._used = np.zeros(0, dtype=np.int64)  # row -> tick of its last use
        self._clock = 0
        self._lock = threading.Lock()
        # text -> the rows of its ``sentence_words``, while no row is freed (``_evict``)
        self._text_rows: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, word: object) -> bool:
        return word in self._rows

    def words(self) -> list[str]:
        """The kept words, the least recently used first."""
        with self._lock:
            return sorted(self._rows, key=lambda word: int(self._used[self._rows[word]]))

    def missing(self, words: Iterable[str]) -> list[str]:
        """``words`` without a kept vector, in order, once each."""
        with self._lock:
            return [w for w in dict.fromkeys(words) if w not in self._rows]

    def add(self, words: Sequence[str]) -> None:
        """Embed ``words`` (in one call) and keep their vectors."""
        if not words:
            return
        fresh = _rounded(self.embedder.embed_passages(list(words)))
        with self._lock:
            new = []
            for word, vector in zip(words, fresh, strict=True):
                row = self._rows.get(word)
                if row is None:  # a word kept meanwhile keeps its place in the order
                    row = self._new_row(fresh.shape[1])
                    self._rows[word], self._words[row] = row, word
                    new.append(row)
                self._matrix[row] = vector
            self._touch(new)
            self._evict()

    def passage_vectors(self, words: Sequence[str]) -> np.ndarray:
        """(len(words), dim) passage vectors; the unknown ones embedded in one call."""
        read = self._read(words, complete=True)
        if read is None:
            self.add(self.missing(words))
            read = self._read(words, complete=False)
        assert read is not None
        rows, out = read
        kept = [row for row in rows if row >= 0]
        if len(kept) == len(rows):
            return out.reshape(len(words), -1)
        # pushed out by another thread meanwhile: embed those again
        full = np.empty((len(words), self.embedder.dim), dtype=np.float32)
        held = np.array(rows) >= 0
        full[held] = out
        for i in np.flatnonzero(~held).tolist():
            full[i] = _rounded(self.embedder.embed_passages([words[i]]))[0]
        return full

    def text_vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The passage vectors of each text's ``sentence_words``, text after text (a word in
        two texts twice), and how many words each text has. A text's rows are kept until a
        row is freed, so a candidate seen before costs one dict lookup instead of one per
        word (benchmarks/README.md, Latency, latency14); the vectors are ``passage_vectors``'s."""
        for _ in range(2):
            with self._lock:
                rows = self._rows_of(texts)
                if rows is not None:
                    sizes = np.fromiter(map(len, rows), dtype=np.intp, count=len(rows))
                    flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
                    self._touch(flat)
                    return self._matrix[flat], sizes
            self.add(self.missing(word for text in texts for word in sentence_words(text)))
        # some pushed out by another thread meanwhile: read word by word
        words = [sentence_words(text) for text in texts]
        sizes = np.fromiter(map(len, words), dtype=np.intp, count=len(words))
        return self.passage_vectors([w for text_words in words for w in text_words]), sizes

    def _rows_of(self, texts: Sequence[str]) -> list[np.ndarray] | None:
        """The rows of each text's words (under the lock); None if some word is not kept."""
        kept = self._text_rows
        out = []
        for text in texts:
            rows = kept.get(text)
            if rows is None:
                found = [self._rows.get(word, -1) for word in sentence_words(text)]
                if -1 in found:
                    return None
                if len(kept) >= SENTENCE_WORDS_CACHE:
                    kept.clear()
                rows = kept[text] = np.array(found, dtype=np.intp)
            out.append(rows)
        return out

    def _read(self, words: Sequence[str], *, complete: bool) -> tuple[list[int], np.ndarray] | None:
        """The rows of ``words`` (-1: not kept) and a copy of the kept ones' vectors, marked
        used; None if ``complete`` and some word is not kept."""
        with self._lock:
            rows = [self._rows.get(word, -1) for word in words]
            if complete and -1 in rows:
                return None
            kept = [row for row in rows if row >= 0]
            self._touch(kept)
            return rows, self._matrix[kept]

    def _new_row(self, dim: int) -> int:
        """A free row of the matrix, growing it (doubling up to ``max_words``) if none is."""
        if not self._free:
            total = self._matrix.shape[0]
            grown = max(total + 1, min(max(2 * total, 256), self.max_words))
            matrix = np.zeros((grown, dim), dtype=np.float32)
            if total:
                matrix[:total] = self._matrix
            self._matrix = matrix
            self._used = np.concatenate([self._used, np.zeros(grown - total, dtype=np.int64)])
            self._words += [None] * (grown - total)
            self._free = list(range(grown - 1, total - 1, -1))
        return self._free.pop()

    def _touch(self, rows: Sequence[int] | np.ndarray) -> None:
        """``rows`` used now, in this order (the last the most recent)."""
        self._used[rows] = np.arange(self._clock, self._clock + len(rows))
        self._clock += len(rows)

    def _evict(self) -> None:
        """Free the least recently used rows beyond ``max_words``."""
        excess = len(self._rows) - self.max_words
        if excess <= 0:
            return
        self._text_rows.clear()  # rows are freed and may be given to other words
        held = np.fromiter(self._rows.values(), dtype=np.intp, count=len(self._rows))
        oldest = held[np.argpartition(self._used[held], excess - 1)[:excess]]
        for row in oldest.tolist():
            word = self._words[row]
            assert word is not None
            del self._rows[word]
            self._words[row] = None
            self._free.append(row)

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
        held = TextWords.of(passages)
        if not asked or not held.vocabulary:
            return found
        close = self.query_vectors(asked) @ self.passage_vectors(held.vocabulary).T >= threshold
        row = {w: i for i, w in enumerate(asked)}
        for j, passage_words in enumerate(held.per_text):
            if not passage_words:
                continue
            near = close[:, held.columns(passage_words)].any(axis=1)
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
