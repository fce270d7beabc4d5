"""The chat page and the embeddable widget are served, and allowed origins may call the API."""

import json
import re
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.service import QAService


def test_chat_page_loads_the_widget(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="widget.js"' in page.text and 'data-target="#chat"' in page.text


def test_widget_script_talks_to_chat_and_documents(client: TestClient) -> None:
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/v1/chat" in script.text and "/v1/documents/" in script.text
    assert "splitSpan(doc.text, c.start, c.end)" in script.text  # highlights the exact span


def test_cross_origin_calls_are_allowed_for_the_widget(service: QAService) -> None:
    """QA_CORS_ORIGINS lets the widget on news.example ask; other sites stay refused."""
    settings = service.settings.model_copy(update={"cors_origins": ["https://news.example"]})
    service.settings = settings
    with TestClient(create_app(settings, service)) as client:
        _assert_origin_may_chat(client)
        refused = client.post(
            "/v1/chat",
            json={"message": "Wer leitete das Treffen in Brüssel?"},
            headers={"origin": "https://other.example"},
        )
        assert refused.status_code == 403 and refused.json()["type"] == "OriginNotAllowed"
        assert "access-control-allow-origin" not in refused.headers


def test_other_sites_may_not_call_the_api_by_default(client: TestClient) -> None:
    preflight = client.options(
        "/v1/chat",
        headers={"origin": "https://news.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    # In the API's error shape, not Starlette's plain text (found by a black-box bug hunt).
    assert preflight.json() == {"detail": "Disallowed CORS origin", "type": "CORSRefused"}
    openai = client.options(
        "/v1/chat/completions",
        headers={"origin": "https://news.example", "access-control-request-method": "POST"},
    )
    assert openai.status_code == 400 and "Disallowed CORS" in openai.json()["error"]["message"]
    for response in (
        client.get("/v1/documents", headers={"origin": "https://news.example"}),
        client.post("/v1/ask", json={"question": "Wer?"}, headers={"origin": "null"}),
    ):
        assert response.status_code == 403, response.text


def _assert_origin_may_chat(client: TestClient) -> None:
    preflight = client.options(
        "/v1/chat",
        headers={
            "origin": "https://news.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://news.example")
    response = client.post(
        "/v1/chat",
        json={"message": "Wer leitete das Treffen in Brüssel?"},
        headers={"origin": "https://news.example"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://news.example")


def test_widget_highlights_by_code_points_like_the_api(client: TestClient) -> None:
    """Run the widget's own span splitter in node on text with astral characters."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = client.get("/widget.js").text
    splitter = re.search(r"// <split-span>.*?// </split-span>", script, re.S)
    assert splitter, "the widget lost its span splitter"
    text = "🚀🚀 Raketenstart 🛰️\n\nDie Rakete Sternfalke startete am Freitag. Ende."
    start = text.index("Die Rakete")
    end = text.index(" Ende")
    call = f"splitSpan({json.dumps(text)}, {start}, {end})"
    program = f"{splitter.group()}\nconsole.log(JSON.stringify({call}));"
    out = subprocess.run([node, "-e", program], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [text[:start], text[start:end], text[end:]]


def test_docs_work_offline_and_the_page_has_an_icon(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", docs.text)
    assert "/docs/assets/swagger-ui-bundle.js" in assets and "/docs/assets/swagger-ui.css" in assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 100, asset
    assert client.get("/docs/assets/../../../etc/passwd").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404
    # Found by a black-box bug hunt: FastAPI's /redoc was still on, loading its script from
    # cdn.jsdelivr.net (blank offline, and every visit told a CDN about the service).
    assert client.get("/redoc").status_code == 404
    page = client.get("/").text
    assert 'href="favicon.svg"' in page and "<style" not in page and "onclick" not in page
    for path in ("/favicon.svg", "/favicon.ico", "/page.css"):
        assert client.get(path).status_code == 200, path
