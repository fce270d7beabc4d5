"""Text the service can embed, store and send back as JSON, checked where it comes in.

Two things pass JSON parsing yet break everything after it: a lone UTF-16 surrogate
(``"\\ud800"`` is valid JSON but not Unicode, so it cannot be encoded as UTF-8 for the
embedder, SQLite or the response) and NUL (the embedder stops reading at it, so the rest of
the text would silently not count). Metadata is stored as JSON and returned with every
document, so its depth and size are bounded too.
"""

import json
import math
import re
import unicodedata
from typing import Any

from qa_service.errors import InvalidText

_SURROGATE = re.compile("[\ud800-\udfff]")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")  # in any script
MAX_METADATA_DEPTH = 10
MAX_METADATA_BYTES = 100_000


def text_problem(text: str) -> str | None:
    """What makes ``text`` unusable, or None."""
    if (nul := text.find("\x00")) >= 0:
        return f"contains a NUL character at position {nul}"
    if match := _SURROGATE.search(text):
        return (
            f"contains a lone UTF-16 surrogate (U+{ord(match.group()):04X}) at position "
            f"{match.start()}: it is not valid Unicode"
        )
    return None


CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""The control characters (Unicode's category Cc: C0, DEL and C1) but tab, newline and
carriage return, as the body of a regex character class. C1 counts: U+009B (CSI) opens an
escape sequence as ESC [ does in terminals that read 8-bit controls, and U+0085 (NEL) is a
line break to some of them."""
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
"""The bidirectional embeddings, overrides and isolates (LRE ... RLO, LRI ... PDI): each
reorders what follows it on the line until its closing mark, so an RLO in a title printed in
a table row turns the rest of the row around ("Trojan Source"). They are Unicode text
(right-to-left titles may use them), so they are stored as given and only escaped where
printed; the marks without scope (LRM, RLM, ALM) are left alone."""

_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_ONE_LINE_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}\t\n\r]")
_PRINTED_ESCAPED = re.compile(f"[{CONTROL_CHARACTERS}\r{BIDI_CONTROLS}]")
_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x09: "TAB",
    0x0A: "LF",
    0x0D: "CR",
    0x1B: "ESC",
    0x7F: "DEL",
    0x85: "NEL",
    0x9B: "CSI",
}


def control_problem(text: str, *, one_line: bool = False) -> str | None:
    """A control character (C0, DEL or C1) other than tab, newline and carriage return, or
    None; with ``one_line``, tab, newline and carriage return too (a file name).

    Titles and sources are one-line labels that terminals, logs and tables print: an ESC
    (or a C1 CSI) there starts an escape sequence (colours, a moved cursor, a new window
    title)."""
    if (match := (_ONE_LINE_CONTROL if one_line else _CONTROL).search(text)) is None:
        return None
    code = ord(match.group())
    name = f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else ""
    allowed = "none is allowed" if one_line else "only tab, newline and carriage return are allowed"
    return (
        f"contains the control character U+{code:04X}{name} at position {match.start()}; "
        f"of the control characters {allowed}"
    )


def escape_controls(text: str) -> str:
    """``text`` for a terminal: the control characters of ``control_problem`` and carriage
    return (it moves the cursor back over what was printed) as ``\\x1b``, the bidi controls
    as ``\\u202e``; newline and tab stay. Article text may hold all of them (its offsets
    are the citations'), titles the bidi controls: printing is where they are defused."""
    return _PRINTED_ESCAPED.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, the form every limit counts in: a decomposed "ä" (a, then a
    combining diaeresis) is two code points, one character to its reader."""
    return unicodedata.normalize("NFC", text)


def has_words(text: str) -> bool:
    """A letter or digit in any script: text without one ("?!.", "😀") says nothing, yet
    dense similarity finds something close to it for any question."""
    return _LETTER_OR_DIGIT.search(text) is not None


def check_text(text: str, what: str) -> str:
    if problem := text_problem(text):
        raise InvalidText(f"{what} {problem}")
    return text


def check_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe strings, at most ``MAX_METADATA_DEPTH`` levels and ``MAX_METADATA_BYTES``."""
    _check_value(metadata, "metadata", 1)
    size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise InvalidText(
            f"metadata takes {size:,} bytes as JSON; the limit is {MAX_METADATA_BYTES:,}"
        )
    return metadata


def _check_value(value: Any, where: str, depth: int) -> None:
    if isinstance(value, str):
        check_text(value, where)
    elif isinstance(value, dict | list):
        if depth > MAX_METADATA_DEPTH:
            raise InvalidText(f"metadata is nested deeper than {MAX_METADATA_DEPTH} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                check_text(key, f"{where}: a key")
            _check_value(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidText(f"{where} is {value}: JSON has no NaN or Infinity")
    elif value is not None and not isinstance(value, bool | int | float):
        raise InvalidText(f"{where} is a {type(value).__name__}: metadata must be JSON")
