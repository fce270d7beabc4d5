"""Markdown articles: their plain text, as a reader sees the rendered page.

The stored text is what citations quote, so it holds no Markdown syntax: a link keeps its
text and loses its URL ("[Kleinhausen](http://...)" -> "Kleinhausen"), emphasis loses its
marks ("**Stadtrat**" -> "Stadtrat"), a heading its "#", a list item gets the bullet an HTML
list gets ("• ") or its number in an ordered list ("1. "), and fenced or indented code is no
article text. The Markdown is rendered by markdown-it-py (CommonMark, with GitHub's tables:
each row a line, its cells joined by " · ", as an HTML table is read) and its HTML read by
the HTML extractor (``html.py``), so a Markdown article and the same article as a page are
stored alike. Front matter is read for
the title and date (``titles.front_matter``), never as text. GitHub's footnotes are read as
GitHub shows them (``_with_footnotes``).
"""

import re

from markdown_it import MarkdownIt

from qa_service.ingest.html import SUPERSCRIPTS, fragment_text
from qa_service.ingest.titles import without_front_matter

_RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
"""CommonMark with GitHub's tables and ~~strikethrough~~: without them a table was stored as
its "| a | b |" source and the "|---|" line, quoted so in citations."""
_CODE = frozenset({"pre"})
"""Code blocks (fenced or indented) are rendered as <pre>: not article text."""


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FOOTNOTE_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:[ \t]*(.*)$")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_CONTINUATION = ("    ", "\t")
"""An indented line under a footnote's definition goes on with its text."""


def markdown_text(data: str) -> str:
    """The plain text of a Markdown document (see the module docstring)."""
    source = _with_footnotes(without_front_matter(data))
    return fragment_text(_RENDERER.render(source), drop=_CODE)


def _with_footnotes(source: str) -> str:
    """GitHub's footnotes as a reader sees them rendered, never as "[^1]" noise inside a
    sentence: a reference becomes its number as a superscript ("Euro[^a]" -> "Euro¹", as a
    page's <sup>1</sup> is read, and kept with its sentence by sentence splitting), numbered
    in the order of first reference as GitHub does. The definitions are kept as text, a
    source a reader may cite: each a paragraph at the end, opened by its number ("¹ Laut
    Haushaltsplan 2025."); one never referenced is dropped, and a reference without a
    definition stays as written, as GitHub shows both. Code blocks are left alone."""
    definitions: dict[str, list[str]] = {}
    body: list[tuple[str, bool]] = []  # (line, inside a code fence)
    fence: str | None = None
    current: str | None = None
    for line in source.split("\n"):
        opening = _FENCE.match(line)
        if fence is not None or opening:
            if fence is None and opening:
                fence = opening[1]
            elif fence is not None and line.strip().startswith(fence):
                fence = None
            body.append((line, True))
            current = None
        elif match := _FOOTNOTE_DEFINITION.match(line):
            current = match[1]
            definitions.setdefault(current, []).append(match[2])
        elif current is not None and line.startswith(_CONTINUATION) and line.strip():
            definitions[current].append(line.strip())
        else:
            current = None
            body.append((line, False))
    if not definitions:
        return source
    numbers: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        if match[1] not in definitions:
            return match[0]
        return numbers.setdefault(match[1], str(len(numbers) + 1).translate(SUPERSCRIPTS))

    lines = [line if code else _FOOTNOTE_REFERENCE.sub(number, line) for line, code in body]
    notes = [f"{mark} {' '.join(definitions[label])}" for label, mark in numbers.items()]
    return "\n".join([*lines, "", *(f"{note}\n" for note in notes)])
