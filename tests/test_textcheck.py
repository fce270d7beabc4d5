"""Text the service can embed, store and return as JSON."""

import pytest

from qa_service.errors import InvalidText
from qa_service.textcheck import (
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    check_metadata,
    check_text,
    control_problem,
    escape_controls,
    text_problem,
)


def test_ordinary_text_passes() -> None:
    assert text_problem("Grüße aus Köln 😀") is None
    assert check_text("Hallo", "the title") == "Hallo"


def test_nul_and_lone_surrogates_are_named_with_their_position() -> None:
    assert text_problem("ab\x00c") == "contains a NUL character at position 2"
    assert "U+D800" in (text_problem("a\ud800") or "")
    with pytest.raises(InvalidText, match=r"^the title contains a NUL"):
        check_text("\x00", "the title")


def test_metadata_depth_size_and_values_are_bounded() -> None:
    nested: dict = {}
    inner = nested
    for _ in range(MAX_METADATA_DEPTH):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(InvalidText, match="nested deeper"):
        check_metadata(nested)
    with pytest.raises(InvalidText, match="bytes as JSON"):
        check_metadata({"x": "a" * MAX_METADATA_BYTES})
    with pytest.raises(InvalidText, match="NaN or Infinity"):
        check_metadata({"score": float("nan")})
    with pytest.raises(InvalidText, match="a key"):
        check_metadata({"\ud800": 1})
    with pytest.raises(InvalidText, match="must be JSON"):
        check_metadata({"when": object()})
    ok = {"tags": ["a", 1, 2.5, None, True], "nested": {"k": "v"}}
    assert check_metadata(ok) is ok


def test_c0_del_and_c1_controls_are_control_characters_tab_and_line_breaks_are_not() -> None:
    # HUNT9 L1: U+009B (CSI, "ESC [" in terminals reading 8-bit controls) passed in titles.
    for char in ("\x1b", "\x7f", "\x85", "\x9b", "\x9f"):
        assert f"U+{ord(char):04X}" in (control_problem(f"Ti{char}tel") or ""), repr(char)
    assert "(CSI) at position 2" in (control_problem("Ti\x9b31mtel") or "")
    for text in ("Zeile\teins\r\nzwei", "Grüße \u202eRTL\u202c", "\xa0\xff"):
        assert control_problem(text) is None, repr(text)


def test_printing_escapes_controls_carriage_returns_and_bidi_overrides() -> None:
    assert escape_controls("a\x1b[31mb\x9bc") == "a\\x1b[31mb\\x9bc"
    assert escape_controls("Titel \u202eneK\u2066x\u2069") == "Titel \\u202eneK\\u2066x\\u2069"
    assert escape_controls("über\r\nzwei\tdrei") == "über\\x0d\nzwei\tdrei"
    assert escape_controls("مرحبا\u200f ok") == "مرحبا\u200f ok"  # a mark has no scope: kept
