"""What a file is, and reading its bytes as UTF-8 only."""

import pytest

from qa_service.errors import UnsupportedFormat
from qa_service.ingest.formats import decode_upload, detect_format


@pytest.mark.parametrize(
    "filename, data, expected",
    [
        ("a.txt", b"<html>", "text"),
        ("a.TEXT", b"x", "text"),
        ("a.md", b"# x", "markdown"),
        ("a.markdown", "x", "markdown"),
        ("a.htm", b"x", "html"),
        ("a.html", b"x", "html"),
        ("upload", b"\xef\xbb\xbf<!DOCTYPE html><html></html>", "html"),
        ("upload.dat", "  <html lang='de'>", "html"),
        ("notes", b"Nur ein Satz.", "text"),
    ],
)
def test_detect_format(filename: str, data: bytes | str, expected: str) -> None:
    assert detect_format(filename, data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n\x00\x01\x02",
        b"\xff\xd8\xff\xe0JFIF",
        # found by a black-box bug hunt: a PDF or RTF file in plain ASCII was stored as text
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n",
        b"{\\rtf1\\ansi Ein Satz.}",
    ],
)
def test_detect_format_refuses_binary(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat):
        detect_format("scan.pdf", data)


@pytest.mark.parametrize(
    "filename, content_type",
    [
        ("a.pdf", None),
        ("A.PDF", "text/plain"),
        ("upload", "application/pdf"),
        ("a.txt", "application/pdf; x=1"),
    ],
)
def test_a_declared_pdf_that_is_not_one_is_refused(filename: str, content_type: str | None) -> None:
    # Found by a black-box bug hunt: "a.pdf" holding plain text was stored as text.
    with pytest.raises(UnsupportedFormat, match=r"is not a PDF.*no %PDF- header"):
        detect_format(filename, b"Ein Satz, kein PDF.", content_type)


def test_a_real_pdf_is_refused_as_a_pdf() -> None:
    for data in (b"%PDF-1.7\n\x00\x01\x02", b"\xef\xbb\xbf%PDF-1.4\n1 0 obj\n"):
        with pytest.raises(UnsupportedFormat, match=r"is a PDF; PDFs are not read"):
            detect_format("scan.pdf", data, "application/pdf")


def test_decode_upload_strips_bom_and_refuses_bad_bytes() -> None:
    assert decode_upload("\ufeffÄrger".encode()) == "Ärger"
    with pytest.raises(UnsupportedFormat, match="is not UTF-8 text: byte 0xc4 at position 0"):
        decode_upload("Ärger".encode("latin-1"))


PDF = b"%PDF-1.1\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"


@pytest.mark.parametrize(
    "filename, data, content_type",
    [
        ("r.txt", PDF, None),  # HUNT9 L2: stored as article text, titled "%PDF-1.1"
        ("r.md", b"\xef\xbb\xbf \n" + PDF, "text/markdown"),
        ("r.html", PDF, "text/html"),
        ("upload", PDF, "text/plain"),
        ("r.txt", PDF.decode(), None),  # the CLI passes decoded text
        # HUNT10 L2: invisible marks before the header, as a BOM was skipped already.
        ("r.txt", "\u200b".encode() + PDF, None),
        ("r.txt", "\ufeff\u200b\n" + PDF.decode(), None),
        ("upload", "\u2060".encode() + PDF, "text/plain"),
    ],
)
def test_a_pdf_under_a_text_name_or_type_is_refused_as_a_pdf(
    filename: str, data: bytes | str, content_type: str | None
) -> None:
    with pytest.raises(UnsupportedFormat, match=r"is a PDF; PDFs are not read"):
        detect_format(filename, data, content_type)


def test_a_text_that_only_mentions_the_pdf_header_is_text() -> None:
    text = "Eine PDF-Datei beginnt mit %PDF-1.7, sagte der Experte.\n"
    assert detect_format("pdf.txt", text.encode()) == "text"
