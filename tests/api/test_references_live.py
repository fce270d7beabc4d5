"""Pronouns over real HTTP (`qa-service serve` as a process, the real model, the seeds).

Asked alone, "How old is he?" names nobody: the service asks back instead of citing a
sentence about some man. In a conversation the same words are follow-ups, resolved from the
topic set earlier, in English as in German, however many follow-ups came between.
"""

import httpx
import pytest

pytestmark = pytest.mark.slow  # a real `qa-service serve` process

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
ENGLISH_DRONES = "Who was appointed head of the drone forces?"
FILLERS = {
    "de": ["Warum?", "Wann war das?", "Was hat er gesagt?", "Und dann?", "Wer noch?"],
    "en": ["Why?", "When was that?", "What did he say?", "And then?", "Who else?"],
}


def _checked(http: httpx.Client, body: dict) -> dict:
    for c in body["citations"]:
        text = http.get(f"/v1/documents/{c['document_id']}").json()["text"]
        assert text[c["start"] : c["end"]] == c["quote"]
    return body


def _chat(http: httpx.Client, message: str, conversation_id: str | None = None) -> dict:
    response = http.post("/v1/chat", json={"message": message, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    return _checked(http, response.json())


@pytest.mark.parametrize(
    ("question", "pronoun", "language"),
    [
        ("How old is he?", "he", "en"),
        ("Wie alt ist sie?", "sie", "de"),
        ("Was hat er gesagt?", "er", "de"),
        ("Wovor warnt er?", "er", "de"),
        ("Was zeigen sie?", "sie", "de"),
        ("What do they show?", "they", "en"),
    ],
)
def test_a_pronoun_alone_is_asked_back_not_answered(
    live_server: str, question: str, pronoun: str, language: str
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as http:
        asked = http.post("/v1/ask", json={"question": question})
        first = _chat(http, question)  # the first message of a conversation
        completion = http.post(
            "/v1/chat/completions",
            json={"model": "qa-service", "messages": [{"role": "user", "content": question}]},
        )
    assert asked.status_code == 200 and completion.status_code == 200
    for body in (asked.json(), first):
        assert body["abstained"] is True and body["citations"] == [], body
        assert body["language"] == language
        assert f"{pronoun}“" in body["answer"] or f'"{pronoun}"' in body["answer"], body
    assert first["turn"] == 0 and first["conversation_id"]
    assert completion.json()["abstained"] is True and completion.json()["citations"] == []


@pytest.mark.parametrize(
    ("topic", "follow_up", "language", "carried"),
    [
        (DRONES, "Wer hat ihn ernannt?", "de", "Drohnentruppen"),
        (ENGLISH_DRONES, "Who appointed him?", "en", "drone"),
    ],
)
def test_a_topic_set_once_resolves_a_pronoun_after_five_follow_ups(
    live_server: str, topic: str, follow_up: str, language: str, carried: str
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as http:
        opening = _chat(http, topic)
        assert "Robert Browdi" in opening["citations"][0]["quote"]
        cid = opening["conversation_id"]
        two = _chat(http, follow_up, cid)  # right after the topic
        for filler in FILLERS[language]:
            _chat(http, filler, cid)
        seven = _chat(http, follow_up, cid)  # after five follow-ups that name nothing
        # The same conversation sent whole, as OpenAI-compatible clients do.
        messages = [topic, *FILLERS[language], follow_up]
        completion = http.post(
            "/v1/chat/completions",
            json={
                "model": "qa-service",
                "messages": [{"role": "user", "content": m} for m in messages],
            },
        ).json()
    for body in (two, seven):
        assert body["abstained"] is False, body
        assert "Selenskyj" in body["citations"][0]["quote"], body["citations"]
        assert carried in body["retrieval_query"], body["retrieval_query"]
    assert seven["turn"] == 7
    assert "Selenskyj" in completion["citations"][0]["quote"], completion["citations"]


def test_earlier_turns_that_name_nothing_ask_back_and_a_name_in_reply_answers(
    live_server: str,
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as http:
        hello = _chat(http, "Hallo")
        cid = hello["conversation_id"]
        held = _chat(http, "Wer hat ihn ernannt?", cid)  # nothing named before: ask back
        reply = _chat(http, "Robert Browdi", cid)  # completes "Wer hat Robert Browdi ernannt?"
        named = http.post("/v1/ask", json={"question": "Browdi: wer hat ihn ernannt?"}).json()
        english = http.post("/v1/ask", json={"question": "What's he saying?"}).json()
    assert held["abstained"] is True and held["citations"] == []
    assert "„ihn“" in held["answer"], held
    assert reply["abstained"] is False, reply
    assert "Selenskyj" in reply["citations"][0]["quote"], reply["citations"]
    assert named["abstained"] is False and "Selenskyj" in named["citations"][0]["quote"], named
    assert english["language"] == "en" and '"he"' in english["answer"], english


@pytest.mark.parametrize(
    ("question", "language"),
    [("Who are you?", "en"), ("Wer bist du?", "de"), ("Was kannst du?", "de")],
)
def test_a_question_about_the_assistant_cites_nothing(
    live_server: str, question: str, language: str
) -> None:
    """The news says nothing about the assistant: before, "Who are you?" cited the seed's
    photo credit "(Quelle: Virginia Mayo)"."""
    with httpx.Client(base_url=live_server, timeout=120) as http:
        asked = http.post("/v1/ask", json={"question": question})
        chatted = _chat(http, question)
        after_topic = _chat(http, question, _chat(http, DRONES)["conversation_id"])
    assert asked.status_code == 200
    for body in (asked.json(), chatted, after_topic):
        assert body["abstained"] is True and body["citations"] == [], body
        assert body["language"] == language
        assert "Quelle" not in body["answer"] and "Virginia Mayo" not in body["answer"]
        assert ("Artikel" if language == "de" else "articles") in body["answer"]


def test_no_answer_cites_the_seed_photo_caption(live_server: str) -> None:
    """The caption line (who is in the picture, a quote, the credit) is masked at ingest; the
    quote itself is still cited from the article's text."""
    with httpx.Client(base_url=live_server, timeout=120) as http:
        document = http.get("/v1/documents/000_23aad25e3376c29a").json()["text"]
        caption_start = document.index("Verteidigungsminister Boris Pistorius (l., SPD)")
        caption_end = document.index("(Quelle: Virginia Mayo)") + len("(Quelle: Virginia Mayo)")
        bodies = [
            _checked(http, http.post("/v1/ask", json={"question": q}).json())
            for q in (
                "Wer hat das Foto gemacht?",
                "Who is in the photo with Pistorius?",
                "Was haben ukrainische Drohnen verändert?",
            )
        ]
    quoted = bodies[-1]
    assert "Gefechtsfeld" in " ".join(c["quote"] for c in quoted["citations"]), quoted
    for body in bodies:
        for c in body["citations"]:
            if c["document_id"] == "000_23aad25e3376c29a":
                assert c["end"] <= caption_start or c["start"] >= caption_end, c


@pytest.mark.parametrize(
    ("topic", "follow_up"),
    [("Was fordert Rutte?", "Um wie viel Prozent?"), ("What does Rutte demand?", "By how much?")],
)
def test_a_follow_up_that_asks_only_in_what_unit_keeps_the_topic(
    live_server: str, topic: str, follow_up: str
) -> None:
    """ "Prozent" is a unit, not a topic: the follow-up is searched with Rutte's topic and
    cites the NATO article's 30 percent, instead of starting a topic "Prozent" of its own."""
    with httpx.Client(base_url=live_server, timeout=120) as http:
        opening = _chat(http, topic)
        assert "Rutte" in opening["citations"][0]["quote"], opening["citations"]
        body = _chat(http, follow_up, opening["conversation_id"])
    assert body["abstained"] is False, body
    assert "Rutte" in body["retrieval_query"], body["retrieval_query"]
    assert "30 Prozent" in " ".join(c["quote"] for c in body["citations"]), body["citations"]
    assert body["citations"][0]["document_id"] == opening["citations"][0]["document_id"]
