"""Ingestion: files and uploads -> ``Article`` -> sentences and chunks with exact offsets."""

from qa_service.ingest.loading import (
    Format,
    decode_upload,
    detect_format,
    parse_article,
)
from qa_service.ingest.segmentation import segment_article

__all__ = [
    "Format",
    "decode_upload",
    "detect_format",
    "parse_article",
    "segment_article",
]
