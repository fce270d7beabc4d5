"""Read articles from files or uploads into ``Article`` records.

Plain text and Markdown are stored exactly as given (only line endings are normalised), because
citations index into the stored text; HTML's readable text is extracted once (html.py). The
concerns live in their own modules: formats.py (what a file is, UTF-8 only), files.py (which
files, which ids), titles.py, dates.py and html.py. The names callers use are re-exported here.
"""

from pathlib import Path

from qa_service.errors import UnsupportedFormat
from qa_service.ingest.dates import find_published_date, normalize_date
from qa_service.ingest.files import article_files
from qa_service.ingest.formats import EXTENSIONS, Format, decode_upload, detect_format
from qa_service.ingest.html import parse_html
from qa_service.ingest.titles import front_matter, markdown_title, text_title
from qa_service.models import Article

__all__ = [
    "EXTENSIONS",
    "Format",
    "article_files",
    "decode_upload",
    "detect_format",
    "find_published_date",
    "load_file",
    "normalize_date",
    "parse_article",
]


def parse_article(data: str, *, fmt: Format = "text", name: str | None = None) -> Article:
    """Build an ``Article`` from decoded text; ``name`` (a file name or path) becomes its source."""
    data = data.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "html":
        return parse_html(data, name)
    if fmt not in ("text", "markdown"):
        raise UnsupportedFormat(f"Unknown format {fmt!r}; expected text, markdown or html")
    title, published_at = front_matter(data) if fmt == "markdown" else (None, None)
    title = title or (markdown_title(data) if fmt == "markdown" else None) or text_title(data)
    return Article(
        text=data,
        title=title,
        source=name,
        published_at=published_at or find_published_date(data),
        metadata={"format": fmt},
    )


def load_file(file: Path) -> Article:
    """Read and parse one article file; raises UnsupportedFormat for non-UTF-8 content."""
    text = decode_upload(file.read_bytes(), name=str(file))
    return parse_article(text, fmt=detect_format(file.name, text), name=str(file))
