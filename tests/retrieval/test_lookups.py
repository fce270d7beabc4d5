"""The retriever's independent lookups: at once for server stores, in order for embedded ones.

A pure unit test of the scheduling (the stores are placeholders); that answers stay the same
in server mode is tests/stores/test_server_mode.py and test_eval_server_mode.py.
"""

import threading
import time
from types import SimpleNamespace

import pytest

from qa_service.retrieval.retriever import HybridRetriever


def _retriever(concurrent: bool) -> HybridRetriever:
    return HybridRetriever(SimpleNamespace(concurrent_reads=concurrent))  # type: ignore[arg-type]


def test_server_stores_get_their_lookups_at_once() -> None:
    both = threading.Barrier(3, timeout=10)  # passes only if three calls wait at the same time

    def lookup(n: int) -> int:
        both.wait()
        return n

    assert _retriever(True).together(*(lambda n=n: lookup(n) for n in range(3))) == [0, 1, 2]


def test_embedded_stores_look_up_in_order_on_the_calling_thread() -> None:
    seen: list[tuple[int, str]] = []

    def lookup(n: int) -> int:
        seen.append((n, threading.current_thread().name))
        return n * 10

    assert _retriever(False).together(*(lambda n=n: lookup(n) for n in range(3))) == [0, 10, 20]
    assert seen == [(n, threading.current_thread().name) for n in range(3)]


def test_a_failing_lookup_raises_after_the_others_finish() -> None:
    finished = threading.Event()

    def slow() -> None:
        finished.wait(0.2)
        finished.set()

    def broken() -> None:
        raise RuntimeError("PostgreSQL went away")

    with pytest.raises(RuntimeError, match="went away"):
        _retriever(True).together(broken, slow)
    assert finished.is_set()


def test_closing_ends_the_lookup_threads() -> None:
    retriever = _retriever(True)
    assert retriever.together(lambda: 1, lambda: 2) == [1, 2]
    retriever.close()
    with pytest.raises(RuntimeError):  # a closed pool takes no more work
        retriever.together(lambda: 1, lambda: 2)


class _Keywords:
    """A document store whose two keyword searches and key reads record the thread they ran
    on."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, str]] = []

    def sentences_by_key(self, keys: list) -> dict:
        self.ran.append(("rows", threading.current_thread().name))
        return {key: f"row {key}" for key in keys}

    def search_chunks(self, query: str, limit: int) -> list:
        self.ran.append(("chunks", threading.current_thread().name))
        return [("chunks", 0, 1.0)]

    def search_sentences(self, query: str, limit: int) -> list:
        self.ran.append(("sentences", threading.current_thread().name))
        return [("sentences", 0, 1.0)]


def _keyword_retriever(concurrent: bool, docs: _Keywords) -> HybridRetriever:
    stores = SimpleNamespace(
        concurrent_reads=concurrent, documents=docs, reader=lambda: None, refresh=lambda: False
    )
    return HybridRetriever(stores)  # type: ignore[arg-type]


def test_server_stores_start_the_keyword_searches_before_the_vector_is_ready() -> None:
    docs = _Keywords()
    released = threading.Event()
    search = docs.search_sentences
    docs.search_sentences = lambda q, n: (released.wait(10), search(q, n))[1]  # type: ignore[method-assign]
    pending = _keyword_retriever(True, docs).search_keywords("Wer?", "de")
    deadline = time.monotonic() + 10
    while not docs.ran and time.monotonic() < deadline:  # the chunk search runs without us
        time.sleep(0.005)
    assert docs.ran and docs.ran[0][1].startswith("qa-lookup")
    released.set()
    assert pending() == ([("chunks", 0, 1.0)], [("sentences", 0, 1.0)])


def test_embedded_stores_search_keywords_at_once_in_order_with_the_rows_found() -> None:
    docs = _Keywords()
    pending = _keyword_retriever(False, docs).search_keywords("Wer?", "de")
    me = threading.current_thread().name
    # Before the question's vector exists (the caller embeds it next): on warm caches.
    assert docs.ran == [("chunks", me), ("sentences", me), ("rows", me)]
    assert pending.rows == {("sentences", 0): "row ('sentences', 0)"}
    assert pending() == ([("chunks", 0, 1.0)], [("sentences", 0, 1.0)])
    assert len(docs.ran) == 3  # asking for the hits searches nothing again
