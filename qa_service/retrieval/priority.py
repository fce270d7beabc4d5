"""Real-time scheduling for the embedding of questions (``QA_EMBEDDER_PRIORITY``).

On a busy machine a question's OpenMP team loses at every one of its ~120 barriers: the
partner thread that shares a core with another process waits for that process's time slice
(EEVDF's wake-up latency; ``nice -10`` did not help, benchmarks/README.md "Busy machine"). A
real-time policy does: a ``SCHED_FIFO`` thread preempts every normal one the moment it wakes,
so a question on a busy machine runs as fast as on an idle one.

Linux scheduling policy is per thread, and libgomp's worker threads live in a pool per calling
thread, created once and kept (a later policy change of the caller does not reach them). So
``QuestionPriority`` learns the tids of the calling thread's team once (an OpenMP region of its
own in which every member reports its tid) and sets the policy of each member explicitly:
``SCHED_FIFO`` around a question's embedding, back to ``SCHED_OTHER`` after it on the calling
thread; the workers stay real-time between calls (asleep: libgomp wakes them only for this
thread's regions), and go back to normal before this thread embeds passages (an ingest is bulk
work and yields to the machine like any other).

Safe only while every wait ends in a sleep: a real-time thread that spins starves a normal
thread on its core. So ``auto`` (the default) takes real-time only when the OpenMP wait is
bounded (passive, or ``GOMP_SPINCOUNT`` <= ``MAX_REALTIME_SPIN``), the team has two threads
or more (a lone thread has no partner to wait for) and no more than the process has cores,
and the kernel permits it (CAP_SYS_NICE, or
``RLIMIT_RTPRIO`` >= ``REALTIME_PRIORITY``); else it stays normal and says why in one log line.
``realtime`` insists and fails at start-up if it cannot; ``normal`` never tries. The kernel
keeps 5% of every core for normal threads whatever a real-time one does.
"""

import contextlib
import ctypes
import logging
import os
import re
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from qa_service.config import EmbedderPriority
from qa_service.errors import EmbedderUnavailable
from qa_service.tuning.latency import (
    MAX_REALTIME_SPIN,
    OVERLOAD_RESUME_SHARE,
    REALTIME_PRIORITY,
)

log = logging.getLogger("qa_service")

_REALTIME = (os.SCHED_FIFO, os.SCHED_RR)  # a thread under one of these is left as it is
_SPIN_SUFFIX = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


@dataclass(frozen=True)
class PriorityChoice:
    """Whether questions are embedded real-time, and the reason, for the start-up log line."""

    realtime: bool
    reason: str


def unbounded_wait(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """Why OpenMP's threads may spin too long to run real-time, or None if every wait is brief.

    libgomp's own rules (env.c): ``GOMP_SPINCOUNT`` counts spins (``infinite``, or a number
    with an optional k/M/G/T suffix) whatever the policy, and no wait spins longer than it
    (the "throttled" count for more threads than cores is at most the same); without it
    ``OMP_WAIT_POLICY=active`` spins without end, and with no policy libgomp spins 300,000
    times (~15 ms here).
    """
    policy = environ.get("OMP_WAIT_POLICY", "").strip().lower()
    spin = environ.get("GOMP_SPINCOUNT", "").strip()
    if not spin:
        if policy == "active":
            return "OMP_WAIT_POLICY=active spins without end"
        return None if policy == "passive" else "libgomp's default spin (300000) is too long"
    found = re.fullmatch(r"(\d+)\s*([kMGT]?)", spin)
    if found is None:
        return f"GOMP_SPINCOUNT={spin} may spin without end"
    count = int(found.group(1)) * _SPIN_SUFFIX[found.group(2)]
    if count > MAX_REALTIME_SPIN:
        return f"GOMP_SPINCOUNT={spin} spins longer than {MAX_REALTIME_SPIN}"
    return None


def realtime_refused() -> str | None:
    """Why the kernel refuses ``SCHED_FIFO`` to this process, or None: asks it on the calling
    thread and goes straight back (the only test that covers capabilities, RLIMIT_RTPRIO and a
    container's or cgroup's real-time limits alike)."""
    if os.sched_getscheduler(0) in _REALTIME:  # started under chrt: it is permitted, keep it
        return None
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    except PermissionError:
        return (
            "not permitted (needs CAP_SYS_NICE, or RLIMIT_RTPRIO >= "
            f"{REALTIME_PRIORITY}: systemd LimitRTPRIO=, docker --ulimit rtprio=)"
        )
    except (OSError, AttributeError) as exc:  # AttributeError: no sched_setscheduler here
        return f"not available: {exc}"
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    return None


def choose_priority(setting: EmbedderPriority, threads: int, cores: int) -> PriorityChoice:
    """The policy for questions' embedding; ``realtime`` raises what ``auto`` falls back on."""
    if setting == "normal":
        return PriorityChoice(False, "QA_EMBEDDER_PRIORITY=normal")
    if setting == "auto" and threads < 2:
        # A lone thread has no barrier partner to wait for: the scheduler moves it to a free
        # core (1 thread: busy/idle p50 0.97-1.01 at normal priority), and real-time would only
        # hold this process's own event loop off its core while a batch embeds.
        return PriorityChoice(False, "QA_EMBEDDER_PRIORITY=auto: one OpenMP thread gains nothing")
    unsafe = unbounded_wait()
    if unsafe is None and threads > cores:
        unsafe = f"{threads} OpenMP threads on {cores} cores would wait behind each other"
    problem = unsafe or realtime_refused()
    if problem is None:
        return PriorityChoice(True, f"SCHED_FIFO {REALTIME_PRIORITY} while a question embeds")
    if setting == "realtime":
        raise EmbedderUnavailable(f"QA_EMBEDDER_PRIORITY=realtime: {problem}")
    return PriorityChoice(False, f"QA_EMBEDDER_PRIORITY=auto: {problem}")


class Backlog:
    """Whether the service is overloaded: real-time embedding then steps down to normal.

    A real-time engine call preempts every normal thread, this process's own event loop
    included. While a few questions wait that is the point (they are answered sooner); once
    the queue is full it is a trap: with both cores embedding back to back the loop reads and
    refuses new requests only in the gaps, so requests wait unread for seconds instead of
    being refused at once (one ``serve`` worker, 64 clients: p99 5.5 s real-time vs 1.5 s
    normal, benchmarks/README.md "Throughput"). So: overloaded from the moment ``limit``
    questions wait for an answer thread (the service's queue, QA_MAX_QUEUE, is full), normal
    again once at most ``limit * OVERLOAD_RESUME_SHARE`` wait. Updated on the event loop at
    every admission and departure, read by the answer threads before each engine call.
    """

    def __init__(self, announce: bool = False) -> None:
        self.overloaded = False
        self.announce = announce  # log each change (when it changes a real-time policy)

    def update(self, waiting: int, limit: int) -> None:
        if not self.overloaded and waiting >= limit:
            self.overloaded = True
            if self.announce:
                log.info("embedder priority: normal while %d questions wait (overloaded)", waiting)
        elif self.overloaded and waiting <= limit * OVERLOAD_RESUME_SHARE:
            self.overloaded = False
            if self.announce:
                log.info("embedder priority: real-time again, %d questions wait", waiting)


@dataclass(eq=False)  # hashable by identity: kept in a WeakSet
class _Team:
    """One calling thread's OpenMP workers (tids) and whether they run real-time now."""

    workers: list[int]
    realtime: bool = False


_REPORT = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class QuestionPriority:
    """Switches the calling thread and its OpenMP workers to ``SCHED_FIFO`` for questions."""

    def __init__(self, lib: ctypes.CDLL, choice: PriorityChoice, max_threads: int) -> None:
        self.realtime = choice.realtime
        self.max_threads = max_threads
        # the service's queue (api/compute.py) keeps it up to date
        self.backlog = Backlog(announce=self.realtime)
        self._local = threading.local()
        # every living thread's team (a thread's ends with it), to undo them all in _give_up
        self._teams: weakref.WeakSet[_Team] = weakref.WeakSet()
        self._parallel = lib.GOMP_parallel
        self._parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
        self._parallel.restype = None
        log.info(
            "embedder priority: %s (%s)", "realtime" if self.realtime else "normal", choice.reason
        )

    def team_tids(self) -> list[int]:
        """The tids of the calling thread's OpenMP team, itself excluded (libgomp keeps the
        same workers for every region of this thread, so this runs once per thread)."""
        tids: list[int] = []
        report = _REPORT(lambda _data: tids.append(threading.get_native_id()))
        self._parallel(ctypes.cast(report, ctypes.c_void_p), None, self.max_threads, 0)
        me = threading.get_native_id()
        return sorted(set(tids) - {me})

    @property
    def active(self) -> bool:
        """Whether the next engine call for questions runs real-time."""
        return self.realtime and not self.backlog.overloaded

    @contextlib.contextmanager
    def questions(self) -> Iterator[None]:
        """Run the body (one engine call for questions) real-time, if chosen and the service
        is not overloaded (``Backlog``)."""
        if not self.realtime:
            yield
            return
        if self.backlog.overloaded:
            with contextlib.suppress(OSError):
                self._set_workers(False)
            yield
            return
        if os.sched_getscheduler(0) in _REALTIME:  # real-time already (chrt): leave it so
            self._set_workers(True)
            yield
            return
        try:
            self._set_workers(True)
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
        except OSError as exc:  # permission taken away while running: stay normal from now on
            self._give_up(exc)
            yield
            return
        try:
            yield
        finally:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))

    def passages(self) -> None:
        """Before this thread embeds passages: its workers back to normal, if they were not."""
        team = getattr(self._local, "team", None)
        if team is not None and team.realtime:
            self._set_workers(False)

    def _set_workers(self, realtime: bool) -> None:
        team: _Team | None = getattr(self._local, "team", None)
        if team is None:
            team = self._local.team = _Team(self.team_tids())
            self._teams.add(team)
        if team.realtime == realtime:
            return
        try:
            _set_policy(team.workers, realtime)
        except ProcessLookupError:  # libgomp replaced a worker: learn the team again
            team.workers = self.team_tids()
            _set_policy(team.workers, realtime)
        team.realtime = realtime

    def _give_up(self, exc: OSError) -> None:
        log.warning("embedder priority: back to normal (%s)", exc)
        self.realtime = False
        for team in list(self._teams):
            for tid in team.workers:
                with contextlib.suppress(OSError):
                    _set_policy([tid], False)
            team.realtime = False
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _set_policy(tids: list[int], realtime: bool) -> None:
    policy, priority = (os.SCHED_FIFO, REALTIME_PRIORITY) if realtime else (os.SCHED_OTHER, 0)
    for tid in tids:
        os.sched_setscheduler(tid, policy, os.sched_param(priority))
