"""Store batch sizes, caches and refresh intervals: memory and round trips against freshness.

None changes an answer; each bounds how much is held in memory, or how many calls an
operation makes, or how stale a cached copy may be.
"""

CACHED_TEXTS = 256
"""Article texts an embedded store keeps in memory for quotes (least recently used out) ..."""
CACHED_CHARS = 16_000_000
"""... and at most this many characters of them (~64 MB at 4 bytes a character)."""
COPY_BATCH = 50
"""Documents per write when ``qa-service migrate`` copies an index: the vector store's cost is
mostly per call."""
REHASH_BATCH = 1000
"""Rows per round trip of PostgreSQL migration m004 (content hashes again); memory stays about
1000 texts."""
LIST_PAGE = 500
"""Document records read at a time to list every article (the word lexicon's warm-up)."""
KEY_CACHE_S = 1.0
"""How stale this process's copy of the keys may be: a revocation through another replica
(or the CLI) takes effect within this time. Reading every key costs well under a millisecond
at a few hundred keys."""
LAST_USED_EVERY_S = 60.0
"""A key's last-used time is written at most this often (no write per request)."""
