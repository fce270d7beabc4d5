"""Titles: Markdown headings and front matter, else the first line of a text."""

import pytest

from qa_service.ingest.loading import parse_article


def test_text_title_skips_markup_and_metadata() -> None:
    text = "<div>\nStand: 04.06.2025\n\n# Die Schlagzeile\n\nText."
    article = parse_article(text)
    assert (article.title, article.published_at) == ("Die Schlagzeile", "2025-06-04")


def test_long_first_line_is_not_a_title() -> None:
    assert parse_article("Ein sehr langer erster Absatz. " * 10).title is None


def test_a_line_with_a_control_character_is_no_title() -> None:
    """Hunt 7 L9: a given title may hold no control character; one the service found in the
    text's first line did (an ESC colours a terminal that prints it)."""
    assert parse_article("\x1b[31mRot\x1b[0m im Titel\n\nText.").title is None
    assert parse_article("# Rot \x1b[31m\n\nText.", fmt="markdown").title is None
    assert parse_article("Kein Steuerzeichen\n\nText.").title == "Kein Steuerzeichen"


def test_markdown_heading_title_without_hashes() -> None:
    text = "Vorspann ohne Raute\n\n## Unterkapitel\n\n# Die **echte** Überschrift\n\nText."
    article = parse_article(text, fmt="markdown")
    assert article.title == "Die echte Überschrift"
    assert article.text == "Vorspann ohne Raute\n\nUnterkapitel\n\nDie echte Überschrift\n\nText."


def test_markdown_front_matter() -> None:
    text = "---\ntitle: Aus dem Kopf\ndate: 2025-06-04\n---\n# Anders\n\nText."
    article = parse_article(text, fmt="markdown")
    assert (article.title, article.published_at) == ("Aus dem Kopf", "2025-06-04")


def test_markdown_hash_in_code_fence_is_not_a_heading() -> None:
    text = "```\n# kein Titel\n```\n\nEchter Titel\n============\n\nText."
    assert parse_article(text, fmt="markdown").title == "Echter Titel"


def test_a_table_row_is_no_title() -> None:
    """hunt15: a text opening with a tab-separated table was titled by its first line of prose
    (its last paragraph); a table row is data, not a headline, so such a text has no title."""
    text = "Partei\tAnteil\n\nCDU\t41,2 %\nSPD\t22,7 %\n\nDie Wahlbeteiligung lag bei 63 Prozent."
    assert parse_article(text).title is None
    assert parse_article(f"Wahl in Tannau\n\n{text}").title == "Wahl in Tannau"


@pytest.mark.parametrize(
    "text, title",
    [
        # hunt15: a one-paragraph article was titled with its whole paragraph
        (
            "Das Derby endete 2:1. Trainer Stamm lobte die Elf. Die Zahl der Zuschauer stieg "
            "auf 31. Die Polizei meldete keine Zwischenfälle.",
            None,
        ),
        ("Die Stadt feiert. Der Eintritt ist frei.\n\nMehr dazu.", None),
        # one sentence, or two parts not closed as a sentence is: a headline
        (
            "Der Turm von Hochstadt ist wieder offen.\n\nText.",
            "Der Turm von Hochstadt ist wieder offen.",
        ),
        ("Alarm in Lübeck! Feuer im Hafen\n\nText.", "Alarm in Lübeck! Feuer im Hafen"),
        ("Hoffnung auf Hilfe in Brüssel!\n\nText.", "Hoffnung auf Hilfe in Brüssel!"),
    ],
)
def test_a_first_line_of_two_sentences_is_a_paragraph(text: str, title: str | None) -> None:
    assert parse_article(text).title == title
