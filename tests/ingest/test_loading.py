"""Loading files and uploads: formats, titles, dates, encodings, folders."""

from pathlib import Path

import pytest

from qa_service.errors import UnsupportedFormat
from qa_service.ingest.loading import (
    decode_upload,
    detect_format,
    load_paths,
    normalize_date,
    parse_article,
)
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


def test_text_title_skips_markup_and_metadata() -> None:
    text = "<div>\nStand: 04.06.2025\n\n# Die Schlagzeile\n\nText."
    article = parse_article(text)
    assert (article.title, article.published_at) == ("Die Schlagzeile", "2025-06-04")


def test_html_date_from_json_ld() -> None:
    html = (
        '<html><head><script type="application/ld+json">'
        '{"@graph": [{"@type": "NewsArticle", "datePublished": "2025-01-31T12:00:00Z"}]}'
        "</script></head><body><p>Text.</p></body></html>"
    )
    assert parse_article(html, fmt="html").published_at == "2025-01-31"


def test_text_is_kept_exactly_except_line_endings() -> None:
    raw = "  Titel der Meldung  \r\n\r\nErster Satz.  Mit <b>Tag</b>.\r\n"
    article = parse_article(raw)
    assert article.text == "  Titel der Meldung  \n\nErster Satz.  Mit <b>Tag</b>.\n"
    assert article.title == "Titel der Meldung"


def test_long_first_line_is_not_a_title() -> None:
    assert parse_article("Ein sehr langer erster Absatz. " * 10).title is None


def test_markdown_heading_title_without_hashes() -> None:
    text = "Vorspann ohne Raute\n\n## Unterkapitel\n\n# Die **echte** Überschrift\n\nText."
    article = parse_article(text, fmt="markdown")
    assert article.title == "Die echte Überschrift"
    assert article.text == text


def test_markdown_front_matter() -> None:
    text = "---\ntitle: Aus dem Kopf\ndate: 2025-06-04\n---\n# Anders\n\nText."
    article = parse_article(text, fmt="markdown")
    assert (article.title, article.published_at) == ("Aus dem Kopf", "2025-06-04")


def test_markdown_hash_in_code_fence_is_not_a_heading() -> None:
    text = "```\n# kein Titel\n```\n\nEchter Titel\n============\n\nText."
    assert parse_article(text, fmt="markdown").title == "Echter Titel"


@pytest.mark.parametrize(
    "text, expected",
    [
        (" date 2025-06 Newsblog zum Krieg\n\nText.", "2025-06"),
        ("Titel\n\n04.06.2025, 12:30 Uhr\n\nText.", "2025-06-04"),
        ("Titel\n\nAm 4. Juni 2025 treffen sich die Minister.", "2025-06-04"),
        ("Titel\n\nStand: 2025-06-03T10:00:00Z\n\nText.", "2025-06-03"),
        ("Titel\n\nEin Text ohne Datum.", None),
        ("Titel\n\n" + "Langer Text. " * 60 + "Am 4. Juni 2025 war etwas.", None),
    ],
)
def test_published_date_from_the_top_of_the_text(text: str, expected: str | None) -> None:
    assert parse_article(text).published_at == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-06-04T10:15:00+02:00", "2025-06-04"),
        ("4. Juni 2025", "2025-06-04"),
        ("12.05.2025", "2025-05-12"),
        ("2025-13-01", None),
        ("4. Juno 2025", None),
    ],
)
def test_normalize_date(value: str, expected: str | None) -> None:
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    "filename, data, expected",
    [
        ("a.txt", b"<html>", "text"),
        ("a.TEXT", b"x", "text"),
        ("a.md", b"# x", "markdown"),
        ("a.markdown", "x", "markdown"),
        ("a.htm", b"x", "html"),
        ("a.html", b"x", "html"),
        ("upload", b"\xef\xbb\xbf<!DOCTYPE html><html></html>", "html"),
        ("upload.dat", "  <html lang='de'>", "html"),
        ("notes", b"Nur ein Satz.", "text"),
    ],
)
def test_detect_format(filename: str, data: bytes | str, expected: str) -> None:
    assert detect_format(filename, data) == expected


@pytest.mark.parametrize("data", [b"%PDF-1.7\n\x00\x01\x02", b"\xff\xd8\xff\xe0JFIF"])
def test_detect_format_refuses_binary(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat):
        detect_format("scan.pdf", data)


def test_decode_upload_strips_bom_and_refuses_bad_bytes() -> None:
    assert decode_upload("\ufeffÄrger".encode()) == "Ärger"
    with pytest.raises(UnsupportedFormat, match="is not valid UTF-8"):
        decode_upload("Ärger".encode("latin-1"))


def test_load_paths_walks_folders_sorted_and_skips_others(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b.md").write_text("# Zweiter\n\nText.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Erster\n\nText.", encoding="utf-8")
    (tmp_path / "sub" / "c.html").write_text("<h1>Dritter</h1><p>Text.</p>", encoding="utf-8")
    (tmp_path / ".hidden" / "d.txt").write_text("Versteckt.", encoding="utf-8")
    (tmp_path / ".e.txt").write_text("Versteckt.", encoding="utf-8")
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.7")
    loaded = list(load_paths([tmp_path]))
    assert [(doc_id, article.title) for doc_id, article in loaded] == [
        ("a", "Erster"),
        ("b", "Zweiter"),
        ("c", "Dritter"),
    ]
    assert loaded[2][1].source == str(tmp_path / "sub" / "c.html")
    assert loaded[2][1].text == "Dritter\n\nText."


def test_load_paths_single_seed_file() -> None:
    seed = Path(__file__).resolve().parents[2] / "seeds" / "000_23aad25e3376c29a.txt"
    [(doc_id, article)] = list(load_paths([seed]))
    assert doc_id == "000_23aad25e3376c29a"
    assert article.source == str(seed)
    assert article.text == seed.read_text(encoding="utf-8")


def test_load_paths_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        list(load_paths([tmp_path / "nope"]))


def test_load_paths_reports_the_file_with_bad_encoding(tmp_path: Path) -> None:
    (tmp_path / "alt.txt").write_bytes("Ärger".encode("latin-1"))
    with pytest.raises(UnsupportedFormat, match=r"alt\.txt"):
        list(load_paths([tmp_path]))


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
