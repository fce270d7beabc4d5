"""Uploads and document posts over real HTTP (a served process): the findings of HUNT12."""

import httpx
import pytest

pytestmark = pytest.mark.slow  # a real server (the session's)

TURM = (
    "Der Turm von Hochstadt wurde am Montag nach zwei Jahren Renovierung wieder geöffnet.\n"
    "Besucher können ihn ab Juli besteigen.\n"
)


def _upload(http: httpx.Client, text: str, name: str = "turm.txt", **data: str) -> httpx.Response:
    return http.post(
        "/v1/documents", files={"file": (name, text.encode(), "text/plain")}, data=data
    )


def test_a_file_title_and_name_never_replace_what_was_given(http: httpx.Client) -> None:
    # HUNT12 M1: an upload without title/source replaced the given ones with the file's first
    # line and name, and the same text again said "updated": true.
    given = {"title": "Turm wieder offen", "source": "https://zeitung.example/turm"}
    first = _upload(http, TURM, id="turm", published_at="2025-06-02", **given)
    assert first.status_code == 201, first.text
    try:
        again = _upload(http, TURM, id="turm")
        assert again.status_code == 200, again.text
        assert (again.json()["created"], again.json()["updated"]) == (False, False)
        # Without an id and under another file name: the same document, left as it was.
        unnamed = _upload(http, TURM, name="kopie.txt")
        assert unnamed.json()["id"] == "turm" and unnamed.json()["updated"] is False
        stored = http.get("/v1/documents/turm").json()
        assert {k: stored[k] for k in given} == given and stored["published_at"] == "2025-06-02"
        # New text without a title keeps the given title and source too.
        newer = _upload(http, TURM + "Der Eintritt ist frei.\n", name="turm2.txt", id="turm")
        assert newer.json()["updated"] is True, newer.text
        stored = http.get("/v1/documents/turm").json()
        assert {k: stored[k] for k in given} == given
    finally:
        http.delete("/v1/documents/turm")


def test_a_file_title_and_name_fill_in_what_is_missing(http: httpx.Client) -> None:
    # JSON text without a title or source, then the file: its name becomes the source, the
    # title found in the text stays.
    posted = http.post("/v1/documents", json={"id": "turm-json", "text": TURM})
    assert posted.status_code == 201, posted.text
    try:
        stored = http.get("/v1/documents/turm-json").json()
        assert stored["source"] is None and stored["title"].startswith("Der Turm von Hochstadt")
        again = _upload(http, TURM, id="turm-json")
        assert again.json()["updated"] is True, again.text
        assert http.get("/v1/documents/turm-json").json()["source"] == "turm.txt"
        # A page's own title, sent as JSON text, does not replace a given one either.
        page = (
            "<!doctype html><html><head><title>Seitentitel</title></head><body>"
            "<p>Der Turm von Hochstadt ist wieder offen. Besucher kommen ab Juli.</p></body></html>"
        )
        body = {"id": "turm-page", "text": page, "title": "Gegeben"}
        assert http.post("/v1/documents", json=body).status_code == 201
        again = http.post("/v1/documents", json={"id": "turm-page", "text": page})
        assert again.json()["updated"] is False, again.text
        assert http.get("/v1/documents/turm-page").json()["title"] == "Gegeben"
    finally:
        http.delete("/v1/documents/turm-json")
        http.delete("/v1/documents/turm-page")


def test_an_unknown_json_field_is_refused_by_name(http: httpx.Client) -> None:
    # HUNT12 L2: a misspelled "titel" was dropped without a word (201), as an upload's is not.
    sent = {"id": "titel", "text": TURM, "titel": "Turm wieder offen"}
    response = http.post("/v1/documents", json=sent)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "titel"] and problem["type"] == "extra_forbidden", problem
    assert http.get("/v1/documents/titel").status_code == 404
    # The OpenAI-compatible route keeps taking fields it does not know.
    chat = {"model": "qa-service", "messages": [{"role": "user", "content": "Hallo?"}]}
    assert http.post("/v1/chat/completions", json={**chat, "user": "x"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "unknown"),
    [
        ("/v1/ask", {"question": "Wann wurde der Turm geöffnet?", "topk": 2}, "topk"),
        (
            "/v1/chat",
            {"message": "Wann wurde der Turm geöffnet?", "conversationId": "a"},
            "conversationId",
        ),
    ],
)
def test_ask_and_chat_refuse_an_unknown_field_by_name(
    http: httpx.Client, path: str, body: dict[str, object], unknown: str
) -> None:
    # HUNT13 A: a misspelled "conversationId" started a new conversation without a word.
    response = http.post(path, json=body)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", unknown] and problem["type"] == "extra_forbidden", problem


def test_new_metadata_for_the_same_text_keeps_its_format(http: httpx.Client) -> None:
    # HUNT12 L3: a JSON re-post with only new metadata dropped an upload's "format".
    made = _upload(http, "# Turm\n\n" + TURM, name="turm.md", id="turm-md")
    assert made.status_code == 201, made.text
    try:
        text = http.get("/v1/documents/turm-md").json()["text"]  # as stored: no "#"
        again = http.post(
            "/v1/documents",
            json={"id": "turm-md", "text": text, "metadata": {"ressort": "Lokales"}},
        )
        assert again.status_code == 200 and again.json()["updated"] is True, again.text
        stored = http.get("/v1/documents/turm-md").json()
        assert stored["metadata"] == {"format": "markdown", "ressort": "Lokales"}, stored
    finally:
        http.delete("/v1/documents/turm-md")


def test_a_json_re_post_says_the_format_its_text_is_read_as(http: httpx.Client) -> None:
    """The rule for ``format`` in a JSON re-post of an upload's text (README): it is the
    service's record of how it read the text, and a JSON body's text is read as plain text.
    GET's metadata sent back as it is (``"format": "markdown"``) is refused, naming the key;
    left out, the stored format stays; ``"text"`` records the text as read from JSON. The
    upload's format comes back only with the file: a JSON body cannot claim it."""
    made = _upload(http, "# Turm\n\n" + TURM, name="turm.md", id="turm-fmt")
    assert made.status_code == 201, made.text
    try:
        stored = http.get("/v1/documents/turm-fmt").json()
        assert stored["metadata"] == {"format": "markdown"}, stored
        echo = {"id": "turm-fmt", "text": stored["text"], "metadata": stored["metadata"]}
        refused = http.post("/v1/documents", json=echo)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith("metadata.format:"), refused.text
        assert "leave the key out" in refused.json()["detail"]
        kept = http.post("/v1/documents", json={**echo, "metadata": {"ressort": "Lokales"}})
        assert kept.status_code == 200 and kept.json()["updated"] is True, kept.text
        assert http.get("/v1/documents/turm-fmt").json()["metadata"]["format"] == "markdown"
        as_text = http.post("/v1/documents", json={**echo, "metadata": {"format": "text"}})
        assert as_text.status_code == 200 and as_text.json()["updated"] is True, as_text.text
        assert http.get("/v1/documents/turm-fmt").json()["metadata"] == {"format": "text"}
        assert http.post("/v1/documents", json=echo).status_code == 422  # not restored so
        again = _upload(http, "# Turm\n\n" + TURM, name="turm.md", id="turm-fmt")
        assert again.status_code == 200 and again.json()["created"] is False, again.text
        restored = http.get("/v1/documents/turm-fmt").json()
        assert restored["metadata"] == {"format": "markdown"}, restored  # the file's metadata
        assert restored["text"] == stored["text"]
    finally:
        http.delete("/v1/documents/turm-fmt")


def test_a_quote_in_a_file_name_is_stored_as_sent(http: httpx.Client) -> None:
    # HUNT12 L1: httpx and browsers send '"' in a file name as %22: it was stored so.
    made = _upload(http, TURM, name='Turm "offen".txt', id="turm-quote")
    assert made.status_code == 201, made.text
    try:
        assert http.get("/v1/documents/turm-quote").json()["source"] == 'Turm "offen".txt'
    finally:
        http.delete("/v1/documents/turm-quote")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_json_body_in_utf_16_or_32_is_refused(http: httpx.Client, encoding: str) -> None:
    # HUNT12 L8: /v1/ask answered a UTF-16 body, while the README takes UTF-8 only.
    for path, body in (
        ("/v1/ask", '{"question": "Wann öffnet der Turm?"}'),
        ("/v1/documents", '{"id": "wide", "text": "Der Turm ist offen."}'),
    ):
        response = http.post(
            path, content=body.encode(encoding), headers={"content-type": "application/json"}
        )
        assert response.status_code == 415, response.text
        assert response.json() == {
            "detail": "the request body is not UTF-8: send JSON encoded in UTF-8, uncompressed",
            "type": "UnsupportedMediaType",
        }
    assert http.get("/v1/documents/wide").status_code == 404


ZOO_MD = (
    "# Zoo Seehausen\n\nDer Zoo Seehausen hat im Sommer neue Gehege eröffnet.\n\n"
    "| Tier | Anzahl |\n|---|---:|\n| Giraffen | 7 |\n| Erdmännchen | 12 |\n"
)
ZOO_HTML = (
    "<html><head><title>Zoo Seehausen</title></head><body><h1>Zoo Seehausen</h1>"
    "<p>Der Zoo Seehausen hat im Sommer neue Gehege eröffnet.</p><table>"
    "<tr><th>Tier</th><th>Anzahl</th></tr><tr><td>Giraffen</td><td>7</td></tr>"
    "<tr><td>Erdmännchen</td><td>12</td></tr></table></body></html>"
)


@pytest.mark.parametrize(("name", "content"), [("zoo.md", ZOO_MD), ("zoo.html", ZOO_HTML)])
def test_a_table_row_is_quoted_as_a_line_without_markup(
    http: httpx.Client, name: str, content: str
) -> None:
    # fix16: a Markdown table was stored as its "| a | b |" source and "|---|" line and quoted
    # so; an HTML table's cells ran together ("Giraffen 7"). Uploaded either way, a row is
    # one line of the stored text, cited exactly, and the same file again adds nothing.
    first = _upload(http, content, name=name, id="zoo-table")
    assert first.status_code == 201, first.text
    try:
        stored = http.get("/v1/documents/zoo-table").json()
        assert stored["text"].split("\n\n")[2:] == [
            "• Tier · Anzahl",
            "• Giraffen · 7",
            "• Erdmännchen · 12",
        ], stored["text"]
        body = http.post("/v1/ask", json={"question": "Wie viele Erdmännchen hat der Zoo?"})
        citations = [c for c in body.json()["citations"] if c["document_id"] == "zoo-table"]
        assert any("Erdmännchen · 12" in c["quote"] for c in citations), body.json()
        for c in citations:
            assert stored["text"][c["start"] : c["end"]] == c["quote"], c
            assert "|" not in c["quote"] and "---" not in c["quote"], c
        count = http.get("/v1/documents").json()["total"]
        again = _upload(http, content, name=name)
        assert again.status_code == 200, again.text
        assert (again.json()["id"], again.json()["created"], again.json()["updated"]) == (
            "zoo-table",
            False,
            False,
        )
        assert http.get("/v1/documents").json()["total"] == count
    finally:
        http.delete("/v1/documents/zoo-table")


def test_a_multipart_content_type_in_capitals_is_an_upload(http: httpx.Client) -> None:
    # Found by hunt17: media types are case-insensitive (RFC 9110 8.3.1) and the edge let
    # "Multipart/Form-Data" through, but the route read the body as JSON: 422 json_invalid
    # "Expecting value" for a well-formed upload ("Application/JSON" was read fine).
    body = (
        b"--x\r\n"
        b'Content-Disposition: form-data; name="file"; filename="kapitale.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + TURM.encode() + b"\r\n"
        b'--x\r\nContent-Disposition: form-data; name="id"\r\n\r\nturm-gross\r\n--x--\r\n'
    )
    sent = http.post(
        "/v1/documents", content=body, headers={"content-type": "Multipart/Form-Data; boundary=x"}
    )
    try:
        assert sent.status_code == 201, sent.text
        stored = http.get("/v1/documents/turm-gross").json()
        assert stored["text"] == TURM and stored["source"] == "kapitale.txt", stored
    finally:
        http.delete("/v1/documents/turm-gross")
