"""The HTTP edge's timeouts: how long the server waits for a client, and for itself.

Chosen, not measured: each bounds what a slow or hostile client can hold (a connection, a
worker thread) against what a slow honest one needs. Operators behind a proxy that has its
own timeouts rarely reach them.
"""

HEADER_TIMEOUT_S = 10.0
"""A request's headers must arrive within this long of the connection opening (or of the
previous response): a client trickling header bytes is cut off instead of holding a
connection for ever. uvicorn has no such timeout of its own."""
KEEP_ALIVE_S = 5
"""An idle keep-alive connection is closed after this long (uvicorn's default)."""
GRACEFUL_SHUTDOWN_S = 30
"""On SIGTERM, open requests get this long to finish."""
EARLY_DEATH_S = 10.0
"""A worker dying this soon after its start is a broken set-up, not bad luck: ``serve``
stops instead of restarting it."""
BODY_CHUNK_TIMEOUT_S = 30.0
"""Longest wait for the next piece of a request body: a slow mobile upload sends far more
often; a client holding a request open by trickling bytes is cut off."""
ROUTED_PATHS_KEPT = 4096
"""Request lines (method and path) whose "does a route take it?" answer the edge guard keeps
(``api/security.EdgeGuard``): matching every route cost it ~15-50 us a request before the
router matched again (benchmarks/README.md, Latency, latency14). The routes are fixed once
the app serves, so an answer never goes stale; paths naming a document or conversation are
many, so the table is emptied when full (~1 MB at most)."""
