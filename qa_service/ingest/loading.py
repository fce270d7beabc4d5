"""Read articles from files or uploads into ``Article`` records.

Plain text is stored exactly as given (only line endings are normalised), because citations
index into the stored text; the readable text of HTML (html.py) and Markdown (markdown.py) is
extracted once and stored instead: citations quote what a reader sees, no markup. The
concerns live in their own modules: formats.py (what a file is, UTF-8 only), files.py (which
files, which ids), titles.py, dates.py and html.py. The names callers use are re-exported here.
"""

import stat
from pathlib import Path

from qa_service.errors import DocumentTooLarge, InvalidInput, UnsupportedFormat
from qa_service.ingest.dates import find_published_date, normalize_date
from qa_service.ingest.files import article_files
from qa_service.ingest.formats import (
    EXTENSIONS,
    Format,
    decode_upload,
    detect_format,
    file_format,
)
from qa_service.ingest.html import parse_html
from qa_service.ingest.markdown import markdown_text
from qa_service.ingest.titles import front_matter, markdown_title, text_title
from qa_service.models import Article

BOM = "\ufeff".encode()

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
    title, dates = front_matter(data) if fmt == "markdown" else (None, [])
    title = title or (markdown_title(data) if fmt == "markdown" else None)
    text = markdown_text(data) if fmt == "markdown" else data
    return Article(
        text=text,
        title=title or text_title(text),
        source=name,
        published_at=find_published_date(text, stated=dates),
        metadata={"format": fmt},
    )


def load_file(file: Path, max_chars: int | None = None) -> Article:
    """Read and parse one article file; raises UnsupportedFormat for non-UTF-8 content and
    for a file of another kind (``batch.json``), as an upload does."""
    text = decode_upload(read_bounded(file, max_chars), name=str(file))
    return parse_article(text, fmt=file_format(file.name, text), name=str(file))


def read_bounded(file: Path, max_chars: int | None) -> bytes:
    """The file's bytes, refused before they are read when they cannot be an article.

    A device or FIFO is never read (/dev/zero would fill memory, a FIFO blocks forever). A
    text or Markdown file longer than ``max_chars`` characters can possibly be in UTF-8
    (4 bytes each, plus a BOM) is refused from its size, and at most that much is read even
    if the size lied (/proc). HTML is not bounded so: its markup is not counted.
    """
    mode = file.stat().st_mode
    if not stat.S_ISREG(mode):
        raise InvalidInput(f"{file} is not a regular file (a device, FIFO or socket); not read")
    if max_chars is None or EXTENSIONS.get(file.suffix.lower()) == "html":
        return file.read_bytes()
    limit = 4 * max_chars + len(BOM)
    with file.open("rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        size = max(file.stat().st_size, len(raw))
        raise DocumentTooLarge(
            f"the file has {size:,} bytes, more than {max_chars:,} characters take in UTF-8; "
            f"the limit is {max_chars:,} characters"
        )
    return raw
