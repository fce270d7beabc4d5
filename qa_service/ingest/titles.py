"""Titles: a Markdown heading or front matter, else the first line of a plain text."""

import re

from qa_service.ingest.cleaning import Block, clean_text, ends_complete, lines_at
from qa_service.ingest.dates import DATE_LINE
from qa_service.ingest.sentences import split_sentences
from qa_service.textcheck import control_problem
from qa_service.tuning.ingest import TITLE_MAX_CHARS, TITLE_SEARCH_CHARS

_MD_ATX = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_MD_SETEXT = re.compile(r"^[ \t]*(=+|-+)[ \t]*$")
_MD_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_MD_INLINE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`]+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_FIELD = re.compile(r"^(title|date|published)[ \t]*:[ \t]*(.+?)[ \t]*$", re.I | re.M)
_SPACES = re.compile(r"\s+")


def text_title(text: str) -> str | None:
    """The first line left after cleaning (no tags, markers, metadata), unless it is a bare
    date, too long to be a headline, a paragraph (``_is_paragraph``) or a row of a
    tab-separated table (data, not a headline: a text that opens with a table has no title
    line)."""
    layout = clean_text(text[:TITLE_SEARCH_CHARS])
    for start, raw in lines_at(layout.view):
        row, line = start in layout.table_rows, raw.strip()
        if not line or DATE_LINE.match(line):
            continue
        if row or len(line) > TITLE_MAX_CHARS or _is_paragraph(line):
            return None
        return label(_SPACES.sub(" ", line))
    return None


def _is_paragraph(line: str) -> bool:
    """A line of two or more sentences that ends as a sentence does is a paragraph, not a
    headline: a one-paragraph article ("Das Derby endete 2:1. Trainer Stamm lobte die Elf.")
    was titled with its whole text. A headline of two parts without a full stop at its end
    ("Alarm in Lübeck! Feuer im Hafen") stays one."""
    if not ends_complete(line):
        return False
    return len(split_sentences(line, [Block(0, len(line), "body")])) > 1


def label(title: str | None) -> str | None:
    """A title found in a text, unless it holds a control character: a title given with the
    article may not (an ESC is an escape sequence where titles are printed), so neither may
    one the service finds itself."""
    return None if title is None or control_problem(title) else title


def without_front_matter(text: str) -> str:
    """A Markdown text without the front matter ("---" lines around fields) it opens with."""
    if front_matter := _FRONT_MATTER.match(text.lstrip("\ufeff")):
        return text.lstrip("\ufeff")[front_matter.end() :]
    return text


def markdown_title(text: str) -> str | None:
    """The first heading of the highest level present (ATX or Setext), outside code fences."""
    text = without_front_matter(text)
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
    return label(title or None)


def front_matter(text: str) -> tuple[str | None, list[str]]:
    """A Markdown file's front matter: its title and the dates it states (``date``, then
    ``published``), as written; ``dates.find_published_date`` decides which is one."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        return None, []
    found = _FRONT_MATTER_FIELD.findall(match[1])
    fields = {key.lower(): value.strip("'\"") for key, value in found}
    dates = [fields[key] for key in ("date", "published") if fields.get(key)]
    return label(fields.get("title")), dates
