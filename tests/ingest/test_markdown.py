"""Markdown articles are stored as their plain text: what citations quote holds no syntax."""

from qa_service.ingest.loading import parse_article
from qa_service.ingest.segmentation import segment_article


def test_markdown_is_stored_as_the_text_a_reader_sees() -> None:
    """HUNT L2: a citation's quote began inside a link, and "**" showed in answers: the
    stored text was the Markdown source. Link text stays, its URL and emphasis marks go."""
    source = (
        "---\ntitle: Haushalt beschlossen\ndate: 2025-06-04\n---\n"
        "# Haushalt in Kleinhausen\n\n"
        "Der **Stadtrat** von [Kleinhausen](http://example.com/kh?a=1) hat am Mittwoch\n"
        "einen *neuen* Haushalt beschlossen. Er umfasst `12` Millionen Euro.\n\n"
        "- Schulen erhalten mehr Geld.\n- Die Bibliothek bleibt offen.\n\n"
        '```bash\necho "Der Haushalt wurde abgelehnt."\n```\n\n'
        "![Ratssaal](saal.png) Die Sitzung dauerte drei Stunden.\n"
    )
    article = parse_article(source, fmt="markdown")
    assert (article.title, article.published_at) == ("Haushalt beschlossen", "2025-06-04")
    assert article.text == (
        "Haushalt in Kleinhausen\n\n"
        "Der Stadtrat von Kleinhausen hat am Mittwoch einen neuen Haushalt beschlossen. Er "
        "umfasst 12 Millionen Euro.\n\n"
        "• Schulen erhalten mehr Geld.\n\n• Die Bibliothek bleibt offen.\n\n"
        "Die Sitzung dauerte drei Stunden."
    )
    quotes = [article.text[s.start : s.end] for s in segment_article(article.text).sentences]
    assert "Der Stadtrat von Kleinhausen hat am Mittwoch einen neuen Haushalt beschlossen." in (
        quotes
    )
    assert not any(mark in q for q in quotes for mark in ("*", "[", "](", "http", "`", "#"))


def test_a_plain_text_keeps_what_looks_like_markdown() -> None:
    """Only an upload read as Markdown is converted; plain text is stored as sent."""
    text = "Der **Stadtrat** von [Kleinhausen](http://example.com) tagte."
    assert parse_article(text).text == text


ZOO_TABLE = (
    "# Zoo Seehausen\n\nDer Zoo hat viele Tiere.\n\n"
    "| Tier | Anzahl |\n|:--|--:|\n| Giraffen | 3 |\n| Löwen | **2** |\n| | |\n\n"
    "Er ist ~~selten~~ täglich geöffnet.\n"
)


def test_a_markdown_table_is_stored_as_an_html_table_is() -> None:
    # fix16: CommonMark has no tables, so "| Giraffen | 3 |" rows and the "|---|" line were
    # stored as one paragraph of pipes and quoted so. A table is read as HTML's is: each
    # row a line, cells joined by " · ", the header row kept, no pipe or dash left.
    text = parse_article(ZOO_TABLE, fmt="markdown").text
    # As the same table in HTML is stored (tests/ingest/test_html.py).
    assert text.split("\n\n") == [
        "Zoo Seehausen",
        "Der Zoo hat viele Tiere.",
        "• Tier · Anzahl",
        "• Giraffen · 3",
        "• Löwen · 2",
        "Er ist selten täglich geöffnet.",
    ]
    quotes = [text[s.start : s.end] for s in segment_article(text).sentences]
    assert "Giraffen · 3" in quotes and "Tier · Anzahl" in quotes
    assert not any(mark in q for q in quotes for mark in ("|", "--", "~~", "**"))


def test_an_ordered_list_keeps_its_numbers() -> None:
    # hunt15: "1. Erstens" was stored "• Erstens": the number a reader cites was lost.
    source = "Der Rat beschloss:\n\n1. Eine Brücke\n2. Einen Radweg\n\n7) Sieben\n8) Acht\n"
    article = parse_article(source, fmt="markdown")
    assert article.text == (
        "Der Rat beschloss:\n\n1. Eine Brücke\n\n2. Einen Radweg\n\n7. Sieben\n\n8. Acht"
    )
    sentences = segment_article(article.text).sentences
    # each item a sentence of its own, with its number, and no heading
    assert [(article.text[s.start : s.end], s.kind) for s in sentences[1:]] == [
        (item, "body") for item in ("1. Eine Brücke", "2. Einen Radweg", "7. Sieben", "8. Acht")
    ]


def test_github_footnotes_read_as_github_shows_them() -> None:
    """hunt15: "[^1]" stayed in the text, noise inside a quoted sentence, and a definition
    ran on as one paragraph. References become superscript numbers in the order of first
    reference; definitions are kept, each a paragraph at the end opened by its number; an
    unreferenced definition is dropped, an undefined reference and code are left alone."""
    source = (
        "# Brücke\n\n"
        "Die Brücke kostet 4 Mio. Euro[^b] und ist 2027 fertig.[^a] Sie ist lang.[^x]\n\n"
        "[^a]: Angabe der Stadt.\n"
        "[^b]: Laut Haushaltsplan 2025.\n    Seite 12.\n"
        "[^c]: Nie genannt.\n\n"
        "```\n[^a]: im Code\n```\n\n"
        "Ende.\n"
    )
    text = parse_article(source, fmt="markdown").text
    assert text == (
        "Brücke\n\nDie Brücke kostet 4 Mio. Euro¹ und ist 2027 fertig.² Sie ist lang.[^x]\n\n"
        "Ende.\n\n¹ Laut Haushaltsplan 2025. Seite 12.\n\n² Angabe der Stadt."
    )
    sentences = segment_article(text).sentences
    assert [text[s.start : s.end] for s in sentences] == [
        "Brücke",
        "Die Brücke kostet 4 Mio. Euro¹ und ist 2027 fertig.²",
        "Sie ist lang.[^x]",
        "Ende.",
        "¹ Laut Haushaltsplan 2025.",
        "Seite 12.",
        "² Angabe der Stadt.",
    ]
