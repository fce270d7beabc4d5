"""How close a candidate sentence's single words come to the question: the best cosine
between the question's own vector and the sentence's content words' single-word vectors.

The dense cosine compares the question with the whole sentence, whose other words dilute
what the question is about; a sentence that names it ("Sternwarte" for "Wo beobachtete er
die Sterne?") holds one word whose vector is close to the question's. No engine call at
question time once the words are kept: the question's vector is the one retrieval searched
with, and the words' passage vectors are the word lexicon's (``translation.WordVectors``,
embedded on first need and by ``LexiconWarmer`` in the background). A word not kept yet is
embedded when a question needs it, with the same vector the warm-up would give it, so an
answer does not depend on how far the warm-up got.
"""

from collections.abc import Sequence

import numpy as np

from qa_service.answer.translation import WordVectors


def closest_words(lexicon: WordVectors, vector: np.ndarray, texts: Sequence[str]) -> list[float]:
    """Per text: the highest cosine between ``vector`` (a unit query vector) and the passage
    vector of one of its words (``lexicon_words``); 0.0 for a text without such a word.
    One product for all the texts' words, one reduction per text (no loop over words)."""
    vectors, sizes = lexicon.text_vectors(texts)
    if not len(vectors):
        return [0.0] * len(texts)
    query = np.asarray(vector, dtype=np.float32)
    # einsum: one thread (numpy's matrix @ vector runs OpenBLAS on every core, spinning
    # against the embedder's OpenMP threads; benchmarks/README.md, "Exact dense search").
    cosines = np.einsum("ij,j->i", vectors, query)
    held = sizes > 0
    best = np.zeros(len(texts), dtype=cosines.dtype)
    best[held] = np.maximum.reduceat(cosines, (np.cumsum(sizes) - sizes)[held])
    return [float(x) for x in best]
