"""Read articles from files or uploads into ``Article`` records.

Plain text and Markdown are stored exactly as given (only line endings are normalised), because
citations index into the stored text. HTML has no usable raw text, so its readable text is
extracted once here and that extraction becomes the stored text.
"""

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from qa_service.errors import InvalidInput, UnsupportedFormat
from qa_service.ingest.cleaning import DATE_PATTERN, METADATA_PREFIX, clean_text
from qa_service.lexicon import MONTH_NUMBERS
from qa_service.models import Article

Format = Literal["text", "markdown", "html"]

EXTENSIONS: dict[str, Format] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
TITLE_MAX_CHARS = 200
TITLE_SEARCH_CHARS = 5000
DATE_SEARCH_CHARS = 400
"""A date this close to the top is taken as the publication date; later ones are content."""

_DATE = re.compile(DATE_PATTERN)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_NAMED_DATE = re.compile(r"(\d{1,2})\.\s?([^\W\d]+)\s+(\d{4})")
_DATE_LINE = re.compile(
    rf"^\W*(?:[^\W\d]+,?\s+)?(?:{DATE_PATTERN})(?:,?\s+\d{{1,2}}:\d{{2}}(?:\s*Uhr)?)?\W*$"
)
_MD_ATX = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_MD_SETEXT = re.compile(r"^[ \t]*(=+|-+)[ \t]*$")
_MD_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_MD_INLINE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`]+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_FIELD = re.compile(r"^(title|date|published)[ \t]*:[ \t]*(.+?)[ \t]*$", re.I | re.M)

_HTML_DROP = frozenset(
    {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template"}
    | {"iframe", "svg", "button", "dialog"}
)
_HTML_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul"}
    | {"ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption", "table", "thead"}
    | {"tbody", "tr", "caption", "address", "hr", "details", "summary"}
)
_HTML_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
)
_SPACES = re.compile(r"\s+")


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")


def parse_article(data: str, *, fmt: Format = "text", name: str | None = None) -> Article:
    """Build an ``Article`` from decoded text; ``name`` (a file name or path) becomes its source."""
    data = data.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "html":
        return _parse_html(data, name)
    if fmt not in ("text", "markdown"):
        raise UnsupportedFormat(f"Unknown format {fmt!r}; expected text, markdown or html")
    title, published_at = _front_matter(data) if fmt == "markdown" else (None, None)
    title = title or (_markdown_title(data) if fmt == "markdown" else None) or _text_title(data)
    return Article(
        text=data,
        title=title,
        source=name,
        published_at=published_at or find_published_date(data),
        metadata={"format": fmt},
    )


def detect_format(filename: str, data: bytes | str) -> Format:
    """Trust a known extension; otherwise sniff, and refuse content that is not text."""
    known = EXTENSIONS.get(Path(filename).suffix.lower())
    if known:
        return known
    head = data[:8192]
    if isinstance(head, bytes):
        if b"\x00" in head:
            raise UnsupportedFormat(f"{filename!r} looks binary; upload text, Markdown or HTML")
        try:
            head = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            raise UnsupportedFormat(
                f"{filename!r} is not valid UTF-8 text; upload text, Markdown or HTML"
            ) from None
    if "\x00" in head:
        raise UnsupportedFormat(f"{filename!r} looks binary; upload text, Markdown or HTML")
    sniff = head.lstrip("\ufeff \t\r\n").lower()
    if sniff.startswith("<!doctype html") or "<html" in sniff[:1024]:
        return "html"
    return "text"


def decode_upload(raw: bytes, *, name: str = "upload") -> str:
    """Strict UTF-8: guessing another encoding would silently corrupt quoted citations."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnsupportedFormat(
            f"{name} is not valid UTF-8 (byte 0x{raw[error.start]:02x} at position "
            f"{error.start}); save it as UTF-8 and try again"
        ) from None


def article_files(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """``(document_id, file)`` for every article file under ``paths``, checked up front.

    The id is the file stem (characters an id may not hold become "-"), so re-ingesting the
    same files updates rather than duplicates. Two files that would share an id are refused
    before anything is ingested, instead of one silently replacing the other.
    """
    found: dict[str, Path] = {}
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"No such file or folder: {path}")
        for file in _article_files(path) if path.is_dir() else [path]:
            doc_id = _ID_UNSAFE.sub("-", file.stem).strip("-.~_")[:128] or "article"
            if doc_id in found and found[doc_id].resolve() != file.resolve():
                raise InvalidInput(
                    f"{found[doc_id]} and {file} would both get the document id {doc_id!r}; "
                    "rename one of them or ingest them separately"
                )
            found[doc_id] = file
    return list(found.items())


def load_file(file: Path) -> Article:
    """Read and parse one article file; raises UnsupportedFormat for non-UTF-8 content."""
    text = decode_upload(file.read_bytes(), name=str(file))
    return parse_article(text, fmt=detect_format(file.name, text), name=str(file))


def load_paths(paths: Iterable[Path]) -> Iterator[tuple[str, Article]]:
    """Yield ``(document_id, article)`` for each file, walking folders recursively in order."""
    for doc_id, file in article_files(paths):
        yield doc_id, load_file(file)


def find_published_date(text: str) -> str | None:
    """Publication date from the top of a text, as ISO ``YYYY-MM-DD`` (or ``YYYY-MM``).

    Order of trust: a "date ..." style metadata token, a line that is only a date, then the
    first date in the first few hundred characters.
    """
    lines = [line for line in text[: DATE_SEARCH_CHARS * 2].split("\n") if line.strip()][:8]
    for line in lines:
        if match := METADATA_PREFIX.match(line):
            return normalize_date(match.group("date"))
    for line in lines:
        if _DATE_LINE.match(line) and (match := _DATE.search(line)):
            return normalize_date(match.group())
    match = _DATE.search(text[:DATE_SEARCH_CHARS])
    return normalize_date(match.group()) if match else None


def normalize_date(value: str) -> str | None:
    """ISO, "04.06.2025" and "4. Juni 2025" -> "2025-06-04"; anything else -> None."""
    value = value.strip()
    if match := _ISO_DATE.match(value):
        year, month, day = match.groups()
        return _iso(int(year), int(month), int(day) if day else None)
    if match := _DOTTED_DATE.match(value):
        day, month, year = match.groups()
        return _iso(int(year), int(month), int(day))
    if (match := _NAMED_DATE.match(value)) and match.group(2).lower() in MONTH_NUMBERS:
        day, month, year = match.groups()
        return _iso(int(year), MONTH_NUMBERS[month.lower()], int(day))
    return None


def _iso(year: int, month: int, day: int | None) -> str | None:
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")


def _article_files(folder: Path) -> list[Path]:
    return sorted(
        file
        for file in folder.rglob("*")
        if file.suffix.lower() in EXTENSIONS
        and file.is_file()
        and not any(part.startswith(".") for part in file.relative_to(folder).parts)
    )


def _text_title(text: str) -> str | None:
    """The first line left after cleaning (no tags, markers, metadata), unless it is a bare
    date or too long to be a headline."""
    for line in clean_text(text[:TITLE_SEARCH_CHARS]).view.split("\n"):
        line = line.strip()
        if not line or _DATE_LINE.match(line):
            continue
        return _SPACES.sub(" ", line) if len(line) <= TITLE_MAX_CHARS else None
    return None


def _markdown_title(text: str) -> str | None:
    """The first heading of the highest level present (ATX or Setext), outside code fences."""
    if front_matter := _FRONT_MATTER.match(text.lstrip("\ufeff")):
        text = text.lstrip("\ufeff")[front_matter.end() :]
    headings: list[tuple[int, str]] = []
    in_fence = False
    previous = ""
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _MD_ATX.match(line)):
            headings.append((len(match.group(1)), match.group(2)))
        elif not in_fence and previous.strip() and (match := _MD_SETEXT.match(line)):
            headings.append((1 if match.group(1)[0] == "=" else 2, previous))
        previous = line
    if not headings:
        return None
    _, title = min(headings, key=lambda heading: heading[0])
    title = _SPACES.sub(" ", _MD_INLINE.sub(lambda m: m.group(1) or "", title)).strip()
    return title or None


def _front_matter(text: str) -> tuple[str | None, str | None]:
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        return None, None
    found = _FRONT_MATTER_FIELD.findall(match[1])
    fields = {key.lower(): value.strip("'\"") for key, value in found}
    date = fields.get("date") or fields.get("published")
    return fields.get("title"), normalize_date(date) if date else None


def _parse_html(data: str, name: str | None) -> Article:
    soup = BeautifulSoup(data, "html.parser")
    root = _html_content_root(soup)
    title = _html_title(soup, root)
    published_at = _html_date(soup)
    text = "\n\n".join(_html_paragraphs(root))
    return Article(
        text=text,
        title=title or _text_title(text),
        source=name,
        published_at=published_at or find_published_date(text),
        metadata={"format": "html"},
    )


def _html_title(soup: BeautifulSoup, root: Tag) -> str | None:
    """The content's own <h1> beats og:title, which beats a stray <h1> (often the site logo)."""
    candidates = (root.find("h1"), soup.find("meta", property="og:title"), soup.find("h1"))
    for candidate in (*candidates, soup.title):
        if isinstance(candidate, Tag):
            raw = candidate.get("content") if candidate.name == "meta" else candidate.get_text(" ")
            title = _SPACES.sub(" ", str(raw or "")).strip()
            if title:
                return title
    return None


def _html_date(soup: BeautifulSoup) -> str | None:
    """Structured dates first (meta, <time>, JSON-LD); they are more reliable than prose."""
    metas: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key and meta.get("content"):
            metas.setdefault(str(key).lower(), str(meta["content"]))
    for key in _HTML_DATE_META:
        if key in metas and (date := normalize_date(metas[key])):
            return date
    times = sorted(soup.find_all("time"), key=_is_not_publication_time)
    for time in times:
        raw = str(time.get("datetime") or time.get_text(" "))
        if (match := _DATE.search(raw)) and (date := normalize_date(match.group())):
            return date
    for script in soup.find_all("script", type="application/ld+json"):
        if date := _json_ld_date(script.get_text()):
            return date
    return None


def _is_not_publication_time(time: Tag) -> bool:
    return not (time.get("itemprop") == "datePublished" or time.has_attr("pubdate"))


def _json_ld_date(raw: str) -> str | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("datePublished")
            if isinstance(value, str) and (date := normalize_date(value)):
                return date
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return None


def _html_content_root(soup: BeautifulSoup) -> Tag:
    """The longest <article>, else <main>, else <body>: skips menus and teaser lists."""
    articles = [tag for tag in soup.find_all("article") if isinstance(tag, Tag)]
    if articles:
        return max(articles, key=lambda tag: len(tag.get_text()))
    for candidate in (soup.find("main"), soup.body):
        if isinstance(candidate, Tag):
            return candidate
    return soup


def _html_paragraphs(root: Tag) -> list[str]:
    """Readable paragraphs: block elements end a paragraph, inline text flows, <br> breaks a line.

    Walks with an explicit stack so deeply nested pages cannot hit the recursion limit.
    """
    collector = _ParagraphCollector()
    stack: list[tuple[object, bool]] = [(child, False) for child in reversed(list(root.children))]
    while stack:
        node, closing = stack.pop()
        if closing:
            collector.flush()
            if isinstance(node, Tag) and node.name in ("li", "tr"):
                collector.bullet = False  # an empty item must not mark what follows the list
        elif isinstance(node, PreformattedString):
            continue  # comments, doctype, CDATA
        elif isinstance(node, NavigableString):
            collector.buffer.append(_SPACES.sub(" ", str(node)))
        elif isinstance(node, Tag) and node.name not in _HTML_DROP:
            if node.name == "br":
                collector.buffer.append("\n")
            elif node.name in ("td", "th"):
                collector.buffer.append(" ")
            if node.name in _HTML_BLOCKS:
                collector.flush()
                # A table row is an item like a list entry, not a heading ("Giraffen 3").
                collector.bullet = collector.bullet or node.name in ("li", "tr")
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node.children)))
    collector.flush()
    return collector.paragraphs


class _ParagraphCollector:
    """Buffers inline text until a block boundary turns it into paragraphs."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.buffer: list[str] = []
        self.bullet = False  # inside a fresh <li>: mark its first paragraph as a list item

    def flush(self) -> None:
        text = re.sub(r" *\n *", "\n", re.sub(r"[^\S\n]+", " ", "".join(self.buffer))).strip()
        self.buffer.clear()
        parts = [part.strip() for part in re.split(r"\n{2,}", text) if part.strip()]
        if parts and self.bullet:
            # The marker keeps a short item from being read as a heading; cleaning masks it.
            parts[0] = f"• {parts[0]}"
            self.bullet = False
        self.paragraphs.extend(parts)
