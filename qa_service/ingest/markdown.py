"""Markdown articles: their plain text, as a reader sees the rendered page.

The stored text is what citations quote, so it holds no Markdown syntax: a link keeps its
text and loses its URL ("[Kleinhausen](http://...)" -> "Kleinhausen"), emphasis loses its
marks ("**Stadtrat**" -> "Stadtrat"), a heading its "#", a list item gets the bullet an HTML
list gets ("• ") or its number in an ordered list ("1. "), and fenced or indented code is no
article text. The Markdown is rendered by markdown-it-py (CommonMark, with GitHub's tables:
each row a line, its cells joined by " · ", as an HTML table is read) and its HTML read by
the HTML extractor (``html.py``), so a Markdown article and the same article as a page are
stored alike. Front matter is read for
the title and date (``titles.front_matter``), never as text.
"""

from markdown_it import MarkdownIt

from qa_service.ingest.html import fragment_text
from qa_service.ingest.titles import without_front_matter

_RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
"""CommonMark with GitHub's tables and ~~strikethrough~~: without them a table was stored as
its "| a | b |" source and the "|---|" line, quoted so in citations."""
_CODE = frozenset({"pre"})
"""Code blocks (fenced or indented) are rendered as <pre>: not article text."""


def markdown_text(data: str) -> str:
    """The plain text of a Markdown document (see the module docstring)."""
    return fragment_text(_RENDERER.render(without_front_matter(data)), drop=_CODE)
