"""Bad input gets a 4xx with a JSON body that says what is wrong; the index stays intact."""

import gzip
import unicodedata

import pytest
from fastapi.testclient import TestClient

from tests.helpers.checks import index_state


def _assert_clear_error(response, status: int, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert "detail" in body and body.get("type"), body
    text = str(body["detail"]).lower()
    for word in words:
        assert word in text, body


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question(client: TestClient, question: str) -> None:
    _assert_clear_error(client.post("/v1/ask", json={"question": question}), 422, "question")


def test_question_too_long(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "Wer " * 600})
    _assert_clear_error(response, 422, "2000")


def test_the_question_limit_counts_characters_after_nfc(client: TestClient) -> None:
    # Found by a black-box bug hunt: a question of 2000 characters typed decomposed (NFD:
    # "ä" as a + combining diaeresis, 2600 code points) was refused as too long.
    at_limit = ("Ärger über Zölle " * 200)[:1999] + "?"
    assert len(at_limit) == 2000
    nfd = unicodedata.normalize("NFD", at_limit)
    assert len(nfd) > 2000
    for path, body in (
        ("/v1/ask", {"question": nfd}),
        ("/v1/chat", {"message": nfd}),
        (
            "/v1/chat/completions",
            {"model": "qa-service", "messages": [{"role": "user", "content": nfd}]},
        ),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 200, (path, response.text[:300])
    over = unicodedata.normalize("NFD", at_limit + "x")
    _assert_clear_error(client.post("/v1/ask", json={"question": over}), 422, "2000")
    _assert_clear_error(client.post("/v1/chat", json={"message": over}), 422, "2000")


def test_missing_question(client: TestClient) -> None:
    _assert_clear_error(client.post("/v1/ask", json={"top_k": 3}), 422, "question")


def test_bad_top_k(client: TestClient) -> None:
    _assert_clear_error(client.post("/v1/ask", json={"question": "Wer?", "top_k": 0}), 422, "top_k")


def test_malformed_json(client: TestClient) -> None:
    # Found by a black-box bug hunt: /v1/documents said "InvalidInput" where every other
    # route says "ValidationError" with a "json_invalid" problem.
    answers = []
    for path in ("/v1/ask", "/v1/chat", "/v1/documents"):
        response = client.post(
            path, content=b'{"text": not json', headers={"content-type": "application/json"}
        )
        _assert_clear_error(response, 422, "json")
        answers.append(response.json())
    for body in answers:
        assert body["type"] == "ValidationError", body
        assert [(p["type"], p["loc"]) for p in body["detail"]] == [("json_invalid", ["body", 9])]
    assert client.get("/health").json()["documents"] == 2


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_article(client: TestClient, text: str) -> None:
    before = index_state(client)
    response = client.post("/v1/documents", json={"id": "leer", "text": text})
    assert response.status_code == 422, response.text
    assert "text" in str(response.json()["detail"]).lower() or "empty" in str(response.json())
    assert index_state(client) == before


@pytest.mark.parametrize("text", ["😀😀😀", "?!. ---", "👨‍👩‍👧 …"])
def test_article_without_words(client: TestClient, text: str) -> None:
    # Found by a black-box bug hunt: "😀😀😀" was stored and then cited as the answer to
    # "aaaa…" and "1234567890" (dense similarity finds something close to anything).
    before = index_state(client)
    response = client.post("/v1/documents", json={"text": text})
    _assert_clear_error(response, 422, "no words")
    upload = client.post(
        "/v1/documents", files={"file": ("emoji.txt", text.encode(), "text/plain")}
    )
    _assert_clear_error(upload, 422, "no words")
    assert index_state(client) == before


def test_article_of_only_boilerplate(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"text": "<div></div>\n\nhttps://example.org"})
    assert response.status_code == 422
    assert client.get("/health").json()["documents"] == 2


NOT_UTF8_TEXT = "Die Ukraine erhält Unterstützung aus Brüssel."


@pytest.mark.parametrize(
    ("name", "raw", "content_type", "words"),
    [
        ("a.txt", NOT_UTF8_TEXT.encode("latin-1"), "text/plain", ("0xe4 at position 15",)),
        # The upload's name, not "upload"; the declared charset is said not to be read.
        (
            "bericht.md",
            ("# Hilfe\n\n" + NOT_UTF8_TEXT).encode("cp1252"),
            "text/markdown; charset=windows-1252",
            ("'bericht.md'", "charset=windows-1252 is not read"),
        ),
        # A UTF-16 file used to be called "binary" (without an extension) or refused for
        # its byte 0xff: it is text in another encoding, and the error says which.
        ("notiz", NOT_UTF8_TEXT.encode("utf-16"), "text/plain", ("'notiz'", "is utf-16")),
        ("a.txt", NOT_UTF8_TEXT.encode("utf-16"), "text/plain", ("is utf-16",)),
        ("notiz", NOT_UTF8_TEXT.encode("latin-1"), "text/plain", ("0xe4",)),
    ],
    ids=["latin-1", "declared-cp1252", "utf-16-no-extension", "utf-16", "latin-1-no-extension"],
)
def test_non_utf8_upload(
    client: TestClient, name: str, raw: bytes, content_type: str, words: tuple[str, ...]
) -> None:
    """A 415 that says the file is not UTF-8, where, and that UTF-8 is what is read."""
    before = index_state(client)
    response = client.post("/v1/documents", files={"file": (name, raw, content_type)})
    _assert_clear_error(response, 415, "not utf-8 text", "read as utf-8 only", *words)
    assert index_state(client) == before


@pytest.mark.parametrize(
    "name, data, content_type, words",
    [
        ("a.pdf", "Ein Satz über Kleinhausen.".encode(), "application/pdf", ("not a pdf",)),
        ("a.pdf", "Ein Satz über Kleinhausen.".encode(), "text/plain", ("not a pdf",)),
        ("a.txt", "Ein Satz über Kleinhausen.".encode(), "application/pdf", ("not a pdf",)),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf", ("is a pdf",)),
    ],
)
def test_a_declared_pdf_is_a_clear_415_and_never_stored(
    client: TestClient, name: str, data: bytes, content_type: str, words: tuple[str, ...]
) -> None:
    # Found by a black-box bug hunt: "a.pdf" whose bytes are plain text was ingested as text.
    before = index_state(client)
    response = client.post("/v1/documents", files={"file": (name, data, content_type)})
    _assert_clear_error(response, 415, *words)
    assert response.json()["type"] == "UnsupportedFormat"
    assert index_state(client) == before


def test_upload_without_file(client: TestClient) -> None:
    response = client.post("/v1/documents", data={"id": "x"}, files={"other": ("a.txt", b"x")})
    _assert_clear_error(response, 422, "file")


def test_invalid_document_id(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"id": "../etc/passwd", "text": "Ein Satz."})
    _assert_clear_error(response, 422, "id")


def test_unknown_document(client: TestClient) -> None:
    _assert_clear_error(client.get("/v1/documents/nope"), 404, "nope")
    _assert_clear_error(client.delete("/v1/documents/nope"), 404, "nope")


def test_an_id_no_document_can_have_is_not_echoed_whole(client: TestClient) -> None:
    # Found by a black-box bug hunt: a 5,000-character id came back whole in the 404.
    long_id = "a" * 5000
    for response in (
        client.get(f"/v1/documents/{long_id}"),
        client.delete(f"/v1/documents/{long_id}"),
    ):
        _assert_clear_error(response, 422, "128")
        assert len(response.text) < 500, response.text
    assert client.get("/health").json()["documents"] == 2


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/ask", "/v1/chat"])
def test_a_number_python_cannot_read_is_a_clear_error(client: TestClient, path: str) -> None:
    # Found by a black-box bug hunt: an integer of 5,000 digits anywhere in the JSON body of
    # POST /v1/documents was a 500 (Python reads at most 4,300); elsewhere a 400 that blamed
    # UTF-8 and nesting; then a 400 on /v1/ask and /v1/chat, a 422 on /v1/documents.
    before = index_state(client)
    body = '{"text": "Ein Satz.", "question": "Wer?", "message": "Wer?", "n": ' + "9" * 5000 + "}"
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["type"] == "json_invalid" and problem["loc"] == ["body", body.index("9")]
    assert "4,300 digits" in problem["ctx"]["error"], problem
    assert index_state(client) == before


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [("get", "/v1/nothing-here", "NotFound"), ("delete", "/v1/ask", "MethodNotAllowed")],
)
def test_errors_of_the_http_layer_say_their_type(
    client: TestClient, method: str, path: str, kind: str
) -> None:
    response = getattr(client, method)(path)
    assert response.json()["type"] == kind, response.text
    assert response.json()["detail"]


def test_a_broken_multipart_upload_is_a_typed_400(client: TestClient) -> None:
    # Found by a black-box bug hunt: Starlette's multipart errors had no "type".
    response = client.post(
        "/v1/documents",
        content=b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
        headers={"content-type": "multipart/form-data"},  # no boundary
    )
    _assert_clear_error(response, 400, "boundary")


def test_wrong_types(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"text": 42})
    _assert_clear_error(response, 422, "text")
    response = client.post("/v1/documents", json=["not", "an", "object"])
    assert response.status_code == 422


def test_paging_beyond_64_bits_is_refused_not_a_crash(client: TestClient) -> None:
    # Found by the schemathesis run (tests/api/test_fuzz.py): SQLite overflowed with a 500.
    huge = client.get("/v1/documents", params={"offset": 10**25})
    _assert_clear_error(huge, 422, "offset")
    far = client.get("/v1/documents", params={"offset": 2**62})
    assert far.status_code == 200 and far.json()["items"] == []


@pytest.mark.parametrize(
    ("body", "headers", "words"),
    [
        # Found by a black-box bug hunt: each was a 400 that blamed nesting and digits.
        (
            gzip.compress(b'{"question": "Wer?"}'),
            {"content-type": "application/json", "content-encoding": "gzip"},
            ("content-encoding", "gzip"),
        ),
        (
            '{"question": "Wer leitete das Treffen in Brüssel?"}'.encode("latin-1"),
            {"content-type": "application/json; charset=latin-1"},
            ("utf-8", "latin-1"),
        ),
        (
            '{"question": "Wer leitete das Treffen in Brüssel?"}'.encode("latin-1"),
            {"content-type": "application/json"},
            ("utf-8",),
        ),
    ],
)
def test_a_compressed_or_not_utf8_body_is_415(
    client: TestClient, body: bytes, headers: dict[str, str], words: tuple[str, ...]
) -> None:
    for path in ("/v1/ask", "/v1/documents"):
        _assert_clear_error(client.post(path, content=body, headers=headers), 415, *words)
    response = client.post("/v1/chat/completions", content=body, headers=headers)
    assert response.status_code == 415 and "utf-8" in response.json()["error"]["message"].lower()
    ok = {"content-type": "application/json; charset=UTF-8", "content-encoding": "identity"}
    assert client.post("/v1/ask", json={"question": "Wer?"}, headers=ok).status_code == 200


@pytest.mark.parametrize("top_k", ["3", True, 2.5, "three"])
@pytest.mark.parametrize(("path", "field"), [("/v1/ask", "question"), ("/v1/chat", "message")])
def test_top_k_is_a_json_integer(client: TestClient, path: str, field: str, top_k: object) -> None:
    # Found by a black-box bug hunt: "3" was read as 3 and true as 1.
    response = client.post(path, json={field: "Wer leitete das Treffen?", "top_k": top_k})
    _assert_clear_error(response, 422, "top_k")
    assert response.json()["type"] == "ValidationError"


def test_top_k_as_a_number_still_works(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "Wer leitete das Treffen?", "top_k": 2})
    assert response.status_code == 200 and len(response.json()["passages"]) <= 2


@pytest.mark.parametrize(
    ("name", "content_type", "words"),
    [
        ("evil.exe", "text/plain", (".exe", ".txt, .md or .html")),
        ("bericht.docx", "application/octet-stream", (".docx",)),
        ("noext", "application/octet-stream", ("no extension", "text/plain")),
        ("noext", "", ("no extension",)),
    ],
)
def test_an_upload_of_an_unknown_format_is_a_415(
    client: TestClient, name: str, content_type: str, words: tuple[str, ...]
) -> None:
    # Found by a black-box bug hunt: evil.exe and noext were read as text (README lists
    # .txt, .md, .html and 415 for the rest).
    before = index_state(client)
    data = "Die Stadt Kleinhausen baut eine neue Brücke.".encode()
    response = client.post("/v1/documents", files={"file": (name, data, content_type)})
    _assert_clear_error(response, 415, *words)
    assert response.json()["type"] == "UnsupportedFormat"
    assert index_state(client) == before


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("title", "Wahl \x1b[2J\x1b]0;pwned\x07 in Kleinhausen", ("title", "u+001b", "esc")),
        ("source", "https://news.example/\x07", ("source", "u+0007")),
        ("title", "Wahl\x00", ("title", "u+0000")),
    ],
)
def test_control_characters_in_title_or_source_are_422(
    client: TestClient, field: str, value: str, words: tuple[str, ...]
) -> None:
    # Found by a black-box bug hunt: an ESC sequence in a title was stored and printed raw
    # by `qa-service ask`, rewriting the terminal.
    before = index_state(client)
    text = "Die Stadt Kleinhausen wählte am Dienstag Anna Vogel zur Bürgermeisterin."
    response = client.post("/v1/documents", json={"text": text, field: value})
    _assert_clear_error(response, 422, *words)
    upload = {"file": ("a.txt", text.encode(), "text/plain")}
    response = client.post("/v1/documents", files=upload, data={field: value})
    assert response.status_code == 422 and "U+00" in response.text, response.text
    assert index_state(client) == before


def test_tabs_and_newlines_in_a_title_are_not_control_characters(client: TestClient) -> None:
    body = {"id": "tabs", "title": "Wahl\tin\r\nKleinhausen", "text": "Anna Vogel gewann die Wahl."}
    assert client.post("/v1/documents", json=body).status_code == 201
    assert client.delete("/v1/documents/tabs").status_code == 204


def test_a_truncated_multipart_body_is_called_truncated(client: TestClient) -> None:
    """L11: cut before its closing boundary, the body has a 'file' field that never ended."""
    boundary = "edges2-boundary"
    whole = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="notiz.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "Der Stadtrat tagt am Freitag im Rathaus.\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    cut = client.post("/v1/documents", content=whole[:-30], headers=headers)
    assert cut.status_code == 422
    assert "ends before its closing boundary" in cut.json()["detail"]
    no_file = whole.replace(b'name="file"; filename="notiz.txt"', b'name="title"')
    missing = client.post("/v1/documents", content=no_file, headers=headers)
    assert missing.status_code == 422 and "needs a 'file' field" in missing.json()["detail"]
    sent = client.post("/v1/documents", content=whole, headers=headers)
    assert sent.status_code == 201, sent.text
    client.delete(f"/v1/documents/{sent.json()['id']}")
