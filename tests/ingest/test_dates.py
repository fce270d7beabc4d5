"""Publication dates: from the top of a text, normalised to ISO."""

from datetime import UTC, date, datetime, timedelta

import pytest

from qa_service.ingest.dates import find_published_date, normalize_date
from qa_service.ingest.loading import Format, parse_article


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
        # found by a black-box bug hunt: days the month does not have (the page showed
        # "31.02.2025" as 3 March)
        ("31.02.2025", None),
        ("30. Februar 2025", None),
        ("2025-04-31", None),
        ("29.02.2024", "2024-02-29"),
    ],
)
def test_normalize_date(value: str, expected: str | None) -> None:
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # hunt15: an event to come is no publication date, nor is any date after the day
        # of ingest (plus a day's slack); the next candidate is taken instead.
        ("Neuer Bahnhof\n\nDer Bau beginnt am 4. Juni 2031. Er soll 2035 fertig sein.", None),
        ("Bahnhof\n\nDer Bau beginnt am 4. Juni 2031, beschlossen am 2. Mai 2025.", "2025-05-02"),
        (" date 2031-06 Titel\n\nAm 4. Juni 2025 war es.", "2025-06-04"),
        ("Titel\n\nAm 4. Dezember 2026 war es.", "2026-12-04"),  # the slack: tomorrow
        ("Titel\n\nAm 5. Dezember 2026 war es.", None),
        # A dateline wins over a date inside a sentence, wherever that stands.
        (
            "Bürgerfest am 4. Juni 2025\n\nGroßenhain, 3. Juni 2025 – Die Stadt feiert.",
            "2025-06-03",
        ),
        ("Fest\n\nDRESDEN (dpa), 03.06.2025 - Die Stadt feiert am 4. Juni 2025.", "2025-06-03"),
        ("Fest\n\nBerlin, Mittwoch, 4. Juni 2025 (dpa) – Die Stadt feiert.", "2025-06-04"),
        # The place as every dateline reads it (``cleaning.PLACE``): an apostrophe, "St.",
        # a long list of agencies.
        ("Fest am 4. Juni 2025\n\nL’Aquila, 3. Juni 2025 – Die Stadt feiert.", "2025-06-03"),
        ("Fest am 4. Juni 2025\n\nSt. Gallen, 3. Juni 2025 – Die Stadt feiert.", "2025-06-03"),
        (
            "Fest am 4. Juni 2025\n\nNew York (Reuters/AP/dpa/AFP/epd), 3. Juni 2025 – Sie feiert.",
            "2025-06-03",
        ),
        # A dateline without a date: an article that dates itself does so there, so a date
        # in the lead after it is the news it reports, past or to come (hunt15).
        ("Fest\n\nDRESDEN (dpa) – Am 4. Juni 2025 feiert die Stadt.", None),
        ("Bahnhof\n\nGroßenhain – Der Bau beginnt am 4. Dezember 2026.", None),
        ("Hilfe\n\nBrüssel, Belgien - Am 4. Juni 2025 trafen sich alle.", None),
        ("Fest\n\nSt. Gallen – Am 4. Juni 2025 feiert die Stadt.", None),
        ("Am 2. Juni 2025\n\nGroßenhain – Am 4. Juni 2025 feiert die Stadt.", "2025-06-02"),
        # a headline is no dateline, nor is a subject opened by an article
        ("Plan\n\nDie Regierung – so heißt es – hat am 4. Juni 2025 beschlossen.", "2025-06-04"),
        ("Ukraine-Krieg – Neue Hilfe\n\nAm 4. Juni 2025 treffen sich alle.", "2025-06-04"),
        ("Krieg – Hilfe kommt!\n\nAm 4. Juni 2025 treffen sich alle.", "2025-06-04"),
        ("Rückblick\n\nAm 9. November 1989 fiel die Mauer.", "1989-11-09"),
    ],
)
def test_a_publication_date_is_no_date_to_come(text: str, expected: str | None) -> None:
    assert find_published_date(text, today=date(2026, 12, 3)) == expected


def test_the_day_of_ingest_is_today_by_default() -> None:
    today = datetime.now(UTC).date()  # the day of ingest is UTC's
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=3)
    assert find_published_date(f"Titel\n\nStand: {tomorrow.isoformat()}") == tomorrow.isoformat()
    assert find_published_date(f"Titel\n\nStand: {later.isoformat()}") is None


@pytest.mark.parametrize(
    "data, fmt, expected",
    [
        # hunt15: a page's or a file's stated date went round the "no date to come" rule
        (
            '<html><head><meta property="article:published_time" content="2099-06-04T10:00:00Z">'
            "</head><body><p>Am 2. Juni 2025 war es.</p></body></html>",
            "html",
            "2025-06-02",
        ),
        (
            '<html><head><meta name="date" content="2099-06-04"><meta name="dc.date" '
            'content="2025-05-01"></head><body><p>Text.</p></body></html>',
            "html",
            "2025-05-01",
        ),
        (
            '<html><body><time datetime="2099-01-01">bald</time><script type="application/'
            'ld+json">{"datePublished": "2024-03-02"}</script><p>Text.</p></body></html>',
            "html",
            "2024-03-02",
        ),
        ("---\ndate: 2099-06-04\n---\n# Titel\n\nAm 2. Juni 2025.", "markdown", "2025-06-02"),
        ("---\ndate: 2099-06-04\npublished: 2025-05-01\n---\nText.", "markdown", "2025-05-01"),
        ("---\ndate: 2025-06-04\n---\nText.", "markdown", "2025-06-04"),
        # a dateline without a date in a page's lead (hunt15)
        (
            "<html><body><h1>Bahnhof</h1><p>Großenhain – Der Bau des Bahnhofs begann am "
            "4. Juni 2025.</p></body></html>",
            "html",
            None,
        ),
    ],
)
def test_every_stated_date_goes_through_one_rule(
    data: str, fmt: Format, expected: str | None
) -> None:
    assert parse_article(data, fmt=fmt).published_at == expected
