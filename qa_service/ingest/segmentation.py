"""Article text -> sentences and chunks, all as offsets into the unchanged text."""

from qa_service.ingest.chunking import chunk_sentences
from qa_service.ingest.cleaning import clean_text
from qa_service.ingest.sentences import split_sentences
from qa_service.models import Segmentation
from qa_service.tuning.ingest import CHUNK_MAX_CHARS


def segment_article(text: str, *, max_chars: int = CHUNK_MAX_CHARS) -> Segmentation:
    """Split ``text`` into sentences and chunks whose offsets index ``text`` itself.

    Cleaning works on a same-length view, so boilerplate never becomes a sentence and no offset
    has to be mapped back. Empty or all-boilerplate text gives an empty segmentation; deciding
    that this is an error is the caller's business.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    layout = clean_text(text)
    sentences = split_sentences(layout.view, layout.blocks)
    chunks = chunk_sentences(sentences, layout.view, max_chars=max_chars)
    return Segmentation(sentences=sentences, chunks=chunks)
