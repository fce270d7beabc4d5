"""What a document's JSON fields mean, over real HTTP (a served process): HUNT7 L9."""

import httpx
import pytest

pytestmark = pytest.mark.slow  # a real server (the session's)

PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Wahl in Neuhausen</title></head><body>"
    "<h1>Wahl in Neuhausen</h1><p>Die Stadt Neuhausen hat am Dienstag einen neuen "
    "Bürgermeister gewählt. Mit 58 Prozent setzte sich Jonas Berger durch.</p></body></html>"
)


def _problems(response: httpx.Response) -> list[dict]:
    """The fields a 422 ``ValidationError`` names, as on every route."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "ValidationError" and isinstance(body["detail"], list), body
    return body["detail"]


def test_a_too_long_title_is_counted_in_characters(http: httpx.Client) -> None:
    for field, limit in (("title", 500), ("source", 2000)):
        response = http.post("/v1/documents", json={"text": "Ein Satz.", field: "x" * (limit + 1)})
        [problem] = _problems(response)
        assert problem["loc"] == ["body", field], problem
        assert problem["msg"] == f"String should have at most {limit} characters", problem
        assert len(problem["input"]) < 100  # an excerpt, not the whole input echoed


def test_document_validation_errors_have_the_shape_of_every_route(http: httpx.Client) -> None:
    """Found by a black-box bug hunt: /v1/documents answered a body that does not fit its
    schema with ``InvalidInput`` and one string, where the README (and /v1/ask, /v1/chat,
    /v1/keys) answer ``ValidationError`` listing each wrong field."""
    asked = _problems(http.post("/v1/ask", json={"question": 5}))
    posted = _problems(http.post("/v1/documents", json={"text": 123}))
    assert [p["loc"] for p in posted] == [["body", "text"]] and set(posted[0]) == set(asked[0])
    assert posted[0]["type"] == asked[0]["type"] == "string_type"
    several = _problems(
        http.post("/v1/documents", json={"text": 123, "title": "x" * 501, "metadata": [1]})
    )
    assert sorted(p["loc"][1] for p in several) == ["metadata", "text", "title"], several
    assert [p["loc"] for p in _problems(http.post("/v1/documents", json=[1]))] == [["body"]]
    # An upload's form fields are the JSON body's fields, named the same way.
    upload = {"file": ("a.txt", b"Ein Satz. Noch ein Satz.", "text/plain")}
    form = http.post("/v1/documents", files=upload, data={"title": "x" * 501})
    assert [p["loc"] for p in _problems(form)] == [["body", "title"]]
    assert http.get("/v1/documents/a").status_code == 404  # nothing stored


def test_a_whole_html_page_as_json_text_is_converted_like_its_upload(http: httpx.Client) -> None:
    posted = http.post("/v1/documents", json={"id": "page-json", "text": PAGE})
    assert posted.status_code == 201, posted.text
    try:
        stored = http.get("/v1/documents/page-json").json()
        assert "<" not in stored["text"] and "\n\nDie Stadt Neuhausen hat" in stored["text"]
        assert stored["title"] == "Wahl in Neuhausen" and stored["metadata"] == {"format": "html"}
        # The same bytes uploaded as a page are the very same text: refused as a duplicate.
        upload = {"file": ("page.html", PAGE.encode(), "text/html")}
        uploaded = http.post("/v1/documents", files=upload, data={"id": "page-upload"})
        assert uploaded.status_code == 409 and "'page-json'" in uploaded.text, uploaded.text
        answer = http.post(
            "/v1/ask", json={"question": "Wer wurde in Neuhausen zum Bürgermeister gewählt?"}
        ).json()
        assert "Neuhausen" in answer["answer"] and "</" not in answer["answer"]
    finally:
        http.delete("/v1/documents/page-json")


def test_other_text_with_angle_brackets_stays_as_sent(http: httpx.Client) -> None:
    text = "Der Wert <b> lag am Montag bei 3 < 4 Punkten, teilte die Stadt <html> mit."
    posted = http.post("/v1/documents", json={"id": "brackets", "text": text})
    assert posted.status_code == 201, posted.text
    try:
        assert http.get("/v1/documents/brackets").json()["text"] == text
    finally:
        http.delete("/v1/documents/brackets")


def test_c1_controls_in_title_or_source_are_refused(http: httpx.Client) -> None:
    # HUNT9 L1: U+009B (CSI) passed where ESC was refused.
    for field in ("title", "source"):
        sent = {"id": "c1", "text": "Ein Test hier. Noch ein Satz.", field: "Ti\u009b31mtel"}
        response = http.post("/v1/documents", json=sent)
        [problem] = _problems(response)
        assert "U+009B (CSI)" in problem["msg"] and problem["loc"] == ["body", field], problem
    assert http.get("/v1/documents/c1").status_code == 404


PDF = b"%PDF-1.1\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"


def test_a_pdf_is_refused_whatever_its_name_or_type(http: httpx.Client) -> None:
    # HUNT9 L2: a PDF named .txt (or sent as text/plain, or as JSON text) became an article.
    before = http.get("/v1/documents").json()["total"]
    for name, media in (("r.txt", "text/plain"), ("r", "text/plain"), ("r.md", "text/markdown")):
        response = http.post("/v1/documents", files={"file": (name, PDF, media)})
        assert response.status_code == 415, response.text
        assert response.json() == {
            "detail": f"'{name}' is a PDF; PDFs are not read: upload the article's text as "
            ".txt, .md or .html",
            "type": "UnsupportedFormat",
        }
    response = http.post("/v1/documents", json={"text": PDF.decode()})
    assert response.status_code == 415, response.text
    assert response.json()["type"] == "UnsupportedFormat"
    assert "the article text is a PDF" in response.json()["detail"]
    assert http.get("/v1/documents").json()["total"] == before


def test_metadata_format_must_be_the_format_the_text_is_read_as(http: httpx.Client) -> None:
    # HUNT9 L3: {"format": "pdf"} was stored as the format of a .txt upload.
    upload = {"file": ("a.txt", "Ein Satz über Neuhausen.".encode(), "text/plain")}
    for data, json_body in (
        ({"metadata": '{"format": "pdf"}'}, None),
        (None, {"text": "Ein Satz über Neuhausen.", "metadata": {"format": "markdown"}}),
        (None, {"text": PAGE, "metadata": {"format": "text"}}),
    ):
        if json_body is None:
            response = http.post("/v1/documents", files=upload, data=data)
        else:
            response = http.post("/v1/documents", json=json_body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("metadata.format:"), response.text
    same = http.post(
        "/v1/documents", files=upload, data={"id": "fmt", "metadata": '{"format": "text"}'}
    )
    assert same.status_code == 201, same.text
    try:
        assert http.get("/v1/documents/fmt").json()["metadata"] == {"format": "text"}
    finally:
        http.delete("/v1/documents/fmt")


def test_only_the_leading_bytes_are_sniffed_for_a_pdf(http: httpx.Client) -> None:
    # HUNT10 L1: a page whose first paragraph begins with "%PDF-" was refused (415): its
    # converted text was sniffed. L2: a zero-width space before a PDF's header hid it.
    page = (
        "<html><body><p>%PDF-1.7 ist das Format vieler Dokumente in Neuhausen.</p>"
        "<p>Die Stadtverwaltung will es bis 2027 ablösen.</p></body></html>"
    )
    for doc_id, sent in (
        ("pdf-page-upload", {"files": {"file": ("p.html", page.encode(), "text/html")}}),
        ("pdf-page-json", {"json": {"text": page}}),
    ):
        if "files" in sent:
            response = http.post("/v1/documents", data={"id": doc_id}, **sent)
        else:
            response = http.post("/v1/documents", json={"id": doc_id, **sent["json"]})
        assert response.status_code == 201, response.text
        try:
            text = http.get(f"/v1/documents/{doc_id}").json()["text"]
            assert text.startswith("%PDF-1.7 ist das Format"), text
        finally:
            assert http.delete(f"/v1/documents/{doc_id}").status_code == 204
    before = http.get("/v1/documents").json()["total"]
    for lead in ("\u200b", "\ufeff\u200b", "\u2060 "):
        response = http.post("/v1/documents", json={"text": lead + PDF.decode()})
        assert response.status_code == 415, response.text
        assert "the article text is a PDF" in response.json()["detail"]
        upload = {"file": ("r.txt", lead.encode() + PDF, "text/plain")}
        response = http.post("/v1/documents", files=upload)
        assert response.status_code == 415, response.text
        assert "'r.txt' is a PDF" in response.json()["detail"]
    assert http.get("/v1/documents").json()["total"] == before
