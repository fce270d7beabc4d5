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
    assert kinds["Giraffen · 3"] == "body" and kinds["Tier · Anzahl"] == "body"
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


def test_a_table_is_read_row_by_row_with_its_cells_apart() -> None:
    # fix16: cells were joined by a space ("Giraffen 3", "Berlin 3,7 Millionen 891"), so a
    # row's values ran together; a row is a line, its cells joined by " · ", empty cells
    # left out, a cell's <br> or one paragraph kept on the row's line, the header row kept.
    html = (
        "<html><body><p>Der Zoo hat viele Tiere.</p><table><caption>Bestand 2025</caption>"
        "<thead><tr><th>Tier</th><th>Anzahl</th><th></th></tr></thead><tbody>"
        "<tr><td>Giraffen</td><td></td><td>3<br>(zwei Jungtiere)</td></tr>"
        "<tr><td><p>Löwen</p></td><td><b>2</b></td></tr><tr><td> </td></tr>"
        "<tr><td>Elefanten</td></tr></tbody></table><p>Er ist täglich geöffnet.</p></body></html>"
    )
    assert parse_article(html, fmt="html").text.split("\n\n") == [
        "Der Zoo hat viele Tiere.",
        "Bestand 2025",
        "• Tier · Anzahl",
        "• Giraffen · 3 (zwei Jungtiere)",
        "• Löwen · 2",
        "• Elefanten",
        "Er ist täglich geöffnet.",
    ]


def test_a_layout_table_keeps_its_paragraphs() -> None:
    """A page laid out with a table (a cell of several paragraphs, a table in a cell) is read
    as paragraphs; the inner table's rows are rows; unclosed rows and cells (which the parser
    nests ever deeper) are rows too, and a cell outside any row is text."""
    layout = (
        "<html><body><table><tr><td><h1>Hafenfest</h1><p>Das Hafenfest beginnt am Freitag.</p>"
        "<p>Es endet am Sonntag.</p></td><td><table><tr><td>Freitag</td><td>18 Uhr</td></tr>"
        "</table></td></tr></table></body></html>"
    )
    assert parse_article(layout, fmt="html").text.split("\n\n") == [
        "• Hafenfest",
        "Das Hafenfest beginnt am Freitag.",
        "Es endet am Sonntag.",
        "• Freitag · 18 Uhr",
    ]
    unclosed = "<html><body><table><tr><td>a<td>b<tr><td>c<td>d</table><p>Text.</p></body></html>"
    assert parse_article(unclosed, fmt="html").text == "• a · b\n\n• c · d\n\nText."
    stray = "<html><body><td>lose</td><td>Zelle</td><table></table><p>Text.</p></body></html>"
    assert parse_article(stray, fmt="html").text == "lose · Zelle\n\nText."


def test_what_a_browser_does_not_show_is_not_text() -> None:
    # Found by a black-box bug hunt: a <div hidden> was stored, indexed and cited as the
    # article's words ("Tritt der Bürgermeister zurück?" -> the hidden sentence).
    html = """<html><body><article><h1>Haushalt beschlossen</h1>
    <p>Der Stadtrat hat den Haushalt beschlossen.</p>
    <div hidden>Der Bürgermeister tritt zurück.</div>
    <p style="color: grey; display : none">Versteckt eins.</p>
    <span style="visibility:hidden">Versteckt zwei.</span>
    <p hidden="until-found">Aufklappbar.</p>
    <p style="display:block" aria-hidden="true">Sichtbar.</p></article></body></html>"""
    article = parse_article(html, fmt="html", name="haushalt.html")
    assert article.text.split("\n\n") == [
        "Haushalt beschlossen",
        "Der Stadtrat hat den Haushalt beschlossen.",
        "Aufklappbar.",  # found by the browser's find-in-page: text of the page
        "Sichtbar.",  # aria-hidden hides from screen readers only
    ]


def test_preformatted_text_keeps_its_lines() -> None:
    # Found by a black-box bug hunt: a <pre> was folded into one line, "Tabelle Posten
    # Betrag Schulen 5 Mio.", though a browser shows it line by line.
    html = """<html><body><article><p>Der Haushalt im Überblick:</p>
    <pre>Posten   Betrag
Schulen  <b>5 Mio.</b>
Straßen  3 Mio.</pre><p>Beschlossen am Montag.</p></article></body></html>"""
    article = parse_article(html, fmt="html", name="haushalt.html")
    assert article.text.split("\n\n") == [
        "Der Haushalt im Überblick:",
        "Posten Betrag\nSchulen 5 Mio.\nStraßen 3 Mio.",
        "Beschlossen am Montag.",
    ]


def test_superscript_digits_are_superscripts() -> None:
    # Found by a black-box bug hunt: "12 Mio.<sup>1</sup> Die Rücklage" was stored as
    # "12 Mio.1 Die Rücklage", a number glued to the sentence's end.
    html = """<html><body><article><p>Die Schulden sinken auf 12 Mio.<sup>1</sup> Die Rücklage
    steigt.</p><p>Die Halle hat 800 m<sup>2</sup>.</p><p>Anmerkung<sup>a</sup> hier.</p>
    </article></body></html>"""
    article = parse_article(html, fmt="html", name="haushalt.html")
    assert article.text.split("\n\n") == [
        "Die Schulden sinken auf 12 Mio.¹ Die Rücklage steigt.",
        "Die Halle hat 800 m².",
        "Anmerkunga hier.",  # only digits have superscript forms to read
    ]


def test_an_inline_quotation_keeps_its_quotation_marks() -> None:
    # hunt15: "<q>" lost the marks a browser shows, "sagte: Wir sparen, wo es geht."
    html = """<html><body><article><p>Der Kämmerer sagte: <q>Wir sparen, wo es geht.</q> Dann
    ging er.</p><p lang="en">He said <q>We save <q>where</q> we can.</q></p></article></body>
    </html>"""
    article = parse_article(html, fmt="html", name="rat.html")
    assert article.text.split("\n\n") == [
        "Der Kämmerer sagte: „Wir sparen, wo es geht.“ Dann ging er.",
        "He said “We save ‘where’ we can.”",
    ]
    sentences = [article.text[s.start : s.end] for s in segment_article(article.text).sentences]
    assert sentences[:2] == ["Der Kämmerer sagte: „Wir sparen, wo es geht.“", "Dann ging er."]


def test_an_ordered_list_keeps_its_numbers() -> None:
    html = """<html><body><article><p>Der Rat beschloss:</p><ol start="3"><li>Eine Brücke</li>
    <li value="9">Einen Radweg</li><li>Eine Schule</li></ol><ol type="a"><li>Punkt</li></ol>
    </article></body></html>"""
    article = parse_article(html, fmt="html", name="rat.html")
    assert article.text.split("\n\n") == [
        "Der Rat beschloss:",
        "3. Eine Brücke",
        "9. Einen Radweg",
        "10. Eine Schule",
        "• Punkt",  # a lettered list keeps its bullet
    ]
