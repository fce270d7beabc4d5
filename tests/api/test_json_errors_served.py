"""A body Python's JSON reader cannot read is one error on every JSON route, over real HTTP
(the session's `serve` process): 422 ``ValidationError`` with one ``json_invalid`` problem,
as for a body that is not JSON at all; OpenAI's 400 on the OpenAI route."""

import httpx
import pytest

from tests.helpers.checks import index_state

pytestmark = pytest.mark.slow  # a real server (the session's)

FIELDS = '"text": "Ein Satz.", "question": "Wer?", "message": "Wer?"'
BODIES = {
    # valid JSON both, which Python does not read: more than 4,300 digits, 100,000 levels
    "a huge number": ("{" + FIELDS + ', "n": ' + "9" * 5000 + "}", "4,300 digits"),
    "deep nesting": ("{" + FIELDS + ', "n": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
    "not JSON": ('{"text": not json', "Expecting value"),
}


@pytest.mark.parametrize("kind", BODIES)
def test_an_unreadable_body_is_the_same_error_on_every_route(http: httpx.Client, kind: str) -> None:
    # Found by a bug hunt: a 5,000-digit number or nesting 100,000 deep was a 400
    # "BadRequest" on /v1/ask and /v1/chat, a 422 "InvalidInput" on /v1/documents.
    body, reason = BODIES[kind]
    before = index_state(http)
    answers = {}
    for path in ("/v1/ask", "/v1/chat", "/v1/documents"):
        response = http.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, (path, response.text[:300])
        answer = response.json()
        assert answer["type"] == "ValidationError", (path, answer)
        [problem] = answer["detail"]
        assert problem["type"] == "json_invalid" and problem["loc"][0] == "body", problem
        assert reason in problem["ctx"]["error"], problem
        answers[path] = answer
    assert len({str(a) for a in answers.values()}) == 1, answers  # one error, word for word
    openai = http.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert openai.status_code == 400, openai.text[:300]
    error = openai.json()["error"]
    assert error["type"] == "invalid_request_error" and reason in error["message"], error
    assert index_state(http) == before


def test_a_key_given_twice_is_refused_on_every_route(http: httpx.Client) -> None:
    # Found by a bug hunt (hunt17): {"text": A, "text": B} stored B, {"question": A,
    # "question": B} answered B, silently, while an upload's form field sent twice is a 422:
    # a gateway that read the first value and the service that acts on the last disagree.
    body = '{"question": "Wer?", "message": "Wer?", "text": "Ein Satz.", "text": "Zwei Sätze."}'
    nested = '{"text": "Ein Satz.", "metadata": {"a": {"x": 1}, "b": {"x": 1, "x": 2}}}'
    before = index_state(http)
    for path, sent, where in [
        ("/v1/ask", body, 0),
        ("/v1/chat", body, 0),
        ("/v1/documents", body, 0),
        ("/v1/documents", nested, nested.index('{"x": 1, "x"')),
    ]:
        response = http.post(path, content=sent, headers={"content-type": "application/json"})
        assert response.status_code == 422, (path, response.text[:300])
        [problem] = response.json()["detail"]
        assert problem["type"] == "json_invalid", (path, problem)
        assert problem["loc"] == ["body", where], (path, problem)
        assert "given twice" in problem["ctx"]["error"], (path, problem)
    upload = http.post(
        "/v1/documents",
        files={"file": ("dup.txt", b"Ein Satz zum Hochladen.", "text/plain")},
        data={"metadata": '{"ressort": "Politik", "ressort": "Sport"}'},
    )
    assert upload.status_code == 422 and "given twice" in upload.json()["detail"], upload.text
    openai = http.post(
        "/v1/chat/completions",
        content='{"model": "qa-service", "messages": [{"role": "user", "content": "Wer?", '
        '"content": "Wer leitete das Treffen?"}]}',
        headers={"content-type": "application/json"},
    )
    assert openai.status_code == 400, openai.text[:300]
    assert "given twice" in openai.json()["error"]["message"], openai.text
    assert index_state(http) == before
