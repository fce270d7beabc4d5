"""Group whole sentences into retrieval chunks of bounded length.

A chunk never cuts a sentence, so every citation span lies inside one chunk. Breaks prefer
paragraph boundaries, and headings open a chunk rather than dangling at the end of one, because
a heading is context for what follows it.
"""

from collections.abc import Sequence

from qa_service.models import Chunk, Sentence
from qa_service.tuning.ingest import CHUNK_MAX_CHARS, MIN_FILL


def chunk_sentences(
    sentences: Sequence[Sentence], view: str, *, max_chars: int = CHUNK_MAX_CHARS
) -> list[Chunk]:
    """Greedy packing of consecutive sentences into chunks of at most ``max_chars``.

    A chunk may exceed ``max_chars`` only when it holds a single body sentence (optionally led by
    its headings): the sentence is too long to share a chunk and is never cut.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    chunks: list[Chunk] = []
    current: list[int] = []
    for index, sentence in enumerate(sentences):
        if current and sentence.kind == "heading" and _has_body(sentences, current):
            cut = _after_last_body(sentences, current)
            chunks.append(_chunk(sentences, current[:cut]))
            current = current[cut:]
        while current and sentence.end - sentences[current[0]].start > max_chars:
            if sentence.kind == "body" and not _has_body(sentences, current):
                break  # keep leading headings with the (long) sentence they introduce
            cut = _best_cut(sentences, current, index, view, max_chars)
            chunks.append(_chunk(sentences, current[:cut]))
            current = current[cut:]
        current.append(index)
    if current:
        chunks.append(_chunk(sentences, current))
    return chunks


def _best_cut(
    sentences: Sequence[Sentence], current: list[int], next_index: int, view: str, max_chars: int
) -> int:
    """Where to end the chunk: the latest well-filled paragraph break, else before ``next``."""
    first = sentences[current[0]]
    for cut in range(len(current), 0, -1):
        following = sentences[current[cut] if cut < len(current) else next_index]
        last = sentences[current[cut - 1]]
        if last.end - first.start < MIN_FILL * max_chars:
            break
        if last.kind == "body" and "\n" in view[last.end : following.start]:
            return cut
    return _after_last_body(sentences, current)


def _after_last_body(sentences: Sequence[Sentence], current: list[int]) -> int:
    """Cut position that leaves trailing headings for the next chunk (all, if no body)."""
    for cut in range(len(current), 0, -1):
        if sentences[current[cut - 1]].kind == "body":
            return cut
    return len(current)


def _has_body(sentences: Sequence[Sentence], current: list[int]) -> bool:
    return any(sentences[i].kind == "body" for i in current)


def _chunk(sentences: Sequence[Sentence], members: list[int]) -> Chunk:
    return Chunk(
        start=sentences[members[0]].start,
        end=sentences[members[-1]].end,
        first_sentence=members[0],
        last_sentence=members[-1],
    )
