"""Publication dates: from the top of a text, normalised to ISO."""

import pytest

from qa_service.ingest.dates import normalize_date
from qa_service.ingest.loading import parse_article


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
