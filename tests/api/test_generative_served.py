"""Generative answers through a real served process (uvicorn) and the scripted LLM over HTTP:
what the HUNT7 black-box hunt saw from outside (L2 English names, L6 garbage replies)."""

import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.checks import assert_citations_exact
from tests.helpers.lighthouses import NORDMARK, Q_COST, SUEDEROOG
from tests.helpers.llm_servers import SCRIPTED_TIMEOUT, Script, scripted_server
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # a real server

Q_EN = "Who was appointed head of the drone forces?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Script]]:
    with scripted_server() as (llm_url, script):
        env = {
            "QA_LLM_BASE_URL": llm_url,
            "QA_LLM_MODEL": "scripted",
            "QA_LLM_TIMEOUT": str(SCRIPTED_TIMEOUT),
            "QA_LLM_MAX_IN_FLIGHT": "1",  # the other tests ask one question at a time
        }
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


# HUNT8 H1: two lighthouses; a sentence with no subject of its own citing the other one's span.
_BLOCK = re.compile(r"^\[(\d+)\] [^\n]*\n<<<\n([^\n]*)\n>>>", re.MULTILINE)


def _evidence(script: Script) -> dict[int, str]:
    """The numbered spans the service last sent the LLM."""
    user = script.answers[-1]["messages"][-1]["content"]
    return {int(n): text for n, text in _BLOCK.findall(user)}


def test_h8_another_lighthouses_cost_is_not_the_asked_ones(
    served: tuple[httpx.Client, Script], script: Script
) -> None:
    http, _ = served
    for doc_id, text in [("nordmark", NORDMARK), ("lt", SUEDEROOG)]:
        assert http.post("/v1/documents", json={"id": doc_id, "text": text}).status_code in (
            200,
            201,
        )
    script.reply = "Nichts. [1]"
    _ask(http, Q_COST)
    evidence = _evidence(script)
    other = next(n for n, t in evidence.items() if "4,5 Millionen" in t)
    lead = next(n for n, t in evidence.items() if "Hallig Süderoog wurde" in t)
    own = next(n for n, t in evidence.items() if "3,1 Millionen" in t)
    for reply in [
        f"Sie kostete 4,5 Millionen Euro. [{other}]",
        f"Die Kosten lagen bei 4,5 Millionen Euro. [{other}]",
        f"Der Leuchtturm wurde nach 12 Jahren Renovierung wieder eröffnet. [{other}]",
    ]:
        script.reply = reply
        body = _ask(http, Q_COST)
        assert (body["mode"], body["fallback_reason"]) == (
            "extractive_fallback",
            "nothing_verified",
        ), (reply, body)
        assert_citations_exact(http, body)
    # The hunt's two-sentence reply: the sentence on the asked lighthouse's span stays.
    script.reply = (
        f"Der Leuchtturm wurde nach 12 Jahren Renovierung wieder eröffnet. [{lead}] "
        f"Die Kosten lagen bei 4,5 Millionen Euro. [{other}]"
    )
    body = _ask(http, Q_COST)
    assert body["mode"] == "generative", body
    assert [s["text"] for s in body["sentences"]] == [
        "Der Leuchtturm wurde nach 12 Jahren Renovierung wieder eröffnet."
    ]
    assert "4,5" not in body["answer"]
    assert_citations_exact(http, body)
    # The same shape over the asked lighthouse's own span is an answer.
    script.reply = f"Sie kostete 3,1 Millionen Euro. [{own}]"
    body = _ask(http, Q_COST)
    assert body["mode"] == "generative", body
    assert body["sentences"][0]["text"] == "Sie kostete 3,1 Millionen Euro."
    assert "3,1 Millionen" in body["citations"][0]["quote"]
    assert body["citations"][0]["document_id"] == "lt"
    assert_citations_exact(http, body)


def test_past_the_cap_a_question_falls_back_at_once_with_llm_busy(
    served: tuple[httpx.Client, Script], script: Script
) -> None:
    """QA_LLM_MAX_IN_FLIGHT 1: while one answer is being written, the next question is not
    sent to the LLM; it gets the extractive answer at once, and /health shows the count."""
    http, _ = served
    script.reply = "Zelensky appointed Robert Browdi head of the drone forces. [1]"
    script.delay = 1.0  # about 6 s for the whole reply
    sent = len(script.answers)
    first: list[dict] = []
    writing = threading.Thread(target=lambda: first.append(_ask(http, Q_EN)))
    writing.start()
    try:
        deadline = time.monotonic() + 30
        while http.get("/health").json()["llm"]["in_flight"] < 1:
            assert time.monotonic() < deadline, "the first answer never reached the LLM"
            time.sleep(0.05)
        llm = http.get("/health").json()["llm"]
        assert (llm["in_flight"], llm["max_in_flight"]) == (1, 1), llm
        started = time.monotonic()
        busy = _ask(http, "Wer wurde zum Chef der Drohnentruppen ernannt?")
        took = time.monotonic() - started
    finally:
        writing.join()
    assert (busy["mode"], busy["fallback_reason"]) == ("extractive_fallback", "llm_busy"), busy
    assert busy["citations"] and took < 4.0, took  # not a reply of its own: 6 s
    assert_citations_exact(http, busy)
    assert first[0]["mode"] == "generative", first[0]
    assert len(script.answers) == sent + 1  # the second question never reached the LLM
    assert http.get("/health").json()["llm"]["in_flight"] == 0
