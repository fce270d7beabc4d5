"""The retriever's independent lookups: at once for server stores, in order for embedded ones.

A pure unit test of the scheduling (the stores are placeholders); that answers stay the same
in server mode is tests/stores/test_server_mode.py and test_eval_server_mode.py.
"""

import threading
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
