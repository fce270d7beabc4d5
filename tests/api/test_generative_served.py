"""Generative answers through a real served process (uvicorn) and the scripted LLM over HTTP:
what the HUNT7 black-box hunt saw from outside (L2 English names, L6 garbage replies)."""

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.checks import assert_citations_exact
from tests.helpers.llm_servers import Script, scripted_server
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # a real server

Q_EN = "Who was appointed head of the drone forces?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Script]]:
    with scripted_server() as (llm_url, script):
        env = {"QA_LLM_BASE_URL": llm_url, "QA_LLM_MODEL": "scripted", "QA_LLM_TIMEOUT": "20"}
        root = tmp_path_factory.mktemp("generative-served")
        with (
            serve_process(root, env=env) as (url, _),
            httpx.Client(base_url=url, timeout=60) as http,
        ):
            yield http, script


@pytest.fixture
def script(served: tuple[httpx.Client, Script]) -> Iterator[Script]:
    script = served[1]
    yield script
    script.reply, script.delay, script.status, script.garbage = "", 0.0, 200, False
    script.raw = None


def _ask(http: httpx.Client, question: str) -> dict:
    response = http.post("/v1/ask", json={"question": question, "mode": "generative"})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_english_spelling_of_the_spans_name_is_verified(
    served: tuple[httpx.Client, Script], script: Script
) -> None:
    """L2: "Zelensky" over the span's "Selenskyj" fell back with nothing_verified."""
    http, _ = served
    script.reply = "Zelensky appointed Robert Browdi head of the drone forces. [1]"
    body = _ask(http, Q_EN)
    assert (body["mode"], body["fallback_reason"]) == ("generative", None), body
    assert body["sentences"] == [
        {
            "text": "Zelensky appointed Robert Browdi head of the drone forces.",
            "citations": [1],
            "verified": True,
        }
    ]
    assert "Selenskyj" in body["citations"][0]["quote"]
    assert_citations_exact(http, body)


@pytest.mark.parametrize(
    "reply",
    [
        "Putin appointed Robert Browdi head of the drone forces. [1]",
        "Zelensky dismissed Robert Browdi as head of the drone forces. [1]",
    ],
)
def test_another_name_or_a_contradiction_still_falls_back(
    served: tuple[httpx.Client, Script], script: Script, reply: str
) -> None:
    http, _ = served
    script.reply = reply
    body = _ask(http, Q_EN)
    assert (body["mode"], body["fallback_reason"]) == ("extractive_fallback", "nothing_verified")
    assert "Putin" not in body["answer"] and "dismissed" not in body["answer"]


@pytest.mark.parametrize(
    "raw",
    [
        ("text/plain", "<html>garbage</html>"),
        ("application/json", '{"foo": 1}'),
        ("text/html; charset=utf-8", "<html><body>502 Bad Gateway</body></html>"),
    ],
)
def test_a_reply_that_is_no_event_stream_is_a_bad_response(
    served: tuple[httpx.Client, Script], script: Script, raw: tuple[str, str]
) -> None:
    """L6: an HTTP 200 from the LLM that is no event stream was reported as llm_empty."""
    http, _ = served
    script.raw = raw
    body = _ask(http, Q_EN)
    assert (body["mode"], body["fallback_reason"]) == ("extractive_fallback", "llm_bad_response")
    assert body["citations"] and not body["abstained"]
    assert_citations_exact(http, body)
    llm = http.get("/health").json()["llm"]
    assert llm["ok"] is False
    assert llm["error"].startswith("llm_bad_response: the LLM answered 200 with ")
    assert raw[0] in llm["error"] and "not an event stream" in llm["error"]
