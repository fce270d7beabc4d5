"""A multipart upload's fields: the known ones are read (``metadata`` as JSON, as in the JSON
body), anything else is refused by name instead of dropped. A real `serve` process in each
storage mode, the real model, real HTTP."""

import json

import httpx
import pytest

pytestmark = pytest.mark.slow

ARTICLE = (
    "Neue Brücke in Kleinhausen\n\nDie Stadt Kleinhausen baut eine neue Brücke über den "
    "Fluss. Sie soll im Jahr 2027 fertig sein und 12 Millionen Euro kosten."
)
UPLOAD = ("bruecke.txt", ARTICLE.encode(), "text/plain")


def _refused(
    served: httpx.Client, files: list, data: dict | None, *words: str, kind: str = "InvalidInput"
) -> None:
    before = served.get("/v1/documents").json()["total"]
    response = served.post("/v1/documents", files=files, data=data)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == kind, body
    for word in words:
        assert word in str(body["detail"]), body
    assert served.get("/v1/documents").json()["total"] == before  # nothing stored


def test_a_second_file_under_another_name_is_refused(served: httpx.Client) -> None:
    # Found by a black-box bug hunt: "file2" was dropped without a word (201).
    second = ("b.txt", b"Der Hafen von Seestadt wurde 1890 gebaut.", "text/plain")
    _refused(served, [("file", UPLOAD), ("file2", second)], None, "'file2'", "a file")
    _refused(served, [("file2", second)], None, "'file2'")  # and not "needs a 'file'"


def test_unknown_and_repeated_fields_are_refused_by_name(served: httpx.Client) -> None:
    _refused(served, [("file", UPLOAD)], {"autor": "Anna Vogel"}, "'autor'", "a field", "title")
    _refused(served, [("file", UPLOAD)], {"text": "Ein Satz."}, "'text'")  # the file is the text
    _refused(served, [("file", UPLOAD), ("title", UPLOAD)], None, "'title'", "not a file")
    _refused(served, [("file", UPLOAD)], {"title": ["Eins", "Zwei"]}, "'title'", "2 times")


def test_metadata_is_a_json_object(served: httpx.Client) -> None:
    _refused(served, [("file", UPLOAD)], {"metadata": "{ressort: Politik}"}, "metadata", "JSON")
    _refused(
        served,
        [("file", UPLOAD)],
        {"metadata": '["Politik"]'},
        "metadata",
        "dictionary",
        kind="ValidationError",
    )
    _refused(
        served,
        [("file", UPLOAD)],
        {"metadata": '{"a": "\\u0000"}'},
        "metadata.a",
        kind="InvalidText",
    )
    metadata = {"ressort": "Politik", "tags": ["Brücke", "Haushalt"], "seiten": 2}
    response = served.post(
        "/v1/documents",
        files=[("file", UPLOAD)],
        data={"id": "bruecke", "title": "Brückenbau", "metadata": json.dumps(metadata)},
    )
    assert response.status_code == 201, response.text
    doc = served.get("/v1/documents/bruecke").json()
    assert doc["title"] == "Brückenbau" and doc["source"] == "bruecke.txt"
    assert doc["metadata"] == {"format": "text", **metadata}, doc  # the upload's format stays
    # New metadata on the same file replaces it, as in the JSON body. An upload always
    # carries its format, so without the field (or with null) the metadata is only that.
    again = served.post(
        "/v1/documents",
        files=[("file", UPLOAD)],
        data={"id": "bruecke", "metadata": json.dumps({"ressort": "Lokales"})},
    )
    assert again.status_code == 200 and again.json()["updated"], again.text
    stored = served.get("/v1/documents/bruecke").json()["metadata"]
    assert stored == {"format": "text", "ressort": "Lokales"}, stored
    reset = served.post(
        "/v1/documents", files=[("file", UPLOAD)], data={"id": "bruecke", "metadata": "null"}
    )
    assert reset.status_code == 200 and reset.json()["updated"], reset.text
    assert served.get("/v1/documents/bruecke").json()["metadata"] == {"format": "text"}
    answer = served.post("/v1/ask", json={"question": "Wann soll die Brücke fertig sein?"})
    citation = answer.json()["citations"][0]
    assert citation["document_id"] == "bruecke" and "2027" in citation["quote"]
    assert doc["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert served.delete("/v1/documents/bruecke").status_code == 204


def _raw_upload(filename: bytes, source: str | None = None) -> tuple[bytes, dict[str, str]]:
    """A multipart body whose file name is sent as these bytes (httpx would %-escape a line
    break or NUL; a client need not), with a ``source`` field if given."""
    parts = [
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + ARTICLE.encode() + b"\r\n"
    ]
    if source is not None:
        parts.append(
            b'--XX\r\nContent-Disposition: form-data; name="source"\r\n\r\n'
            + source.encode()
            + b"\r\n"
        )
    return b"".join(parts) + b"--XX--\r\n", {"content-type": "multipart/form-data; boundary=XX"}


@pytest.mark.parametrize(
    ("filename", "code"),
    [
        (b"a\nb.txt", "U+000A (LF)"),
        (b"a\x00b.txt", "U+0000 (NUL)"),
        (b"a\x1b[31mb.txt", "U+001B (ESC)"),
        (b"a\xc2\x85b.txt", "U+0085 (NEL)"),
        (b"a\tb.txt", "U+0009 (TAB)"),
        # HUNT12 L1: as browsers and httpx send them, %-escaped, they were stored as "%0A".
        (b"a%0Ab.txt", "U+000A (LF)"),
        (b"a%0db.txt", "U+000D (CR)"),
        (b"a%00b.txt", "U+0000 (NUL)"),
    ],
)
def test_a_file_name_that_would_be_the_source_is_checked_like_one(
    served: httpx.Client, filename: bytes, code: str
) -> None:
    # Found by a black-box bug hunt: without a 'source' field the file name became the
    # source unchecked, control characters and all (a JSON body's source is refused, 422).
    before = served.get("/v1/documents").json()["total"]
    body, headers = _raw_upload(filename)
    response = served.post("/v1/documents", content=body, headers=headers)
    assert response.status_code == 422, response.text
    refused = response.json()
    assert refused["type"] == "InvalidInput" and code in refused["detail"], refused
    assert "source" in refused["detail"] and "rename" in refused["detail"], refused
    assert served.get("/v1/documents").json()["total"] == before  # nothing stored
    # With a source of its own the file name is not stored: the upload is taken.
    body, headers = _raw_upload(filename, source="Stadtanzeiger")
    taken = served.post("/v1/documents", content=body, headers=headers)
    assert taken.status_code == 201, taken.text
    doc_id = taken.json()["id"]
    assert served.get(f"/v1/documents/{doc_id}").json()["source"] == "Stadtanzeiger"
    assert served.delete(f"/v1/documents/{doc_id}").status_code == 204


@pytest.mark.parametrize(
    ("name", "page", "fmt"),
    [
        ("bruecke.html", f"<html><body><h1>Neue Brücke</h1><p>{ARTICLE}</p></body></html>", "html"),
        ("bruecke.md", f"# Neue Brücke\n\n{ARTICLE}", "markdown"),
    ],
)
def test_plain_text_replacing_an_upload_is_stored_as_text(
    served: httpx.Client, name: str, page: str, fmt: str
) -> None:
    # Found by a black-box bug hunt: JSON plain text replacing an HTML or Markdown upload kept
    # the stored metadata, "format" and all, so it still said "html" of a plain text.
    upload = (name, page.encode(), "text/plain")
    doc_id = f"bruecke-{fmt}"
    data = {"id": doc_id, "metadata": json.dumps({"ressort": "Lokales"})}
    created = served.post("/v1/documents", files=[("file", upload)], data=data)
    assert created.status_code == 201, created.text
    try:
        metadata = served.get(f"/v1/documents/{doc_id}").json()["metadata"]
        assert metadata == {"format": fmt, "ressort": "Lokales"}, metadata
        text = "Die Brücke in Kleinhausen wird teurer. Sie kostet nun 15 Millionen Euro."
        replaced = served.post("/v1/documents", json={"id": doc_id, "text": text})
        assert replaced.status_code == 200 and replaced.json()["updated"], replaced.text
        doc = served.get(f"/v1/documents/{doc_id}").json()
        assert doc["text"] == text
        assert doc["metadata"] == {"format": "text", "ressort": "Lokales"}, doc["metadata"]
        question = {"question": "Wie viel kostet die Brücke in Kleinhausen?"}
        answer = served.post("/v1/ask", json=question).json()
        citation = answer["citations"][0]
        assert citation["document_id"] == doc_id, answer
        assert doc["text"][citation["start"] : citation["end"]] == citation["quote"]
    finally:
        assert served.delete(f"/v1/documents/{doc_id}").status_code == 204
