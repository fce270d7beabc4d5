"""HTML articles: the readable text of the content, its title and publication date.

HTML has no usable raw text, so its readable text is extracted once here and that extraction
becomes the stored text (citations index into it).

A table is read row by row: each row of data is one line, the way a reader quotes it, its
cells joined by ``CELL_SEPARATOR`` (the header row is such a line too). Rendered Markdown
tables (``markdown.py``) arrive here as HTML, so both are stored alike. A row whose cells
hold a whole table, or several paragraphs each, is a page laid out with a table: its cells
are read as paragraphs are, and only cells of one paragraph are joined on a line.
"""

import json
import re

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from qa_service.ingest.dates import DATE, find_published_date
from qa_service.ingest.titles import label, text_title
from qa_service.models import Article

_HTML_DROP = frozenset(
    {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template"}
    | {"iframe", "svg", "button", "dialog"}
)
_HTML_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul"}
    | {"ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption", "table", "thead"}
    | {"tbody", "tr", "caption", "address", "hr", "details", "summary"}
)
_CELL_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"}
    | {"li", "dl", "dt", "dd", "blockquote", "pre", "figure", "address", "details", "hr"}
)
"""Blocks that may stand in a table cell; more than one in a cell makes its row layout."""
CELL_SEPARATOR = " · "
"""Between two cells of a table row's line ("Giraffen · 3"): a mark a reader would quote,
which is no Markdown syntax (a "|" is) and no tab (a lone "key<TAB>value" line is masked as
a facts box, ``cleaning.py``); empty cells get none."""
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
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
"""<sup>2</sup> as a reader sees it, "m²", and a footnote "<sup>1</sup>" as "¹", which
sentence splitting keeps with its sentence (``ingest/sentences.py``), not "Mio.1"."""
_QUOTES = {
    "de": (("„", "“"), ("‚", "‘")),
    "en": (("“", "”"), ("‘", "’")),
}
"""Quotation marks of a <q>, outer and inner pair, by the language of the text around it."""
BULLET = "• "
"""What opens a list item's (or table row's) line; cleaning masks it (``cleaning.py``)."""
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)
"""An inline style that keeps an element off the screen; its text is no text of the page."""


def parse_html(data: str, name: str | None) -> Article:
    soup = BeautifulSoup(data, "html.parser")
    root = _html_content_root(soup)
    title = _html_title(soup, root)
    text = readable_text(root)
    return Article(
        text=text,
        title=title or text_title(text),
        source=name,
        published_at=find_published_date(text, stated=_html_dates(soup)),
        metadata={"format": "html"},
    )


def readable_text(root: Tag) -> str:
    """The readable text of ``root``: its paragraphs (``_html_paragraphs``), a blank line
    between two."""
    return "\n\n".join(_html_paragraphs(root))


def fragment_text(html: str, drop: frozenset[str] = frozenset()) -> str:
    """The readable text of an HTML fragment (Markdown rendered: ``markdown.py``), read as a
    page's content is; elements named in ``drop`` and their text left out."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(list(drop)):
        tag.decompose()
    return readable_text(soup)


def _html_title(soup: BeautifulSoup, root: Tag) -> str | None:
    """The content's own <h1> beats og:title, which beats a stray <h1> (often the site logo)."""
    candidates = (root.find("h1"), soup.find("meta", property="og:title"), soup.find("h1"))
    for candidate in (*candidates, soup.title):
        if isinstance(candidate, Tag):
            raw = candidate.get("content") if candidate.name == "meta" else candidate.get_text(" ")
            # label: a heading holding a control character is no title (as in a text)
            if title := label(_SPACES.sub(" ", str(raw or "")).strip() or None):
                return title
    return None


def _html_dates(soup: BeautifulSoup) -> list[str]:
    """The dates the markup states, most trusted first (meta, <time>, JSON-LD): structured
    dates are more reliable than prose. They go through the rule of every date found
    (``find_published_date``): a date to come is not taken."""
    metas: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key and meta.get("content"):
            metas.setdefault(str(key).lower(), str(meta["content"]))
    dates = [metas[key] for key in _HTML_DATE_META if key in metas]
    for time in sorted(soup.find_all("time"), key=_is_not_publication_time):
        if match := DATE.search(str(time.get("datetime") or time.get_text(" "))):
            dates.append(match.group())
    for script in soup.find_all("script", type="application/ld+json"):
        dates.extend(_json_ld_dates(script.get_text()))
    return dates


def _is_not_publication_time(time: Tag) -> bool:
    return not (time.get("itemprop") == "datePublished" or time.has_attr("pubdate"))


def _json_ld_dates(raw: str) -> list[str]:
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    dates: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("datePublished")
            if isinstance(value, str):
                dates.append(value)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return dates


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
    """Readable paragraphs: block elements end a paragraph, inline text flows, <br> breaks a
    line; a table's row of data is one line (module docstring, ``_is_data_row``).

    Walks with an explicit stack so deeply nested pages cannot hit the recursion limit.
    """
    collector = _ParagraphCollector()
    numbers = _list_numbers(root)
    stack: list[tuple[object, str]] = [(child, "") for child in reversed(list(root.children))]
    while stack:
        node, closing = stack.pop()
        if closing == "row":
            collector.in_row = False
            collector.flush()
            collector.bullet = ""  # an empty row must not mark what follows the table
        elif closing:
            collector.flush()
            if isinstance(node, Tag) and node.name in ("li", "tr"):
                collector.bullet = ""  # an empty item must not mark what follows the list
        elif isinstance(node, PreformattedString):
            continue  # comments, doctype, CDATA
        elif isinstance(node, NavigableString):
            collector.add(str(node))
        elif isinstance(node, Tag) and node.name not in _HTML_DROP and not _is_hidden(node):
            if node.name == "br" and collector.in_row:
                collector.add(" ")  # a row stays one line
            elif node.name == "br":
                collector.buffer.append("\n")
            elif node.name in ("td", "th"):
                collector.separate = True
            if node.name == "tr" and not collector.in_row and _is_data_row(node):
                collector.flush()
                collector.in_row, collector.bullet = True, BULLET  # a row is an item, no heading
                stack.append((node, "row"))
            elif node.name in _HTML_BLOCKS and collector.in_row:
                collector.add(" ")  # a cell's one paragraph stays on the row's line
                stack.append((NavigableString(" "), ""))
            elif node.name in _HTML_BLOCKS:
                collector.flush()
                # A table row is an item like a list entry, not a heading ("Giraffen · 3").
                if not collector.bullet and node.name in ("li", "tr"):
                    collector.bullet = numbers.get(id(node), BULLET)
                stack.append((node, "block"))
            if node.name == "pre":
                children = _preformatted(node)
            elif node.name == "sup" and (digits := node.get_text().strip()).isdecimal():
                children = [NavigableString(digits.translate(SUPERSCRIPTS))]
            elif node.name == "q":
                opening, closing = _quotation_marks(node)
                children = [NavigableString(opening), *node.children, NavigableString(closing)]
            else:
                children = list(node.children)
            stack.extend((child, "") for child in reversed(children))
    collector.flush()
    return collector.paragraphs


def _list_numbers(root: Tag) -> dict[int, str]:
    """The number each item of an ordered list (<ol>) shows, as its marker ("1. "), keyed by
    the item's ``id``: a browser numbers them from ``start`` (an item's ``value`` resets
    the count), and a reader cites "1. Erstens", not "• Erstens". Lettered or Roman lists
    (``type="a"``) keep the bullet. One pass over every list: a long list costs no more."""
    numbers: dict[int, str] = {}
    for ol in root.find_all("ol"):
        if str(ol.get("type") or "1") != "1":
            continue
        number = _integer(ol.get("start"), 1)
        for item in ol.find_all("li", recursive=False):
            number = _integer(item.get("value"), number)
            numbers[id(item)] = f"{number}. "
            number += 1
    return numbers


def _integer(value: object, default: int) -> int:
    """An attribute's integer (``start="3"``), else ``default``."""
    text = str(value or "").strip()
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else default


def _preformatted(pre: Tag) -> list[object]:
    """A <pre>'s text as a browser shows it, line by line: each line break a <br> (the
    collector folds other white space), inline markup inside it read as text."""
    parts: list[object] = []
    for i, line in enumerate(pre.get_text().split("\n")):
        if i:
            parts.append(Tag(name="br"))
        parts.append(NavigableString(line))
    return parts


def _quotation_marks(q: Tag) -> tuple[str, str]:
    """The marks a browser shows around a <q> (its text holds none): German ones („…“) unless
    the element or one around it says another language (``lang="en"``: “…”); the corpus is
    German news. A <q> inside another gets the inner pair (‚…‘, ‘…’)."""
    marked = q if q.has_attr("lang") else q.find_parent(lambda tag: tag.has_attr("lang"))
    language = str(marked.get("lang") if marked is not None else "de").lower()
    inner = q.find_parent("q") is not None
    pairs = _QUOTES.get(language.split("-")[0], _QUOTES["de"])
    return pairs[1] if inner else pairs[0]


def _is_hidden(tag: Tag) -> bool:
    """Not shown by a browser: the ``hidden`` attribute (but ``hidden="until-found"``, text
    the browser's find-in-page reveals) or an inline ``display: none`` / ``visibility:
    hidden``. ``aria-hidden`` hides from screen readers only and is read."""
    hidden = tag.get("hidden")
    if hidden is not None and str(hidden).strip().lower() != "until-found":
        return True
    return _HIDDEN_STYLE.search(str(tag.get("style") or "")) is not None


def _is_data_row(row: Tag) -> bool:
    """A row of data, read as one line: no table (or stray row) inside it, and no cell with
    more than one paragraph-like block (``_CELL_BLOCKS``).

    A walk of its own that stops at the first sign of layout: bs4's ``find_all`` builds a
    filter per call (a 10,000-row table took 3x as long to read), and ``descendants`` first
    walks to the last one, which in a page of unclosed rows (the parser nests each in the
    one before) made reading O(rows²)."""
    for cell in row.children:
        if not isinstance(cell, Tag):
            continue
        blocks = 0
        stack = [cell]
        while stack:
            node = stack.pop()
            if node.name in ("table", "tr"):
                return False
            if node.name in _CELL_BLOCKS:
                blocks += 1
                if blocks > 1:
                    return False
            stack.extend(child for child in node.children if isinstance(child, Tag))
    return True


class _ParagraphCollector:
    """Buffers inline text until a block boundary turns it into paragraphs."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.buffer: list[str] = []
        self.bullet = ""  # inside a fresh <li>: the marker of its first paragraph ("• ", "2. ")
        self.in_row = False  # inside a row of data (``_is_data_row``): one line
        self.separate = False  # a cell opened: CELL_SEPARATOR before its first text
        self._has_text = False  # the buffer holds more than white space

    def add(self, text: str) -> None:
        """Inline text; the first of a cell after a filled one gets ``CELL_SEPARATOR``."""
        text = _SPACES.sub(" ", text)
        if text.strip():
            if self.separate and self._has_text:
                self.buffer.append(CELL_SEPARATOR)
            self.separate = False
            self._has_text = True
        self.buffer.append(text)

    def flush(self) -> None:
        """End the paragraph: the buffered text becomes paragraphs (a blank line between)."""
        text = re.sub(r" *\n *", "\n", re.sub(r"[^\S\n]+", " ", "".join(self.buffer))).strip()
        self.buffer.clear()
        self.separate = self._has_text = False
        parts = [part.strip() for part in re.split(r"\n{2,}", text) if part.strip()]
        if parts and self.bullet:
            # The marker keeps a short item from being read as a heading; cleaning masks a
            # bullet and reads a run of numbers as list items (``cleaning._numbered_items``).
            parts[0] = f"{self.bullet}{parts[0]}"
            self.bullet = ""
        self.paragraphs.extend(parts)
