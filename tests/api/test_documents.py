"""Document lifecycle over HTTP: add, idempotent re-add, replace, list, get, delete."""

import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.service import QAService, build_service
from tests.helpers.checks import assert_citations_exact, index_state
from tests.helpers.embedders import MemoEmbedder

ARTICLE = (
    "Pressemitteilung vom 5. Juni 2025\n\n"
    "Die Stadt Kleinhausen hat am Dienstag einen neuen Bürgermeister gewählt. "
    "Mit 62 Prozent der Stimmen setzte sich Anna Vogel gegen zwei Mitbewerber durch. "
    "Sie tritt ihr Amt am 1. Juli an."
)
CHANGED = ARTICLE.replace("Anna Vogel", "Berta Falk")


def test_health_counts_seed_articles(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 2
    assert body["chunks"] >= 4


def test_add_is_idempotent_and_update_replaces(client: TestClient) -> None:
    before = index_state(client)
    first = client.post("/v1/documents", json={"id": "kleinhausen", "text": ARTICLE})
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True and first.json()["id"] == "kleinhausen"
    after_first = index_state(client)
    assert after_first["documents"] == before["documents"] + 1

    again = client.post("/v1/documents", json={"id": "kleinhausen", "text": ARTICLE})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert index_state(client) == after_first  # nothing duplicated

    changed = client.post("/v1/documents", json={"id": "kleinhausen", "text": CHANGED})
    assert changed.status_code == 200 and changed.json()["updated"] is True
    assert client.get("/health").json()["documents"] == after_first["documents"]
    body = client.post(
        "/v1/ask", json={"question": "Wer setzte sich mit 62 Prozent der Stimmen durch?"}
    ).json()
    assert "Berta Falk" in body["citations"][0]["quote"]
    assert all("Anna Vogel" not in c["quote"] for c in body["citations"])
    assert_citations_exact(client, body)


def test_id_is_derived_from_content(client: TestClient) -> None:
    first = client.post("/v1/documents", json={"text": ARTICLE, "title": "Kleinhausen"})
    assert first.status_code == 201
    second = client.post("/v1/documents", json={"text": ARTICLE})
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    doc = client.get(f"/v1/documents/{first.json()['id']}").json()
    assert doc["text"] == ARTICLE and doc["title"] == "Kleinhausen"


def test_same_text_under_another_id_is_rejected(client: TestClient) -> None:
    assert client.post("/v1/documents", json={"id": "a1", "text": ARTICLE}).status_code == 201
    response = client.post("/v1/documents", json={"id": "b2", "text": ARTICLE})
    assert response.status_code == 409
    assert "a1" in response.json()["detail"]


def test_same_text_without_an_id_is_the_stored_document(client: TestClient) -> None:
    """Without an id, a text stored under a chosen id is that document: never a second copy."""
    before = client.get("/health").json()["documents"]
    assert client.post("/v1/documents", json={"id": "a1", "text": ARTICLE}).status_code == 201
    again = client.post("/v1/documents", json={"text": ARTICLE})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == "a1" and again.json()["created"] is False
    assert client.get("/health").json()["documents"] == before + 1
    body = client.post("/v1/ask", json={"question": "Wer wurde Bürgermeister in Kleinhausen?"})
    cited = {c["document_id"] for c in body.json()["citations"]}
    assert "a1" in cited and not any(doc.startswith("doc-") for doc in cited), cited


def test_a_derived_id_never_overwrites_another_text(client: TestClient) -> None:
    derived = client.post("/v1/documents", json={"text": ARTICLE}).json()["id"]
    # The caller reuses that id for another text; the original text, posted again without
    # an id, must not silently replace it.
    assert client.post("/v1/documents", json={"id": derived, "text": CHANGED}).status_code == 200
    clash = client.post("/v1/documents", json={"text": ARTICLE})
    assert clash.status_code == 409, clash.text
    assert derived in clash.json()["detail"] and clash.json()["type"] == "IdConflict"
    assert client.get(f"/v1/documents/{derived}").json()["text"] == CHANGED


def test_an_id_with_a_trailing_newline_is_refused(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"id": "nope\n", "text": ARTICLE})
    assert response.status_code == 422 and "invalid document id" in response.json()["detail"]


def test_delete_removes_every_chunk(client: TestClient) -> None:
    client.post("/v1/documents", json={"id": "kleinhausen", "text": ARTICLE})
    assert client.delete("/v1/documents/kleinhausen").status_code == 204
    assert client.get("/v1/documents/kleinhausen").status_code == 404
    assert client.get("/health").json()["documents"] == 2
    body = client.post(
        "/v1/ask", json={"question": "Wer ist Bürgermeisterin von Kleinhausen?"}
    ).json()
    assert all(c["document_id"] != "kleinhausen" for c in body["citations"])
    assert all(p["document_id"] != "kleinhausen" for p in body["passages"])


def test_list_is_paged(client: TestClient) -> None:
    page = client.get("/v1/documents", params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    rest = client.get("/v1/documents", params={"offset": 1, "limit": 10}).json()
    assert len(rest["items"]) == 1
    assert page["items"][0]["id"] != rest["items"][0]["id"]
    assert "text" not in page["items"][0]


def test_get_document_returns_seed_text(client: TestClient, seed_texts: dict[str, str]) -> None:
    for doc_id, text in seed_texts.items():
        doc = client.get(f"/v1/documents/{doc_id}").json()
        assert doc["text"] == text
        assert doc["chunks"] > 0


def test_multipart_upload(client: TestClient) -> None:
    files = {
        "file": (
            "kleinhausen.md",
            ("# Wahl in Kleinhausen\n\n" + ARTICLE).encode(),
            "text/markdown",
        )
    }
    response = client.post("/v1/documents", files=files, data={"id": "wahl"})
    assert response.status_code == 201, response.text
    doc = client.get("/v1/documents/wahl").json()
    assert doc["title"] == "Wahl in Kleinhausen"
    body = client.post(
        "/v1/ask", json={"question": "Wann tritt die neue Bürgermeisterin ihr Amt an?"}
    ).json()
    assert "1. Juli" in body["citations"][0]["quote"]
    assert_citations_exact(client, body)


def test_multipart_form_fields_have_the_json_limits(client: TestClient) -> None:
    before = index_state(client)
    upload = {"file": ("a.txt", ARTICLE.encode(), "text/plain")}
    for field, value, word in [
        ("title", "T" * 10_000, "title"),
        ("published_at", "x" * 900, "published_at"),
        ("id", "a/b", "id"),
    ]:
        response = client.post("/v1/documents", files=upload, data={field: value})
        assert response.status_code == 422, response.text
        assert word in str(response.json()["detail"]), response.json()
    nameless = client.post("/v1/documents", files={"file": ("", b"Ein Satz.", "text/plain")})
    assert nameless.status_code == 422 and "file" in nameless.json()["detail"]
    assert index_state(client) == before


def test_two_files_in_one_upload_are_refused(client: TestClient) -> None:
    # Found by a black-box bug hunt: the second file was dropped without a word (201).
    before = index_state(client)
    files = [
        ("file", ("a.txt", ARTICLE.encode(), "text/plain")),
        ("file", ("b.txt", b"Der Hafen von Seestadt wurde 1890 gebaut.", "text/plain")),
    ]
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 422, response.text
    assert "one file" in response.json()["detail"], response.json()
    assert index_state(client) == before


def test_html_upload(client: TestClient) -> None:
    html = (
        "<html><head><title>Wahl</title><script>var x = 1;</script></head><body>"
        "<nav>Startseite | Politik</nav><h1>Neue Bürgermeisterin</h1>"
        "<p>Die Stadt Kleinhausen hat am Dienstag eine neue Bürgermeisterin gewählt.</p>"
        "<p>Mit 62 Prozent der Stimmen setzte sich Anna Vogel durch.</p>"
        "<footer>© Kleinhausener Bote</footer></body></html>"
    )
    response = client.post(
        "/v1/documents", files={"file": ("wahl.html", html.encode(), "text/html")}
    )
    assert response.status_code == 201, response.text
    doc = client.get(f"/v1/documents/{response.json()['id']}").json()
    assert "var x" not in doc["text"] and "<p>" not in doc["text"]
    body = client.post(
        "/v1/ask", json={"question": "Mit wie viel Prozent gewann Anna Vogel?"}
    ).json()
    assert "62 Prozent" in body["citations"][0]["quote"]
    assert_citations_exact(client, body)


def test_title_and_date_found_in_json_text(client: TestClient) -> None:
    text = "Wahl in Kleinhausen\n\n4. Juni 2025\n\n" + ARTICLE
    created = client.post("/v1/documents", json={"text": text}).json()
    doc = client.get(f"/v1/documents/{created['id']}").json()
    assert doc["title"] == "Wahl in Kleinhausen"
    assert doc["published_at"] == "2025-06-04"
    assert doc["text"] == text


def test_a_re_post_without_metadata_keeps_it(client: TestClient) -> None:
    first = {"id": "meta", "text": ARTICLE, "title": "Wahl", "metadata": {"ressort": "Lokales"}}
    assert client.post("/v1/documents", json=first).status_code == 201
    again = client.post("/v1/documents", json={"id": "meta", "text": ARTICLE})
    assert again.status_code == 200 and again.json()["updated"] is False
    doc = client.get("/v1/documents/meta").json()
    assert doc["metadata"] == {"ressort": "Lokales"} and doc["title"] == "Wahl"
    cleared = client.post("/v1/documents", json={"id": "meta", "text": ARTICLE, "metadata": {}})
    assert cleared.json()["updated"] is True
    assert client.get("/v1/documents/meta").json()["metadata"] == {}


def test_an_index_holding_an_old_duplicate_still_takes_re_posts(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before duplicates were refused both ways, a text could be stored twice; a re-post of
    either copy under its own id is still a no-op, not a 409."""
    assert client.post("/v1/documents", json={"id": "a1", "text": ARTICLE}).status_code == 201
    docs = client.app.state.service.stores.documents  # type: ignore[attr-defined]
    with monkeypatch.context() as patch:
        patch.setattr(docs, "find_by_hash", lambda digest: None)  # the old, one-way check
        assert client.post("/v1/documents", json={"id": "copy", "text": ARTICLE}).status_code == 201
    for doc_id in ("a1", "copy"):
        again = client.post("/v1/documents", json={"id": doc_id, "text": ARTICLE})
        assert again.status_code == 200 and again.json()["created"] is False, again.text


def test_new_text_keeps_what_the_re_post_leaves_out(client: TestClient) -> None:
    first = {
        "id": "meta2",
        "text": ARTICLE,
        "title": "Wahl in Kleinhausen",
        "source": "https://example.org/wahl",
        "metadata": {"author": "Anna"},
    }
    assert client.post("/v1/documents", json=first).status_code == 201
    replaced = client.post("/v1/documents", json={"id": "meta2", "text": CHANGED})
    assert replaced.json()["updated"] is True
    doc = client.get("/v1/documents/meta2").json()
    assert doc["text"] == CHANGED and doc["metadata"] == {"author": "Anna"}
    assert doc["source"] == "https://example.org/wahl" and doc["title"] == "Wahl in Kleinhausen"
    assert doc["published_at"] == "2025-06-05"  # found in the new text


def test_new_text_gets_its_own_headline_unless_the_title_was_given(client: TestClient) -> None:
    # Found by a black-box bug hunt: new text by JSON without a title kept the title found in
    # the OLD text's first line, so the article was listed under a headline it no longer has.
    body = "\n\nDie Stadt Kleinhausen hat am Dienstag gewählt. Anna Vogel setzte sich durch."
    for doc_id, title in (("found-title", None), ("given-title", "Lokalwahl 2025")):
        old = f"Wahl in Kleinhausen{body} ({doc_id})"
        new = f"Stichwahl in Kleinhausen{body} Sie gewann. ({doc_id})"
        first = client.post("/v1/documents", json={"id": doc_id, "text": old, "title": title})
        assert first.status_code == 201, first.text
        replaced = client.post("/v1/documents", json={"id": doc_id, "text": new})
        assert replaced.json()["updated"] is True, replaced.text
    assert client.get("/v1/documents/found-title").json()["title"] == "Stichwahl in Kleinhausen"
    assert client.get("/v1/documents/given-title").json()["title"] == "Lokalwahl 2025"
    # A Markdown upload's heading is found in its text as well.
    upload = ("wahl.md", ("# Wahl in Kleinhausen" + body).encode(), "text/markdown")
    made = client.post("/v1/documents", files={"file": upload}, data={"id": "md-title"})
    assert made.status_code == 201 and made.json()["created"], made.text
    assert client.get("/v1/documents/md-title").json()["title"] == "Wahl in Kleinhausen"
    client.post("/v1/documents", json={"id": "md-title", "text": "# Stichwahl" + body})
    assert client.get("/v1/documents/md-title").json()["title"] == "Stichwahl"


def test_old_mac_line_breaks_separate_the_headline(client: TestClient) -> None:
    text = "Neue Bäckerei in Flusstal\r\rDie Bäckerei öffnet am Montag. Es gibt frische Brötchen."
    assert client.post("/v1/documents", json={"id": "cr", "text": text}).status_code == 201
    doc = client.get("/v1/documents/cr").json()
    assert doc["text"] == text.replace("\r", "\n") and doc["title"] == "Neue Bäckerei in Flusstal"
    body = client.post("/v1/ask", json={"question": "Wann öffnet die Bäckerei in Flusstal?"}).json()
    assert body["citations"][0]["quote"] == "Die Bäckerei öffnet am Montag.", body["citations"][0]


def test_table_rows_are_citable_statements(client: TestClient) -> None:
    html = (
        "<html><head><title>Zoo</title></head><body><h1>Der Zoo in Seehausen</h1>"
        "<p>Der Zoo in Seehausen hat viele Tiere.</p><table><tr><th>Tier</th><th>Anzahl</th></tr>"
        "<tr><td>Giraffen</td><td>3</td></tr><tr><td>Elefanten</td><td>5</td></tr></table>"
        "<p>Er ist täglich geöffnet.</p></body></html>"
    )
    body = _upload_and_ask(client, "zoo.html", html, "Wie viele Giraffen hat der Zoo in Seehausen?")
    quotes = [c["quote"] for c in body["citations"] if c["document_id"] == "zoo"]
    assert any("Giraffen · 3" in q for q in quotes), quotes


def test_a_citation_never_quotes_a_code_block_between_its_sentences(client: TestClient) -> None:
    markdown = (
        "# Datenwerk eröffnet Rechenzentrum\n\n"
        "Die Firma Datenwerk hat in Kleinau ein Rechenzentrum eröffnet.\n\n"
        '```bash\necho "Der Geschäftsführer heißt Hacker Harald."\n```\n\n'
        "Geschäftsführerin von Datenwerk ist Sabine Roth."
    )
    body = _upload_and_ask(
        client, "datenwerk.md", markdown, "Wer ist Geschäftsführerin von Datenwerk?"
    )
    assert "Sabine Roth" in body["citations"][0]["quote"]
    assert not any("```" in c["quote"] or "Harald" in c["quote"] for c in body["citations"])
    assert "```" not in body["answer"]


def _upload_and_ask(client: TestClient, filename: str, content: str, question: str) -> dict:
    """Upload ``content`` as a file (id: the file name's stem), ask, check every span."""
    upload = {"file": (filename, content.encode(), "text/plain")}
    doc_id = filename.rsplit(".", 1)[0]
    response = client.post("/v1/documents", files=upload, data={"id": doc_id})
    assert response.status_code == 201, response.text
    body = client.post("/v1/ask", json={"question": question}).json()
    assert_citations_exact(client, body)
    return body


def test_an_article_posted_in_nfd_answers_nfc_questions(client: TestClient) -> None:
    # Found by a black-box bug hunt: decomposed umlauts (u + U+0308) were embedded and
    # keyword-indexed as posted, so "Wer ist Jürgen Müßig?" abstained; the text stays as posted
    # (citations index it), only what the embedder and the keyword index read is NFC.
    text = unicodedata.normalize(
        "NFD", "Die Bürgermeisterin von Übelstädt heißt Jürgen Müßig. Sie wurde 2017 gewählt."
    )
    posted = client.post("/v1/documents", json={"id": "nfd", "text": text})
    assert posted.status_code == 201, posted.text
    assert client.get("/v1/documents/nfd").json()["text"] == text  # stored as posted
    for question in (
        "Wer ist Jürgen Müßig?",
        "Wann wurde die Bürgermeisterin von Übelstädt gewählt?",
    ):
        body = client.post("/v1/ask", json={"question": question}).json()
        assert not body["abstained"], (question, body)
        assert body["citations"][0]["document_id"] == "nfd"
        assert_citations_exact(client, body)
    # A question typed in NFD is the same question.
    nfd_question = unicodedata.normalize("NFD", "Wer ist Jürgen Müßig?")
    body = client.post("/v1/ask", json={"question": nfd_question}).json()
    assert not body["abstained"] and body["citations"][0]["document_id"] == "nfd"


def test_a_post_whose_document_is_deleted_right_after_still_answers_201(
    client: TestClient, service: QAService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by a black-box bug hunt (a POST racing a DELETE of the same id): the route read the
    # document back after writing it and answered 404 when the DELETE landed in between. A
    # planted DELETE at exactly that moment; tests/api/test_server.py races real requests.
    add = service.documents.add

    def add_then_deleted(*args: Any, **kwargs: Any) -> Any:
        result = add(*args, **kwargs)
        service.delete_document(result.id)
        return result

    monkeypatch.setattr(service.documents, "add", add_then_deleted)
    created = client.post("/v1/documents", json={"id": "churn", "text": ARTICLE})
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "churn" and created.json()["created"] is True


@pytest.mark.parametrize(
    ("name", "content_type", "source", "fmt"),
    [
        ("../../etc/x.md", "application/octet-stream", "x.md", "markdown"),
        ("C:\\Users\\anna\\notiz.txt", "text/plain", "notiz.txt", "text"),
        ("notiz", "text/plain; charset=utf-8", "notiz", "text"),
        ("seite", "text/html", "seite", "html"),
    ],
)
def test_an_upload_keeps_the_base_name_and_takes_a_declared_text_type(
    client: TestClient, name: str, content_type: str, source: str, fmt: str
) -> None:
    # Found by a black-box bug hunt: the client's path was stored verbatim as the source.
    text = "<p>Die Stadt Kleinhausen baut eine neue Brücke über den Fluss.</p>"
    upload = {"file": (name, text.encode(), content_type)}
    response = client.post("/v1/documents", files=upload, data={"id": "named"})
    assert response.status_code == 201, response.text
    doc = client.get("/v1/documents/named").json()
    assert doc["source"] == source and doc["metadata"]["format"] == fmt, doc
    client.delete("/v1/documents/named")


def test_a_citation_after_an_emoji_starts_at_its_sentence(client: TestClient) -> None:
    # Found by a black-box bug hunt: "gut. 🎉 Dann ..." made the emoji part of the sentence
    # before it, and after "→" no sentence ended at all.
    text = (
        "Das Stadtfest in Kleinhausen war ein Erfolg. 🎉 Dann kam am Abend ein Gewitter. "
        "Die Feuerwehr rückte 14 Mal aus. → Der Schaden betrug 80.000 Euro."
    )
    created = client.post("/v1/documents", json={"id": "stadtfest", "text": text})
    assert created.status_code == 201, created.text
    body = client.post(
        "/v1/ask", json={"question": "Wie hoch war der Schaden nach dem Gewitter?"}
    ).json()
    assert_citations_exact(client, body)
    quotes = [c["quote"] for c in body["citations"] if c["document_id"] == "stadtfest"]
    assert quotes and any("80.000 Euro" in q for q in quotes), body
    for c in body["citations"]:
        if c["document_id"] == "stadtfest":
            chosen = text[c["chosen_start"] : c["chosen_end"]]
            assert not chosen.startswith(("🎉", "→")) and not chosen.endswith(("🎉", "→"))
            assert chosen in {
                "Das Stadtfest in Kleinhausen war ein Erfolg.",
                "Dann kam am Abend ein Gewitter.",
                "Die Feuerwehr rückte 14 Mal aus.",
                "Der Schaden betrug 80.000 Euro.",
            }


@pytest.mark.parametrize(
    "published_at",
    ["2025-06-04", "2025-06", "2025-06-04T10:30:00+02:00", "2025-06-04T08:30Z", "2025-06-04 10:30"],
)
def test_published_at_takes_iso_8601_dates_and_times(client: TestClient, published_at: str) -> None:
    sent = {"id": "kleinhausen", "text": ARTICLE, "published_at": published_at}
    assert client.post("/v1/documents", json=sent).status_code == 201
    assert client.get("/v1/documents/kleinhausen").json()["published_at"] == published_at


@pytest.mark.parametrize(
    "published_at", ["gestern", "04.06.2025", "2025-02-30", "2025-13", "2025-06-04T25:00", "2025"]
)
def test_published_at_that_is_no_date_is_refused_naming_the_field(
    client: TestClient, published_at: str
) -> None:
    # Found by a black-box bug hunt: any string was stored as the publication date.
    before = index_state(client)
    sent = {"id": "kleinhausen", "text": ARTICLE, "published_at": published_at}
    response = client.post("/v1/documents", json=sent)
    assert response.status_code == 422, response.text
    assert "published_at" in response.json()["detail"] and "ISO 8601" in response.json()["detail"]
    upload = {"file": ("a.txt", ARTICLE.encode(), "text/plain")}
    form = client.post("/v1/documents", files=upload, data={"published_at": published_at})
    assert form.status_code == 422 and "published_at" in form.json()["detail"]
    assert index_state(client) == before  # nothing stored


@pytest.mark.slow  # both backends: a real PostgreSQL and Chroma server
def test_a_stored_free_form_date_keeps_working(
    settings: Settings, server_settings: Settings, embedder: MemoEmbedder
) -> None:
    """Dates stored before the check (any string) are read, listed and kept as they are."""
    for mode in (settings, server_settings):
        service = build_service(mode, embedder)
        try:
            with TestClient(create_app(mode, service)) as client:
                sent = {"id": "alt", "text": ARTICLE}
                assert client.post("/v1/documents", json=sent).status_code == 201
                legacy = {"title": "Alt", "source": None, "published_at": "Frühjahr 2024"}
                service.stores.documents.update_metadata("alt", {**legacy, "metadata": {}})
                assert client.get("/v1/documents/alt").json()["published_at"] == "Frühjahr 2024"
                again = client.post("/v1/documents", json={**sent, "title": "Neu"})
                assert again.status_code == 200 and again.json()["updated"] is True
                stored = client.get("/v1/documents/alt").json()
                assert (stored["title"], stored["published_at"]) == ("Neu", "Frühjahr 2024")
                listed = {d["id"]: d for d in client.get("/v1/documents").json()["items"]}
                assert listed["alt"]["published_at"] == "Frühjahr 2024"
        finally:
            service.close()


def test_a_markdown_upload_is_quoted_without_its_syntax(client: TestClient) -> None:
    """HUNT L2: a citation of a Markdown upload began inside a link ("...](http://") and
    showed "**"; the stored text is now what a reader sees, and citations index it."""
    markdown = (
        "# Haushalt in Kleinhausen\n\n"
        "Der **Stadtrat** von [Kleinhausen](http://example.com/kh) hat am Mittwoch einen "
        "*neuen* Haushalt beschlossen. Er umfasst 12 Millionen Euro.\n"
    )
    body = _upload_and_ask(
        client, "haushalt.md", markdown, "Was hat der Stadtrat von Kleinhausen beschlossen?"
    )
    quote = body["citations"][0]["quote"]
    assert quote.startswith("Der Stadtrat von Kleinhausen hat am Mittwoch"), body["citations"]
    for mark in ("**", "*neuen*", "](", "http", "[Kleinhausen"):
        assert mark not in body["answer"] and mark not in quote, (mark, body["answer"])
    stored = client.get("/v1/documents/haushalt").json()
    assert stored["title"] == "Haushalt in Kleinhausen"
    assert stored["metadata"]["format"] == "markdown"
    assert "[Kleinhausen]" not in stored["text"] and "**" not in stored["text"]


def test_a_repost_whose_whitespace_differs_is_the_same_document(client: TestClient) -> None:
    """HUNT L8: the same article with one more space inside a sentence became a second
    document. Whitespace runs count as one space; the stored text stays as first posted (the
    citations index it), and new words under the same id still replace it."""
    first = client.post("/v1/documents", json={"text": ARTICLE})
    assert first.status_code == 201, first.text
    doc_id = first.json()["id"]
    spaced = ARTICLE.replace("neuen Bürgermeister", "neuen  Bürgermeister")
    rewrapped = ARTICLE.replace(". Mit 62", ".\nMit 62")
    for variant in (spaced, rewrapped):
        again = client.post("/v1/documents", json={"text": variant})
        assert again.status_code == 200, again.text
        assert (again.json()["id"], again.json()["created"]) == (doc_id, False)
        under_id = client.post("/v1/documents", json={"id": "kleinhausen", "text": variant})
        assert under_id.status_code == 409, under_id.text  # the same text under another id
    assert client.get("/v1/documents", params={"limit": 100}).json()["total"] == 3  # + seeds
    assert client.get(f"/v1/documents/{doc_id}").json()["text"] == ARTICLE
    body = client.post("/v1/ask", json={"question": "Wer wurde in Kleinhausen gewählt?"}).json()
    assert_citations_exact(client, body)
    # A replacement by the same id is new text, not the same: it still replaces.
    changed = ARTICLE.replace("62 Prozent", "64 Prozent")
    replaced = client.post("/v1/documents", json={"id": doc_id, "text": changed})
    assert replaced.status_code == 200 and replaced.json()["updated"] is True, replaced.text
    assert client.get(f"/v1/documents/{doc_id}").json()["text"] == changed


def test_a_named_repost_with_other_line_breaks_replaces_the_text(client: TestClient) -> None:
    """Whitespace runs count as one space for finding a document, but a caller who names the
    id and re-wraps the article (its paragraph breaks decide where citations may join) gets
    the new text stored; the same re-wrapped text again is a no-op."""
    first = client.post("/v1/documents", json={"id": "kleinhausen", "text": ARTICLE})
    assert first.status_code == 201, first.text
    rewrapped = ARTICLE.replace(". Mit 62", ".\n\nMit 62")
    assert rewrapped != ARTICLE
    replaced = client.post("/v1/documents", json={"id": "kleinhausen", "text": rewrapped})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["created"], replaced.json()["updated"]) == (False, True)
    assert client.get("/v1/documents/kleinhausen").json()["text"] == rewrapped
    again = client.post("/v1/documents", json={"id": "kleinhausen", "text": rewrapped})
    assert (again.json()["created"], again.json()["updated"]) == (False, False), again.text
    unnamed = client.post("/v1/documents", json={"text": ARTICLE})  # finds it, changes nothing
    assert (unnamed.json()["id"], unnamed.json()["created"]) == ("kleinhausen", False)
    assert client.get("/v1/documents/kleinhausen").json()["text"] == rewrapped
    body = client.post("/v1/ask", json={"question": "Wer wurde in Kleinhausen gewählt?"}).json()
    assert_citations_exact(client, body)
