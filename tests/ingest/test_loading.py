"""Loading articles: the text is stored exactly as given, but for line endings."""

from qa_service.ingest.loading import parse_article


def test_text_is_kept_exactly_except_line_endings() -> None:
    raw = "  Titel der Meldung  \r\n\r\nErster Satz.  Mit <b>Tag</b>.\r\n"
    article = parse_article(raw)
    assert article.text == "  Titel der Meldung  \n\nErster Satz.  Mit <b>Tag</b>.\n"
    assert article.title == "Titel der Meldung"
