"""HTML articles: readable text, title and date from the markup."""

from qa_service.ingest.loading import parse_article
from qa_service.ingest.segmentation import segment_article

HTML = """<!DOCTYPE html>
<html><head><title>Seite | Verlag</title>
<meta property="article:published_time" content="2025-06-04T10:15:00+02:00">
<script>var tracking = "Kein Satz.";</script><style>p { color: red; }</style></head>
<body><nav><a href="/">Start</a> <a href="/politik">Politik</a></nav>
<article><h1>Ukraine setzt auf <em>Waffenproduktion</em></h1>
<p>Die Ukraine will Waffen bauen.<br>Das sagte   Umjerow
 in Brüssel.</p><!-- Kommentar -->
<p>Zweiter <b>Absatz</b> hier.</p><ul><li>Drohnen</li><li>Raketen</li></ul></article>
<footer>© 2025 Verlag</footer></body></html>"""


def test_html_text_title_date_and_paragraphs() -> None:
    article = parse_article(HTML, fmt="html", name="artikel.html")
    assert article.title == "Ukraine setzt auf Waffenproduktion"
    assert article.published_at == "2025-06-04"
    assert article.source == "artikel.html"
    assert article.text.split("\n\n") == [
        "Ukraine setzt auf Waffenproduktion",
        "Die Ukraine will Waffen bauen.\nDas sagte Umjerow in Brüssel.",
        "Zweiter Absatz hier.",
        "• Drohnen",
        "• Raketen",
    ]
    for dropped in ("tracking", "color", "Politik", "Kommentar", "Verlag"):
        assert dropped not in article.text


def test_html_falls_back_to_title_tag_and_time_element() -> None:
    html = (
        "<html><head><title>Nur Titel</title></head><body>"
        '<time datetime="2024-11-03T08:00:00Z">3. November</time><p>Ein Satz.</p></body></html>'
    )
    article = parse_article(html, fmt="html")
    assert (article.title, article.published_at) == ("Nur Titel", "2024-11-03")


def test_html_prefers_the_article_heading_over_a_logo_heading() -> None:
    html = (
        '<html><body><h1 class="logo">Verlag</h1><article><h1>Echte Schlagzeile</h1>'
        "<p>Text.</p></article></body></html>"
    )
    assert parse_article(html, fmt="html").title == "Echte Schlagzeile"


def test_html_date_from_json_ld() -> None:
    html = (
        '<html><head><script type="application/ld+json">'
        '{"@graph": [{"@type": "NewsArticle", "datePublished": "2025-01-31T12:00:00Z"}]}'
        "</script></head><body><p>Text.</p></body></html>"
    )
    assert parse_article(html, fmt="html").published_at == "2025-01-31"


def test_html_table_rows_are_statements_not_headings() -> None:
    html = (
        "<html><body><h1>Der Zoo</h1><p>Der Zoo hat viele Tiere.</p><table>"
        "<tr><th>Tier</th><th>Anzahl</th></tr><tr><td>Giraffen</td><td>3</td></tr></table>"
        "<p>Er ist täglich geöffnet.</p></body></html>"
    )
    text = parse_article(html, fmt="html").text
    kinds = {text[s.start : s.end]: s.kind for s in segment_article(text).sentences}
    assert kinds["Giraffen 3"] == "body" and kinds["Tier Anzahl"] == "body"
    assert kinds["Der Zoo"] == "heading" and kinds["Er ist täglich geöffnet."] == "body"


def test_a_heading_with_a_control_character_is_no_title() -> None:
    # HUNT9 L1: a title holds no control character (C1 CSI included), whether given or
    # found; an HTML page's <h1> was taken as it was. The next candidate is the title.
    page = (
        "<html><head><title>Wahl in Neuhausen</title></head><body><article>"
        "<h1>Wahl\x9b2J in Neuhausen</h1><p>Die Stadt hat gewählt.</p></article></body></html>"
    )
    article = parse_article(page, fmt="html")
    assert article.title == "Wahl in Neuhausen"
    assert "\x9b2J" in article.text  # the text keeps it: its offsets are the citations'
