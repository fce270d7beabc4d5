"""/v1/chat through a real served process: thanks keep the topic (M4), and a stream the client
drops still stores its turn (M5). The LLM is the scripted one (slow on purpose)."""

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.llm_servers import Script, scripted_server
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # a real server

QUESTION = "Wer wurde zum Chef der Drohnentruppen ernannt?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Script]]:
    with scripted_server() as (llm_url, script):
        env = {
            "QA_LLM_BASE_URL": llm_url,
            "QA_LLM_MODEL": "scripted",
            "QA_ANSWER_MODE": "extractive",  # generative only where a test asks for it
        }
        root = tmp_path_factory.mktemp("chat-turns")
        with (
            serve_process(root, env=env) as (url, _),
            httpx.Client(base_url=url, timeout=60) as http,
        ):
            yield http, script


def _chat(http: httpx.Client, message: str, conversation_id: str | None = None) -> dict:
    body = {"message": message} | ({"conversation_id": conversation_id} if conversation_id else {})
    response = http.post("/v1/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("first", "thanks", "follow_up", "language"),
    [
        (QUESTION, "Danke!", "Wer hat ihn ernannt?", "de"),
        (QUESTION, "Vielen Dank!", "Wann war das?", "de"),
        ("Who was appointed head of the drone forces?", "Thanks!", "Who appointed him?", "en"),
        ("Who was appointed head of the drone forces?", "Thank you very much!", "When?", "en"),
    ],
)
def test_thanks_keep_the_topic(
    served: tuple[httpx.Client, Script], first: str, thanks: str, follow_up: str, language: str
) -> None:
    http, _ = served
    opened = _chat(http, first)
    cid = opened["conversation_id"]
    thanked = _chat(http, thanks, cid)
    assert thanked["language"] == language  # an English "Thanks!" is answered in English
    after = _chat(http, follow_up, cid)
    assert after["retrieval_query"] != follow_up  # searched with the topic, not asked back
    assert "Drohnentruppen" in after["retrieval_query"] or "drone" in after["retrieval_query"]
    assert not after["abstained"] and "Browdi" in after["answer"] + json.dumps(after["citations"])
    # The same follow-up without the thanks is searched the same way.
    direct = _chat(http, follow_up, _chat(http, first)["conversation_id"])
    assert direct["retrieval_query"] == after["retrieval_query"]


def test_thanks_alone_still_lend_no_topic(served: tuple[httpx.Client, Script]) -> None:
    """A conversation of thanks only has no topic: a pronoun is still asked back."""
    http, _ = served
    cid = _chat(http, "Danke!")["conversation_id"]
    asked_back = _chat(http, "Wer hat ihn ernannt?", cid)
    assert asked_back["abstained"] and "ihn" in asked_back["answer"]


def test_a_dropped_stream_still_stores_its_turn(served: tuple[httpx.Client, Script]) -> None:
    """M5: the client reads `start`, then closes the connection while the LLM writes."""
    http, script = served
    script.reply = (
        "Selenskyj hat Robert Browdi als Chef der Drohnentruppen eingesetzt. [1] " * 3
    ).strip()
    script.delay, script.chunk = 0.4, 2  # about 12 s of writing
    try:
        payload = {"message": QUESTION, "stream": True, "mode": "generative"}
        with http.stream("POST", "/v1/chat", json=payload) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("data: "):
                    start = json.loads(line[6:])
                    break
        assert start["type"] == "start"  # the connection is closed here, mid-answer
        cid = start["conversation_id"]
        deadline = time.monotonic() + 30
        while (stored := http.get(f"/v1/conversations/{cid}")).status_code == 404:
            assert time.monotonic() < deadline, "the dropped turn was never stored"
            time.sleep(0.2)
        turns = stored.json()["turns"]
        assert [t["message"] for t in turns] == [QUESTION]
        assert "Browdi" in turns[0]["answer"]  # the extractive answer found before writing
        follow_up = _chat(http, "Wann war das?", cid)
        assert follow_up["turn"] == 1 and follow_up["retrieval_query"] != "Wann war das?"
        # Once the writing ends, the turn is not stored a second time.
        time.sleep(script.delay * 20)
        assert len(http.get(f"/v1/conversations/{cid}").json()["turns"]) == 2
    finally:
        script.reply, script.delay = "", 0.0


def test_a_finished_stream_is_stored_once(served: tuple[httpx.Client, Script]) -> None:
    http, _ = served
    with http.stream("POST", "/v1/chat", json={"message": QUESTION, "stream": True}) as response:
        events = [json.loads(x[6:]) for x in response.iter_lines() if x.startswith("data: {")]
    cid = events[0]["conversation_id"]
    assert events[-1]["type"] == "done"
    assert len(http.get(f"/v1/conversations/{cid}").json()["turns"]) == 1
