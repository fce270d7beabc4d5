"""Chunking: how long a chunk may get and where it breaks."""

CHUNK_MAX_CHARS = 700
"""Upper bound of a chunk (whole sentences; ``QA_CHUNK_MAX_CHARS``). About the length of a
news paragraph, well under the embedders' 512-token window. Not swept; benchmarks.quality
measures answers with it (a citation is one sentence whatever the chunk size)."""
MIN_FILL = 0.5
"""Break a chunk at an earlier paragraph boundary only if it is at least this full, so a
paragraph break does not leave a stub chunk. Not measured (tests/ingest/test_chunking.py)."""
