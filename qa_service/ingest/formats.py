"""What an uploaded or found file is (text, Markdown, HTML) and how its bytes are read.

Only UTF-8 is read: guessing another encoding would silently corrupt quoted citations.
"""

import codecs
import json
import re
from pathlib import Path
from typing import Any, Literal

from qa_service.errors import InvalidInput, UnsupportedFormat
from qa_service.models import INVISIBLE
from qa_service.textcheck import control_problem

Format = Literal["text", "markdown", "html"]

EXTENSIONS: dict[str, Format] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}

_DOCUMENT_MAGIC = ("%pdf-", "{\\rtf")
_PDF_MEDIA_TYPES = frozenset({"application/pdf", "application/x-pdf"})
MAX_SOURCE_CHARS = 2000
"""The longest ``source``, given (``api/schemas.Source``) or an upload's file name."""
_SEND_TEXT = "upload the article's text as .txt, .md or .html"
PDF_HEADER_WITHIN = 1024
"""Where a PDF's ``%PDF-`` header may start: readers (Acrobat among them) look this far."""


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value, lower-case, without its parameters ("" if
    none was given): ``text/plain; charset=utf-8`` -> ``text/plain``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _declared_pdf(filename: str, content_type: str | None) -> str | None:
    """How the upload claims to be a PDF (its name or its content type), or None."""
    if Path(filename).suffix.lower() == ".pdf":
        return "its name"
    media = media_type(content_type)
    return f"its content type {media}" if media in _PDF_MEDIA_TYPES else None


_LEADING = f"{INVISIBLE} \t\r\n\f"
"""What may stand before a file's first mark (``%PDF-``, ``{\\rtf``, ``<html``) and is
skipped when sniffing: white space, a byte-order mark, zero-width spaces and joiners (the
same invisible marks that make two texts "the same text", ``models.content_hash``)."""


def opens_as_pdf(data: bytes | str) -> bool:
    """``data`` opens with a PDF's ``%PDF-`` header (after white space or invisible marks,
    ``_LEADING``). Such a body is refused whatever it is named or declared: read as text, a
    PDF's object syntax ("<< /Root 1 0 R >>") became sentences that questions were answered
    from. Read the bytes (or text) as sent, never text converted from them: a page's first
    paragraph may well begin with "%PDF-"."""
    head = data[:PDF_HEADER_WITHIN]
    if isinstance(head, bytes):
        head = head.decode("utf-8", errors="replace")  # the header is ASCII; the rest binary
    return head.lstrip(_LEADING).startswith("%PDF-")


def pdf_refused(what: str, instead: str = _SEND_TEXT) -> UnsupportedFormat:
    """The one refusal of a PDF (415), for an upload, a file or a JSON body's text."""
    return UnsupportedFormat(f"{what} is a PDF; PDFs are not read: {instead}")


def _refuse_pdf(filename: str, data: bytes | str, declared: str) -> None:
    """A declared PDF is refused either way: PDFs are not read, and one that is not a PDF is
    a mislabelled file whose text nobody can vouch for (a mistake, or a disguise)."""
    head = data[:PDF_HEADER_WITHIN]
    if not (b"%PDF-" in head if isinstance(head, bytes) else "%PDF-" in head):
        raise UnsupportedFormat(
            f"{filename[:100]!r} is declared a PDF by {declared} but is not a PDF (it has no "
            f"%PDF- header); {_SEND_TEXT}"
        )
    raise pdf_refused(repr(filename[:100]))


def detect_format(filename: str, data: bytes | str, content_type: str | None = None) -> Format:
    """Trust a known extension; otherwise sniff, and refuse content that is not text.
    ``content_type``: what an upload declared; a declared PDF is refused (see _refuse_pdf),
    and so is one by its content under any name (``opens_as_pdf``)."""
    declared = _declared_pdf(filename, content_type)
    if declared:
        _refuse_pdf(filename, data, declared)
    if opens_as_pdf(data):
        raise pdf_refused(repr(filename[:100]))
    known = EXTENSIONS.get(Path(filename).suffix.lower())
    if known:
        return known
    head = data[:8192]
    if isinstance(head, bytes):
        if _wide_unicode(head) is not None:
            raise not_utf8(repr(filename[:100]), head)
        if b"\x00" in head:
            raise UnsupportedFormat(f"{filename!r} looks binary; upload text, Markdown or HTML")
        raw = head
        try:
            head = codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
        except UnicodeDecodeError as error:
            raise not_utf8(repr(filename[:100]), raw, error, content_type) from None
    if "\x00" in head:
        raise UnsupportedFormat(f"{filename!r} looks binary; upload text, Markdown or HTML")
    sniff = head.lstrip(_LEADING).lower()
    if sniff.startswith(_DOCUMENT_MAGIC):  # ASCII, so they pass the checks above
        raise UnsupportedFormat(f"{filename!r} is a PDF or RTF file; upload text, Markdown or HTML")
    if sniff.startswith("<!doctype html") or "<html" in sniff[:1024]:
        return "html"
    return "text"


def is_html_document(text: str) -> bool:
    """``text`` is a whole HTML page: it opens with ``<!doctype html`` or ``<html`` (after
    white space). A JSON body's ``text`` of that kind is converted as an upload of it would
    be; any other text is plain text as sent, angle brackets and all."""
    return text[:1024].lstrip("\ufeff \t\r\n").lower().startswith(("<!doctype html", "<html"))


def check_format_metadata(metadata: dict[str, Any] | None, read_as: Format, what: str) -> None:
    """``metadata.format`` is how the service read the text: an upload's format, ``html``
    for a page sent as JSON text, ``text`` for any other JSON text. Given, it must say the
    same (422 naming it otherwise): merged over the upload's own, ``{"format": "pdf"}`` on
    a .txt was stored as the format of a text that never was a PDF, and the service reads
    the key back (a stored title is re-found in the recorded format)."""
    if metadata is None or "format" not in metadata or metadata["format"] == read_as:
        return
    given = json.dumps(metadata["format"], ensure_ascii=False)
    raise InvalidInput(
        f"metadata.format: {what} is read as {read_as!r}, not {given[:60]}; the format is "
        "the service's record of how it read the text: leave the key out"
    )


UPLOAD_MEDIA_TYPES: dict[str, Format] = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
}
"""What an upload without an extension may declare itself to be."""

_ACCEPTED = ".txt, .md or .html (UTF-8)"


def _refuse_extension(filename: str, instead: str) -> None:
    """A file named as something else than an article (``batch.json``, ``evil.exe``) is not
    read as text because its bytes happen to decode; a PDF is refused by detect_format."""
    suffix = Path(filename).suffix.lower()
    if suffix and suffix not in EXTENSIONS and suffix != ".pdf":
        raise UnsupportedFormat(f"{filename[:100]!r}: {suffix[:20]} files are not read; {instead}")


def file_format(filename: str, data: bytes | str) -> Format:
    """A file's format (``qa-service ingest``): an upload's rule, but a file declares no
    content type, so one without an extension is sniffed (``detect_format``)."""
    _refuse_extension(filename, f"ingest {_ACCEPTED}")
    return detect_format(filename, data)


def upload_format(filename: str, data: bytes, content_type: str | None) -> Format:
    """An upload's format, by the README's list: a known extension (.txt, .md, .html and
    their spellings in EXTENSIONS); without an extension, a declared text/plain, Markdown
    or HTML content type. Anything else is refused: an ``evil.exe`` is not read as text
    because its bytes happen to decode."""
    suffix = Path(filename).suffix.lower()
    media = media_type(content_type)
    _refuse_extension(filename, f"upload {_ACCEPTED}")
    if not suffix and media not in UPLOAD_MEDIA_TYPES:
        raise UnsupportedFormat(
            f"{filename[:100]!r} has no extension and its content type is "
            f"{media[:60] or 'not given'}; name it .txt, .md or .html, or send it as "
            f"{', '.join(UPLOAD_MEDIA_TYPES)} (UTF-8)"
        )
    fmt = detect_format(filename, data, content_type)  # a PDF or binary content is refused
    return fmt if suffix else UPLOAD_MEDIA_TYPES[media]


_FORM_ESCAPED = re.compile(r"%(22|[01][0-9A-Fa-f])")
"""How clients write a file name's quote and control characters in a multipart header:
browsers (the WHATWG multipart/form-data encoding) send ``"``, CR and LF as %22, %0D, %0A;
httpx every C0 control but ESC the same way."""


def upload_source(filename: str) -> str:
    """The upload's file name as a ``source``: its base name only, its %-escaped quote and
    control characters decoded (``_FORM_ESCAPED``; ``check_upload_source`` then refuses the
    controls, as it does sent raw). A client's ``../../etc/x.md`` or ``C:\\Users\\x.md`` says
    nothing about the article and is a path nobody should later join to a folder."""
    filename = _FORM_ESCAPED.sub(lambda m: chr(int(m[1], 16)), filename)
    name = Path(filename.replace("\\", "/")).name
    return name if name not in ("", ".", "..") else "upload"


def check_upload_source(name: str) -> str:
    """``name`` (``upload_source``), kept as the source of an upload that gives none, checked
    as a given ``source`` is: no control character (and, a file name being one line, no tab
    or line break either: ``a\\nb.txt``), at most ``MAX_SOURCE_CHARS``. The client chose
    neither, so the error says how to go on."""
    problem = control_problem(name, one_line=True)
    if problem is None and len(name) > MAX_SOURCE_CHARS:
        problem = f"has {len(name):,} characters, more than the {MAX_SOURCE_CHARS:,} of a source"
    if problem is not None:
        raise InvalidInput(
            f"source: the upload's file name {name[:100]!r}, its source when no 'source' "
            f"field is given, {problem}; send a 'source' field or rename the file"
        )
    return name


def decode_upload(raw: bytes, *, name: str = "upload", content_type: str | None = None) -> str:
    """Strict UTF-8: guessing another encoding would silently corrupt quoted citations.
    ``content_type``: what an upload declared (a charset other than UTF-8 is not read)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise not_utf8(name, raw, error, content_type) from None


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16's: it opens with the same two bytes
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _wide_unicode(raw: bytes) -> str | None:
    """The encoding (UTF-16 or UTF-32) whose byte-order mark ``raw`` opens with, or None."""
    return next((name for bom, name in _WIDE_BOMS if raw.startswith(bom)), None)


def _charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, lower-case (None if not given)."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower() or None
    return None


def not_utf8(
    name: str,
    raw: bytes,
    error: UnicodeDecodeError | None = None,
    content_type: str | None = None,
) -> UnsupportedFormat:
    """The refusal (415) of a file or upload whose bytes are not UTF-8: it says that UTF-8 is
    the one encoding read, where the first byte that is not UTF-8 stands (or which encoding a
    byte-order mark shows), and that a declared charset other than UTF-8 is not read."""
    wide = _wide_unicode(raw)
    if wide is not None:
        where = f"it is {wide}, by its byte-order mark"
    elif error is not None:
        where = f"byte 0x{raw[error.start]:02x} at position {error.start:,} is not UTF-8"
    else:
        where = "its bytes are not UTF-8"
    charset = _charset(content_type)
    if charset is not None and charset.replace("-", "").replace("_", "") != "utf8":
        where += f", and its declared charset={charset[:40]} is not read"
    return UnsupportedFormat(
        f"{name} is not UTF-8 text: {where}. Articles are read as UTF-8 only: save the file "
        f"as UTF-8 (for example iconv -f {wide or 'WINDOWS-1252'} -t UTF-8) and send it again"
    )
