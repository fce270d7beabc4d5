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


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}


def control_problem(text: str) -> str | None:
    """A C0 control character (or DEL) other than tab, newline and carriage return, or None.

    Titles and sources are one-line labels that terminals, logs and tables print: an ESC
    there starts an escape sequence (colours, a moved cursor, a new window title)."""
    if (match := _CONTROL.search(text)) is None:
        return None
    code = ord(match.group())
    name = f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else ""
    return (
        f"contains the control character U+{code:04X}{name} at position {match.start()}; "
        "of the control characters only tab, newline and carriage return are allowed"
    )


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
