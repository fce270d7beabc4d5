"""The page and the widget in a real headless Chromium, against real uvicorn processes.

- Article text with <script> and <img onerror> inside cited sentences is shown as text:
  ask, open the citation, nothing ran (and the exact span is highlighted).
- A page served from another local port cannot change or read the corpus through the
  user's browser (no-cors posts, JSON posts, deletes, form posts, reads).
- The widget with an origin-bound read key works from its site and is refused elsewhere.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.helpers.browser import run_node
from tests.helpers.keys import create_key
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # real chromium and `qa-service serve` processes

PLANTED = (
    "Die Lauterbrücke in Lauterbach wurde am Montag nach zwei Jahren Bauzeit eröffnet. "
    'Bürgermeisterin Anna Roth <script>window.__pwned = "script"</script> durchschnitt '
    "das Band der Lauterbrücke vor 300 Gästen. "
    "Die Baukosten der Lauterbrücke <img src=x onerror=\"window.__pwned = 'img'\"> lagen "
    "bei 4,2 Millionen Euro.\n\nDer Verkehr soll ab Mittwoch über die Brücke rollen."
)
QUESTION = "Wer durchschnitt das Band der Lauterbrücke?"


def browse(scenario: str, **args: object) -> dict:
    """One scenario of security.mjs (see its header); what the browser saw."""
    return json.loads(run_node("security.mjs", scenario, json.dumps(args)).strip().splitlines()[-1])


class Pages:
    """A static web server on its own loopback port: another origin than the service."""

    def __init__(self, pages: dict[str, str] | None = None) -> None:
        self.pages = served = dict(pages or {})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = served.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service as `make run` starts it: loopback, no keys."""
    with serve_process(tmp_path_factory.mktemp("browser-anon")) as (url, _):
        added = httpx.post(f"{url}/v1/documents", json={"id": "bruecke", "text": PLANTED})
        assert added.status_code == 201, added.text
        stored = httpx.get(f"{url}/v1/documents/bruecke").json()["text"]
        assert "<script>" in stored and "onerror=" in stored  # planted as it was sent
        yield url


def test_article_markup_is_shown_as_text_and_never_runs(anonymous: str, tmp_path: Path) -> None:
    shot = tmp_path / "citation.png"
    seen = browse("ask-and-open", page=f"{anonymous}/", question=QUESTION, shot=str(shot))
    assert seen["csp"] and "script-src 'self'" in seen["csp"]
    assert "Roth" in seen["answer"], seen
    body = httpx.post(f"{anonymous}/v1/ask", json={"question": QUESTION}).json()
    cited = body["citations"][0]
    text = httpx.get(f"{anonymous}/v1/documents/{cited['document_id']}").json()["text"]
    assert text[cited["start"] : cited["end"]] == cited["quote"]
    assert "<script>" in cited["quote"] or "<img" in " ".join(c["quote"] for c in body["citations"])
    assert seen["marked"] == cited["quote"]  # the exact span is highlighted, tags as text
    assert seen["docText"] == text
    assert seen["injected"] == {"ran": None, "scripts": 0, "images": 0}, seen
    assert not seen["dialogs"] and not seen["pageErrors"], seen
    assert not [c for c in seen["console"] if "Content Security Policy" in c], seen["console"]
    assert shot.stat().st_size > 0  # for a person to look at


ATTACK = """<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<script>
const api = "API";
const doc = JSON.stringify({id: "evil", text: "Die Lauterbrücke wurde am Montag gesprengt."});
window.__results = {};
async function attempt(name, fn) {
  try { window.__results[name] = await fn(); } catch (e) { window.__results[name] = "blocked"; }
}
(async () => {
  await attempt("post_text_plain", async () => (await fetch(api + "/v1/documents",
    {method: "POST", mode: "no-cors", headers: {"content-type": "text/plain"}, body: doc})).type);
  await attempt("post_json", async () => (await fetch(api + "/v1/documents",
    {method: "POST", headers: {"content-type": "application/json"}, body: doc})).status);
  await attempt("delete", async () => (await fetch(api + "/v1/documents/bruecke",
    {method: "DELETE", mode: "no-cors"})).type);
  await attempt("read_documents", async () => (await (await fetch(api + "/v1/documents")).text()));
  await attempt("read_article", async () =>
    (await (await fetch(api + "/v1/documents/bruecke")).text()));
  await attempt("ask", async () => (await (await fetch(api + "/v1/ask", {method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({question: "Wer durchschnitt das Band?"})})).text()));
  const form = document.createElement("form");
  form.method = "POST"; form.action = api + "/v1/documents"; form.enctype = "text/plain";
  form.target = "sink";
  const field = document.createElement("input");
  field.name = '{"id": "evil2", "text": "Die Brücke ist gesperrt.", "x": "';
  field.value = '"}';
  form.append(field); document.body.append(form); form.submit();
  await new Promise((r) => setTimeout(r, 1500));
  window.__done = true;
})();
</script></body></html>"""


def test_a_page_of_another_port_cannot_change_or_read_the_corpus(
    anonymous: str,
) -> None:
    before = httpx.get(f"{anonymous}/v1/documents").json()
    pages = Pages({"/attack.html": ATTACK.replace("API", anonymous)})
    try:
        seen = browse("visit", page=f"{pages.origin}/attack.html")
    finally:
        pages.close()
    results = seen["results"]
    # Reads: the browser withholds every answer (no CORS for that origin).
    for name in ("post_json", "read_documents", "read_article", "ask"):
        assert results[name] == "blocked", results
    assert httpx.get(f"{anonymous}/v1/documents").json() == before  # nothing changed
    assert httpx.get(f"{anonymous}/v1/documents/bruecke").json()["text"] == PLANTED


@pytest.fixture(scope="module")
def widget_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Pages, str]]:
    """A service with keys and a read key bound to the origin of a site embedding it."""
    root = tmp_path_factory.mktemp("browser-keys")
    create_key(root, "admin", "admin")
    site = Pages()
    key = create_key(root, "news-widget", "read", site.origin)
    try:
        with serve_process(root) as (url, _):
            yield url, site, key
    finally:
        site.close()


def embedding_page(api: str, key: str) -> str:
    return (
        '<!doctype html><html><body><div id="qa" style="height:600px"></div>'
        f'<script src="{api}/widget.js" data-key="{key}" data-target="#qa" defer></script>'
        "</body></html>"
    )


def test_the_widget_with_an_origin_bound_key(
    widget_service: tuple[str, Pages, str],
) -> None:
    api, site, key = widget_service
    question = "Wer wurde zum Chef der Drohnentruppen ernannt?"
    page = embedding_page(api, key)
    site.pages["/news.html"] = page
    elsewhere = Pages({"/news.html": page})  # the same page at another origin
    try:
        allowed = browse("widget", page=f"{site.origin}/news.html", question=question)
        refused = browse("widget", page=f"{elsewhere.origin}/news.html", question=question)
    finally:
        elsewhere.close()
    assert "Browdi" in allowed["answer"] and allowed["citations"], allowed
    assert not refused["citations"] and "Browdi" not in refused["answer"], refused


def test_the_built_in_page_says_a_key_is_needed(
    widget_service: tuple[str, Pages, str],
) -> None:
    # Found by a black-box bug hunt: once keys exist, the page at / had no key and every
    # question failed with a bare "HTTP 401" or "cannot be reached".
    api, _, _ = widget_service
    seen = browse(
        "widget", page=f"{api}/", question="Wer wurde zum Chef der Drohnentruppen ernannt?"
    )
    assert "API-Schlüssel" in seen["answer"] and "data-key" in seen["answer"], seen
    assert not seen["citations"] and not seen["pageErrors"], seen


ANY_ORIGIN_PAGE = """<!doctype html><html><body><script>
const api = "API";
const json = {"content-type": "application/json"};
window.__results = {};
async function attempt(name, fn) {
  try { window.__results[name] = await fn(); } catch (e) { window.__results[name] = "blocked"; }
}
(async () => {
  let id = null;
  await attempt("chat", async () => {
    const r = await fetch(api + "/v1/chat", {method: "POST", headers: json,
      body: JSON.stringify({message: "Wer durchschnitt das Band der Lauterbrücke?"})});
    id = (await r.json()).conversation_id;
    return r.status;
  });
  const conversation = api + "/v1/conversations/" + id;
  await attempt("read", async () => (await fetch(conversation)).status);
  await attempt("delete", async () => (await fetch(conversation, {method: "DELETE"})).status);
  await attempt("read_after", async () => (await fetch(conversation)).status);
  const evil = JSON.stringify({id: "evil", text: "Gesprengt."});
  await attempt("post_document", async () =>
    (await fetch(api + "/v1/documents", {method: "POST", headers: json, body: evil})).status);
  await attempt("delete_document", async () =>
    (await fetch(api + "/v1/documents/bruecke", {method: "DELETE"})).status);
  window.__done = true;
})();
</script></body></html>"""


def test_under_any_origin_a_page_deletes_the_conversation_it_started(tmp_path: Path) -> None:
    """QA_CORS_ORIGINS ["*"]: a page of another origin starts a conversation, reads it and
    deletes it by its id, the browser's preflight included; documents stay out of reach."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "bruecke.txt").write_text(PLANTED, encoding="utf-8")
    with serve_process(tmp_path, env={"QA_CORS_ORIGINS": '["*"]'}) as (url, _):
        pages = Pages({"/chat.html": ANY_ORIGIN_PAGE.replace("API", url)})
        try:
            seen = browse("visit", page=f"{pages.origin}/chat.html")
        finally:
            pages.close()
        assert httpx.get(f"{url}/v1/documents/bruecke").status_code == 200
        assert httpx.get(f"{url}/v1/documents/evil").status_code == 404
    results = seen["results"]
    assert results == {
        "chat": 200,
        "read": 200,
        "delete": 204,
        "read_after": 404,
        "post_document": 403,
        "delete_document": 403,
    }, results
