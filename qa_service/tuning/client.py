"""The Python client's retries (``QAClient(..., retries=N)``, README, Python client).

None of these is measured: they follow the service's own Retry-After (1 s for a full queue or
a backend that is down, up to a rate limit's window for a 429) and common practice
(urllib3's and httpx-retries' exponential backoff, a cap on the wait, a little jitter).
"""

MAX_RETRY_WAIT_S = 30.0
"""The longest ``Retry-After`` the client waits out by default (``max_retry_wait``): a full
queue or a backend's outage (1 s) and a per-second limit are waited for; a per-minute rate
limit's full window (up to 60 s) is raised at once, for the caller to decide."""

FIRST_BACKOFF_S = 0.5
"""The wait before the first retry of a 429/503 without Retry-After (a proxy's), doubled for
each next one; the service itself always says how long."""

RETRY_JITTER_S = 0.25
"""Up to this much is added at random to each wait: clients refused together (a burst past
the queue limit) do not all come back in the same instant to be refused together again."""
