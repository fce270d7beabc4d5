"""Follow-ups the articles cannot answer, over real HTTP (`qa-service serve`, the real model,
the seeds): they abstain, and what they named does not steer the turns after them.

The seeds say who was made head of the paratroopers, not how old he is or how many children
he has. In a conversation such a follow-up is searched with the topic mixed in, so sentences
on the topic come close whatever it asks; it used to cite one ("Das Treffen wird von den
Verteidigungsministern ... geleitet."), and its noun ("Kinder") used to narrow the next
turn's search to something else (a sentence about Donald Trump).
"""

import httpx
import pytest

from tests.helpers.checks import assert_citations_exact

pytestmark = pytest.mark.slow  # a real `qa-service serve` process

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
PARATROOPERS = "Und wer wurde Chef der Fallschirmjägertruppen?"
APPOINTMENT = "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt"


def _chat(http: httpx.Client, message: str, conversation_id: str | None = None) -> dict:
    response = http.post("/v1/chat", json={"message": message, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_citations_exact(http, body)
    return body


def _complete(http: httpx.Client, turns: list[tuple[str, str]], question: str) -> dict:
    """/v1/chat/completions with earlier (user, assistant) pairs, then ``question``."""
    messages = []
    for user, assistant in turns:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    messages.append({"role": "user", "content": question})
    response = http.post("/v1/chat/completions", json={"model": "qa-service", "messages": messages})
    assert response.status_code == 200, response.text
    body = response.json()
    for c in body["citations"]:
        text = http.get(f"/v1/documents/{c['document_id']}").json()["text"]
        assert text[c["start"] : c["end"]] == c["quote"], c
    return body


@pytest.mark.parametrize("follow_up", ["Wie alt ist er?", "Wo wurde er geboren?"])
def test_a_follow_up_the_articles_cannot_answer_abstains(live_server: str, follow_up: str) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as http:
        cid = _chat(http, DRONES)["conversation_id"]
        paratroopers = _chat(http, PARATROOPERS, cid)
        asked = _chat(http, follow_up, cid)
        # A follow-up the articles do answer still does, after the one that abstained.
        appointed = _chat(http, "Wer hat ihn ernannt?", cid)
        said = [(DRONES, "..."), (PARATROOPERS, paratroopers["answer"])]
        completion = _complete(http, said, follow_up)
    assert APPOINTMENT in paratroopers["citations"][0]["quote"]
    assert asked["retrieval_query"] != follow_up  # searched with the topic, not asked back
    assert asked["abstained"] is True and asked["citations"] == [], asked
    assert completion["abstained"] is True and completion["citations"] == [], completion
    assert appointed["abstained"] is False, appointed
    assert APPOINTMENT in appointed["citations"][0]["quote"], appointed["citations"]


def test_an_abstained_follow_up_does_not_narrow_the_topic(live_server: str) -> None:
    children = "Wie viele Kinder hat er?"
    with httpx.Client(base_url=live_server, timeout=120) as http:
        cid = _chat(http, DRONES)["conversation_id"]
        paratroopers = _chat(http, PARATROOPERS, cid)
        abstained = _chat(http, children, cid)
        after = _chat(http, "Was ist mit ihm?", cid)
        # The same conversation sent whole: the assistant's reply says it abstained.
        said = [
            (DRONES, "..."),
            (PARATROOPERS, paratroopers["answer"]),
            (children, abstained["answer"]),
        ]
        completion = _complete(http, said, "Was ist mit ihm?")
    assert abstained["abstained"] is True
    assert "Kinder" not in after["retrieval_query"], after["retrieval_query"]
    assert "Fallschirmjägertruppen" in after["retrieval_query"], after["retrieval_query"]
    for body in (after, completion):
        assert body["abstained"] is False, body
        assert APPOINTMENT in body["citations"][0]["quote"], body["citations"]


def test_a_held_warning_question_is_completed_by_a_name(live_server: str) -> None:
    """ "Wovor warnt er?" names nobody: it is asked back like "Was sagt er?", and a reply
    naming the person completes it (it used to be searched alone and abstain)."""
    with httpx.Client(base_url=live_server, timeout=120) as http:
        held = _chat(http, "Wovor warnt er?")
        reply = _chat(http, "Grossi", held["conversation_id"])
    assert held["abstained"] is True and "„er“" in held["answer"], held
    assert reply["retrieval_query"] == "Wovor warnt Grossi?"
    assert reply["abstained"] is False, reply
    assert "Grossi" in reply["citations"][0]["quote"], reply["citations"]
