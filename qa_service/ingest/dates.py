"""Publication dates: found near the top of a text, normalised to ISO ``YYYY-MM-DD``."""

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from qa_service.ingest.cleaning import DATE_PATTERN, DATE_TIME, METADATA_PREFIX, PLACE, lines_at
from qa_service.lexicon import MONTH_NUMBERS
from qa_service.tuning.ingest import DATE_SEARCH_CHARS, PUBLISHED_SLACK_DAYS

DATE = re.compile(DATE_PATTERN)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_NAMED_DATE = re.compile(r"(\d{1,2})\.\s?([^\W\d]+)\s+(\d{4})")
_DATELINE = re.compile(
    rf"^[ \t]*{PLACE},[ \t]*(?:[^\W\d_]+,?[ \t]+)?(?P<date>{DATE_PATTERN})"
    rf"(?:,?[ \t]+\d{{1,2}}:\d{{2}}(?:[ \t]*Uhr)?)?(?:[ \t]*\([^()\n]{{1,20}}\))?[ \t]*[–—-][ \t]"
)
"""A dateline opening a paragraph: a place (``PLACE``, as the dateless one below and the
sentence splitter read it), a comma, a date (a weekday before it maybe), a dash:
"Großenhain, 3. Juni 2025 – ", "DRESDEN (dpa), 03.06.2025 -"."""
DATE_LINE = re.compile(rf"^\W*(?:[^\W\d]+,?\s+)?{DATE_TIME}\W*$")


_DATELESS_DATELINE = re.compile(
    rf"^[ \t]*{PLACE}(?:,[ \t]*{PLACE})?[ \t]*[–—-][ \t]+\S.*\.[\"“”»«'’)]*[ \t]*$"
)
"""A dateline without a date opening a line of prose: "Großenhain – Die ...", "DRESDEN
(dpa) - ...", "Brüssel, Belgien - ...". The line ends in a full stop, as a paragraph does
and a headline ("Ukraine-Krieg – Neue Hilfe", "... – Hilfe kommt!") does not."""


def find_published_date(
    text: str, today: date | None = None, *, stated: Sequence[str] = ()
) -> str | None:
    """Publication date from the top of a text, as ISO ``YYYY-MM-DD`` (or ``YYYY-MM``).

    Order of trust: ``stated``, the dates a file states beside its text (a page's <meta>,
    <time> and JSON-LD, a Markdown file's front matter); a "date ..." style metadata token, a
    line that is only a date, a dateline ("Großenhain, 3. Juni 2025 – Die ...", "DRESDEN
    (dpa), 03.06.2025 - ..."), then the first date in the first few hundred characters
    (``DATE_SEARCH_CHARS``), which may be a date inside a sentence, but not one after a
    dateline without a date ("Großenhain – Am 4. Juni 2031 beginnt ..."): an article that
    dates itself does so in its dateline, so a date in its lead is the news it reports. All
    go through one rule (``publication_date``).
    """
    lines = [line for line in text[: DATE_SEARCH_CHARS * 2].split("\n") if line.strip()][:8]
    candidates = [
        *stated,
        *(m.group("date") for line in lines if (m := METADATA_PREFIX.match(line))),
        *(m.group() for line in lines if DATE_LINE.match(line) and (m := DATE.search(line))),
        *(m.group("date") for line in lines if (m := _DATELINE.match(line))),
        *(m.group() for m in DATE.finditer(text[: _prose_end(text)])),
    ]
    return publication_date(candidates, today)


def publication_date(candidates: Iterable[str], today: date | None = None) -> str | None:
    """The first of ``candidates`` that is a date (``normalize_date``) and none to come: a
    date after ``today`` (the day of ingest, UTC) plus ``PUBLISHED_SLACK_DAYS`` is an event
    ("Der Bau beginnt am 4. Juni 2031"), or a page's wrong <meta>, never a publication date,
    so the next candidate is tried."""
    latest = (today or datetime.now(UTC).date()) + timedelta(days=PUBLISHED_SLACK_DAYS)
    for candidate in candidates:
        found = normalize_date(candidate)
        if found is not None and _first_day(found) <= latest:
            return found
    return None


def _prose_end(text: str) -> int:
    """Where the search for a date in prose ends: ``DATE_SEARCH_CHARS``, or the start of a
    line that opens with a dateline without a date."""
    for start, line in lines_at(text[:DATE_SEARCH_CHARS]):
        if _DATELESS_DATELINE.match(line):
            return start
    return DATE_SEARCH_CHARS


def _first_day(iso: str) -> date:
    """The first day an ISO date or month (``normalize_date``) denotes."""
    return date(int(iso[:4]), int(iso[5:7]), int(iso[8:10]) if len(iso) > 7 else 1)


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
