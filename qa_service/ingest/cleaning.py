"""Turn raw article text into a same-length "view" plus its paragraph blocks.

Citations index into the stored text, so cleaning never deletes or moves a character: boilerplate
is overwritten with spaces and mid-sentence paragraph breaks are bridged with spaces. Every offset
found in the view is therefore valid in the original text.
"""

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from qa_service.lexicon import (
    CREDIT_LABELS,
    DATE_LABELS,
    DETERMINERS,
    FOOTER_PHRASES,
    PHOTO_LABELS,
    alternation,
    de,
)
from qa_service.tuning.ingest import (
    CAPTION_MAX_CHARS,
    FOOTER_MAX_CHARS,
    HEADING_MAX_CHARS,
    HEADING_MAX_WORDS,
    MIN_SENTENCE_WORDS,
    STACKED_HEADING_MAX_CHARS,
    TABLE_MIN_ROWS,
)

TERMINAL_CHARS = frozenset(".!?:;…\"“”»«')’]")
"""A paragraph ending in one of these is complete; without one it may run on into the next."""
_FOOTNOTE_AT_END = re.compile(r"(?<=[.!?:;…\"“”»«')’\]])[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s*$")
"""A superscript footnote marker after the closing punctuation ("fertig.⁴"): still complete."""


def ends_complete(line: str) -> bool:
    """Does ``line`` end as a sentence does (its footnote marker aside)?"""
    line = _FOOTNOTE_AT_END.sub("", line).rstrip()
    return bool(line) and line[-1] in TERMINAL_CHARS


_SENTENCE_BOUNDARY = re.compile(r"\b[a-zäöüß]{4,}[.!?][\"“”»)]*\s+[\"„»(]?[A-ZÄÖÜ]")
"""A lowercase word ending a sentence inside the line: prose, not a headline ("4. Juni" is not)."""

# German month names as written ("4. Juni 2025"); English dates are not written that way.
_MONTHS = "|".join(name.capitalize() for names in de.MONTHS for name in names)
DATE_PATTERN = (
    r"\d{4}-\d{2}(?:-\d{2})?(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}\.\s?\d{1,2}\.\s?\d{4}"
    rf"|\d{{1,2}}\.\s?(?:{_MONTHS})\s+\d{{4}}"
)
PLACE = (
    rf"(?!(?i:{alternation(sorted(DETERMINERS))})\b)"
    r"(?:St\.[ \t]?)?[A-ZÄÖÜ][\w'’-]*"
    r"(?:(?:[ \t]+|[ \t]*/[ \t]*)(?:[A-ZÄÖÜ][\w'’-]*|am|an|der|im|in|ob|bei)){0,3}"
    r"(?:[ \t]*\([^()\n]{1,30}\))?"
)
"""The place of a dateline: a few capitalised words ("Dresden", "Frankfurt am Main",
"Halle/Saale", "St. Gallen"), an agency in brackets maybe ("DRESDEN (dpa)"); never opened
by an article ("Die Regierung – so heißt es – ...", "Das Derby. Es ...")."""
METADATA_PREFIX = re.compile(
    rf"^[ \t]*(?:{alternation(DATE_LABELS)})[ \t]*:?[ \t]*"
    rf"(?P<date>{DATE_PATTERN})(?:,?[ \t]+\d{{1,2}}:\d{{2}}(?:[ \t]*Uhr)?)?[ \t]*",
    re.IGNORECASE,
)
"""A "date 2025-06" style token that scrapers put in front of the headline."""

_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\n(?:[ \t]*(?:[\w-]+[ \t]*:|-[ \t]).*\n)+---[ \t]*(?:\n|\Z)"
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# A fenced Markdown code block is code, not statements of the article (CommonMark fences).
_MD_CODE_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?^[ \t]{0,3}\1[ \t]*$", re.M | re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")
_MD_LINK = re.compile(r"(\[)[^\]\n]+(\]\([^)\s]+(?:\s+\"[^\"\n]*\")?\))")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+")
_MD_HEADING_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_LIST_MARKER = re.compile(r"^[ \t]*[-*+•][ \t]+")
_QUOTE_MARKER = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
_RULE = re.compile(r"^[ \t]*([-=*_])(?:[ \t]*\1){2,}[ \t]*$")
# A "key<TAB>value" line of a facts box ("Ort\tBrüssel", "Quellen\t<ul>..."). Prose that merely
# holds a tab is not one: a key never ends a sentence, a value never ends in one or holds two.
_KEY_VALUE = re.compile(r"^[ \t]*([^\t\n]{1,40})\t([^\n]*)$")
_NUMBERED_LINE = re.compile(r"^[ \t]*(\d{1,9})[.)][ \t]+\S")
_TAB_CELLS = re.compile(r"[ \t]*\t[ \t]*")
_DIGIT = re.compile(r"\d")
DATE_TIME = rf"(?:{DATE_PATTERN})(?:,?\s+\d{{1,2}}:\d{{2}}(?:\s*Uhr)?)?"
"""A date, a time of day after it maybe ("4. Juni 2025, 14:30 Uhr")."""
_BARE_DATE = re.compile(DATE_TIME)
_TWO_SENTENCES = re.compile(r"[a-zäöüß]{3,}[.!?…][\"“”»«']?\s+[A-ZÄÖÜ]")  # not "4. Juni"
_ENDS_SENTENCE = re.compile(r"[.!?…][\"“”»«']?\s*$")
_FOOTER = re.compile(rf"^\W*(?:{alternation(FOOTER_PHRASES)})|^(?:©|\(c\)\s)", re.IGNORECASE)
_FOOTER_SENTENCE_END = re.compile(r"(?<!\b[a-zäöü])[.!?…][\"“”»«']?(?=\s+[\"„»(]?[A-ZÄÖÜ])")
"""Where a footer sentence ends inside its line ("... www.example.de. Dort ..."): punctuation
before a capital, a lowercase letter's full stop ("z. B.") aside."""
_URL = r"(?:https?://[^\s•·<>]+|www\.[^\s•·<>]+|(?:[\w-]+\.)+[A-Za-z]{2,}(?:/[^\s•·<>]*)?)"
_LINKS_ONLY = re.compile(rf"^[\s•·|,;*–-]*(?:{_URL}[\s•·|,;*–-]*)+$")
_CREDIT = re.compile(
    rf"\(\s*(?:{alternation(CREDIT_LABELS)})\s*:[^()\n]{{1,80}}\)\s*$"
    rf"|(?:^|(?<=[.!?…\"“”»«)]\s))\W*(?:{alternation(PHOTO_LABELS)})\s*:[^.!?\n]{{1,80}}$",
    re.IGNORECASE,
)
"""A picture credit closing a line: "... (Quelle: Virginia Mayo)" after a photo caption, or
"Foto: Kay Nietfeld/dpa" after the caption's last sentence or on a line of its own."""
_BULLETED_LINKS = re.compile(rf"(?:[•·][ \t]*{_URL}[ \t]*)+")
"""A run of "• www.a.de• www.b.de", as an embedded <ul> leaves behind: never prose."""


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph of the view: ``[start, end)`` trimmed of whitespace."""

    start: int
    end: int
    kind: Literal["body", "heading"]
    marked: bool = False  # opened by a Markdown heading or list marker: never a continuation


@dataclass(frozen=True, slots=True)
class Layout:
    view: str
    blocks: list[Block]
    table_rows: frozenset[int] = frozenset()  # where each row of a tab-separated table starts


@dataclass(slots=True)
class _Line:
    start: int
    end: int
    role: Literal["plain", "heading", "item"] = "plain"


def clean_text(text: str) -> Layout:
    """Mask boilerplate, find paragraphs, classify headings and bridge mid-sentence breaks."""
    chars = list(text)
    _mask_spans(chars, text)
    rows = _table_rows(text)
    lines = _mask_lines(chars, text, rows | _numbered_items(text))
    blocks = _join_broken_paragraphs(chars, text, _find_blocks(chars, lines))
    return Layout(view="".join(chars), blocks=blocks, table_rows=rows)


def is_heading_line(line: str) -> bool:
    """A short line without closing punctuation reads as a headline, not as a sentence."""
    line = line.strip()
    return (
        0 < len(line) <= HEADING_MAX_CHARS
        and len(line.split()) <= HEADING_MAX_WORDS
        and not ends_complete(line)
        and line[-1] not in ",-–"
        and any(char.isalpha() for char in line)
        and _SENTENCE_BOUNDARY.search(line) is None
    )


def _blank(chars: list[str], start: int, end: int) -> None:
    """Overwrite a range with spaces but keep newlines, so line structure survives masking."""
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _mask_spans(chars: list[str], text: str) -> None:
    """Mask markup that may sit anywhere in a line: front matter, HTML, Markdown link syntax."""
    spans = (
        _FRONT_MATTER,
        _MD_CODE_FENCE,
        _SCRIPT_OR_STYLE,
        _HTML_COMMENT,
        _HTML_TAG,
        _MD_IMAGE,
        _BULLETED_LINKS,
    )
    for pattern in spans:
        for match in pattern.finditer(text):
            _blank(chars, match.start(), match.end())
    for match in _MD_LINK.finditer(text):
        _blank(chars, *match.span(1))
        _blank(chars, *match.span(2))


def _mask_lines(chars: list[str], text: str, items: frozenset[int]) -> list[_Line]:
    """Mask whole boilerplate lines and line-start syntax; remember headings and list items
    (a table row or numbered item, ``items`` by where they start, stands alone as a bulleted
    item does, its text kept)."""
    lines: list[_Line] = []
    for start, raw in lines_at(text):
        line = _Line(start, start + len(raw))
        view = "".join(chars[line.start : line.end])
        if not view.strip():
            lines.append(line)
            continue
        if line.start not in items and (footer := _footer_end(view)):
            _blank(chars, line.start, line.start + footer)
            view = "".join(chars[line.start : line.end])
            if not view.strip():
                lines.append(line)
                continue
        if line.start in items:
            line.role = "item"
        elif _is_boilerplate_line(raw, view):
            _blank(chars, line.start, line.end)
        elif credit := _CREDIT.search(view):
            # A photo caption and its credit: a description of a picture, not a statement of
            # the article; in a long line only the credit (prose citing its source).
            caption = len(view.strip()) <= CAPTION_MAX_CHARS
            _blank(chars, line.start if caption else line.start + credit.start(), line.end)
        elif _RULE.match(view):
            _blank(chars, line.start, line.end)
            previous = lines[-1] if lines else None
            if (
                view.strip()[0] in "=-"
                and previous is not None
                and previous.role == "plain"
                and 0 < len(text[previous.start : previous.end].strip()) <= HEADING_MAX_CHARS
            ):
                previous.role = "heading"  # Setext underline
        else:
            _mask_line_start(chars, line, view)
        lines.append(line)
    return lines


def lines_at(text: str) -> Iterator[tuple[int, str]]:
    """Each line of ``text`` (split at line feeds) with the offset where it starts."""
    start = 0
    for raw in text.split("\n"):
        yield start, raw
        start += len(raw) + 1


def _table_rows(text: str) -> frozenset[int]:
    """Where the rows of tab-separated tables start: a run of "key<TAB>value" lines (blank
    lines between them allowed) is a table, not a facts box, when at least ``TABLE_MIN_ROWS``
    of its lines have the same number of cells and a figure in a cell after the first
    ("CDU\t41,2 %", ``_is_figure``): data, as a pasted results table holds. A facts box
    labels words ("Ort\tBrüssel, Belgien", "Vorfall\tSonstiges"); a lone line is never a
    table."""
    rows: set[int] = set()
    run: list[tuple[int, list[str]]] = []
    for start, raw in lines_at(text):
        if _is_key_value(raw):
            run.append((start, _TAB_CELLS.split(raw.strip())))
        elif raw.strip():
            rows.update(_rows_of_table(run))
            run = []
    rows.update(_rows_of_table(run))
    return frozenset(rows)


def _numbered_items(text: str) -> frozenset[int]:
    """Where the items of a numbered list start ("1. Erstens", "2) Zweitens", as an HTML or
    Markdown ordered list is stored): a line opening with a number whose nearest numbered
    line above or below it (blank lines between) has the number before or after. Such an
    item stands alone, as a bulleted one does, and keeps its number; a lone "1. FC Köln
    siegt" stays a headline."""
    numbered: list[tuple[int, int] | None] = []  # (start, number); None: a line of text
    for start, raw in lines_at(text):
        if match := _NUMBERED_LINE.match(raw):
            numbered.append((start, int(match[1])))
        elif raw.strip():
            numbered.append(None)
    items: set[int] = set()
    for above, below in itertools.pairwise(numbered):
        if above is not None and below is not None and below[1] == above[1] + 1:
            items.update((above[0], below[0]))
    return frozenset(items)


def _rows_of_table(run: list[tuple[int, list[str]]]) -> list[int]:
    widths = Counter(len(cells) for _, cells in run if any(map(_is_figure, cells[1:])))
    is_table = any(count >= TABLE_MIN_ROWS for width, count in widths.items() if width > 1)
    return [start for start, _ in run] if is_table else []


def _is_figure(cell: str) -> bool:
    """A cell holding a number, but not a bare date ("Stand\t4. Juni 2025" is a facts box's)."""
    return _DIGIT.search(cell) is not None and _BARE_DATE.fullmatch(cell) is None


def _is_key_value(raw: str) -> bool:
    match = _KEY_VALUE.match(raw)
    if match is None:
        return False
    return not any(_reads_as_prose(part.strip()) for part in match.groups())


def _reads_as_prose(part: str) -> bool:
    if _TWO_SENTENCES.search(part):
        return True
    return len(part.split()) >= MIN_SENTENCE_WORDS and _ENDS_SENTENCE.search(part) is not None


def _is_boilerplate_line(raw: str, view: str) -> bool:
    stripped = view.strip()
    return _is_key_value(raw) or _LINKS_ONLY.match(stripped) is not None


def _footer_end(view: str) -> int:
    """Where the footer sentences opening a line end (0: none). A line opening like a footer
    ("Folgen Sie uns ...", "© 2025 Verlag") is boilerplate only up to ``FOOTER_MAX_CHARS``
    (a longer one is prose that happens to start that way), and only its footer sentences
    are: "Lesen Sie mehr unter www.example.de. Dort gibt es Details." lost its second
    sentence with the first (hunt15)."""
    if len(view.strip()) > FOOTER_MAX_CHARS:
        return 0
    end = 0
    while end < len(view) and _FOOTER.match(view[end:]):
        stop = _FOOTER_SENTENCE_END.search(view, end)
        end = stop.end() if stop is not None else len(view)
    return end


def _mask_line_start(chars: list[str], line: _Line, view: str) -> None:
    """Mask Markdown markers and metadata tokens so the sentence starts at its first word."""
    if match := _MD_HEADING.match(view):
        line.role = "heading"
        _blank(chars, line.start, line.start + match.end())
        if close := _MD_HEADING_CLOSE.search(view):
            _blank(chars, line.start + close.start(), line.end)
    elif match := _LIST_MARKER.match(view):
        line.role = "item"
        _blank(chars, line.start, line.start + match.end())
    elif match := _QUOTE_MARKER.match(view):
        _blank(chars, line.start, line.start + match.end())
    view = "".join(chars[line.start : line.end])
    if match := METADATA_PREFIX.match(view):
        _blank(chars, line.start, line.start + match.end())


def _find_blocks(chars: list[str], lines: list[_Line]) -> list[Block]:
    """Group lines into paragraphs; headings and list items always stand alone."""
    groups: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        text = "".join(chars[line.start : line.end])
        if not text.strip():
            if current:
                groups.append(current)
            current = []
            continue
        if current and (line.role != "plain" or _ends_group(chars, current[-1], line)):
            groups.append(current)
            current = []
        current.append(line)
    if current:
        groups.append(current)
    blocks: list[Block] = []
    for group in groups:
        if len(group) > 1 and all(_is_heading_like(chars, line) for line in group):
            # Lines without any punctuation are a list or a run of headings, not wrapped prose.
            blocks.extend(_block_of(chars, [line], item=len(group) > 2) for line in group)
        else:
            blocks.append(_block_of(chars, group))
    return blocks


def _is_heading_like(chars: list[str], line: _Line) -> bool:
    return line.role == "plain" and is_heading_line("".join(chars[line.start : line.end]))


def _ends_group(chars: list[str], previous: _Line, line: _Line) -> bool:
    """A heading line directly above a longer line (no blank line between) still stands alone."""
    if previous.role != "plain":
        return True
    above = "".join(chars[previous.start : previous.end]).strip()
    below = "".join(chars[line.start : line.end]).strip()
    return (
        is_heading_line(above)
        and len(above) <= STACKED_HEADING_MAX_CHARS
        and len(below) > 1.5 * len(above)
        and (below[0].isupper() or below[0] in '"„»“')
    )


def _block_of(chars: list[str], group: list[_Line], *, item: bool = False) -> Block:
    start, end = group[0].start, group[-1].end
    while chars[start].isspace():
        start += 1
    while chars[end - 1].isspace():
        end -= 1
    text = "".join(chars[start:end])
    if item:
        return Block(start, end, "body", marked=True)
    heading = group[0].role == "heading" or (
        len(group) == 1 and group[0].role == "plain" and is_heading_line(text)
    )
    return Block(start, end, "heading" if heading else "body", marked=group[0].role != "plain")


def _join_broken_paragraphs(chars: list[str], text: str, blocks: list[Block]) -> list[Block]:
    """Bridge a paragraph break that cuts a sentence in two (scraper or layout artefact)."""
    joined: list[Block] = []
    for block in blocks:
        if joined and _continues(chars, text, joined[-1], block):
            previous = joined.pop()
            for i in range(previous.end, block.start):
                chars[i] = " "
            block = Block(previous.start, block.end, "body")
        joined.append(block)
    return joined


def _continues(chars: list[str], text: str, above: Block, below: Block) -> bool:
    if above.marked or below.marked or ends_complete("".join(chars[above.start : above.end])):
        return False
    if text[above.end : below.start].strip():
        return False  # never pull masked boilerplate into a sentence span
    if chars[below.start].islower():
        return True
    # "... Konflikts mit | Russland sind ...": a lowercase last word (preposition, article,
    # verb) cannot end a sentence, while a capitalised one ("... CISCE, NENBSE") may simply
    # lack its full stop, so that break is kept.
    last_word = "".join(chars[above.start : above.end]).rsplit(maxsplit=1)[-1]
    return above.kind == "body" and below.kind == "body" and last_word[0].islower()
