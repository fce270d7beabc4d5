"""Publication dates: found near the top of a text, normalised to ISO ``YYYY-MM-DD``."""

import re
from datetime import date, datetime

from qa_service.ingest.cleaning import DATE_PATTERN, METADATA_PREFIX
from qa_service.lexicon import MONTH_NUMBERS
from qa_service.tuning.ingest import DATE_SEARCH_CHARS

DATE = re.compile(DATE_PATTERN)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_NAMED_DATE = re.compile(r"(\d{1,2})\.\s?([^\W\d]+)\s+(\d{4})")
DATE_LINE = re.compile(
    rf"^\W*(?:[^\W\d]+,?\s+)?(?:{DATE_PATTERN})(?:,?\s+\d{{1,2}}:\d{{2}}(?:\s*Uhr)?)?\W*$"
)


def find_published_date(text: str) -> str | None:
    """Publication date from the top of a text, as ISO ``YYYY-MM-DD`` (or ``YYYY-MM``).

    Order of trust: a "date ..." style metadata token, a line that is only a date, then the
    first date in the first few hundred characters.
    """
    lines = [line for line in text[: DATE_SEARCH_CHARS * 2].split("\n") if line.strip()][:8]
    for line in lines:
        if match := METADATA_PREFIX.match(line):
            return normalize_date(match.group("date"))
    for line in lines:
        if DATE_LINE.match(line) and (match := DATE.search(line)):
            return normalize_date(match.group())
    match = DATE.search(text[:DATE_SEARCH_CHARS])
    return normalize_date(match.group()) if match else None


def normalize_date(value: str) -> str | None:
    """ISO, "04.06.2025" and "4. Juni 2025" -> "2025-06-04"; anything else -> None."""
    value = value.strip()
    if match := _ISO_DATE.match(value):
        year, month, day = match.groups()
        return _iso(int(year), int(month), int(day) if day else None)
    if match := _DOTTED_DATE.match(value):
        day, month, year = match.groups()
        return _iso(int(year), int(month), int(day))
    if (match := _NAMED_DATE.match(value)) and match.group(2).lower() in MONTH_NUMBERS:
        day, month, year = match.groups()
        return _iso(int(year), MONTH_NUMBERS[month.lower()], int(day))
    return None


def _iso(year: int, month: int, day: int | None) -> str | None:
    """None for a date no calendar has ("31.02.2025"): it would be shown as another day."""
    try:
        date(max(year, 1), month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")


_ISO_8601 = re.compile(
    r"\d{4}-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?"
)
PUBLISHED_AT_FORMS = (
    "an ISO 8601 date (2025-06-04, or 2025-06) or date and time "
    "(2025-06-04T10:30:00+02:00, 2025-06-04T08:30Z, seconds and fractions optional)"
)


def is_iso_date(value: str) -> bool:
    """Is ``value`` a calendar date in ISO 8601's extended form (``YYYY-MM-DD``, ``YYYY-MM``),
    or a date and time (``T`` or a space, ``HH:MM[:SS[.fff]]``, ``Z`` or an offset)?

    Stored as given; what the service itself finds in a text is always ``YYYY-MM[-DD]``."""
    if not _ISO_8601.fullmatch(value):
        return False
    try:
        if len(value) == len("2025-06"):
            date(int(value[:4]), int(value[5:7]), 1)
        else:
            datetime.fromisoformat(value)
    except ValueError:  # no such day ("2025-02-31"), hour or offset
        return False
    return True
