"""/v1/chat: German follow-ups resolved against the conversation, conversations persisted."""

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.service import build_service
from tests.helpers.checks import assert_citations_exact
from tests.helpers.embedders import MemoEmbedder

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
APPOINTMENT = "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt"

# (first question, follow-up, text of the sentence the follow-up is about). Asked alone, each
# follow-up cites something else (measured: "Weitere Länder beteiligten sich an diesen
# Vorhaben.", "Schoigu sei auf Anweisung Putins in Pjöngjang.", the 134 Vorstöße).
FOLLOW_UPS = [
    (DRONES, "Wann war das?", "Robert Browdi als Chef der Drohnentruppen"),
    (
        "Um wie viel Prozent sollen die Fähigkeiten der NATO erhöht werden?",
        "Wozu?",
        "zur Abschreckung und Verteidigung um etwa 30 Prozent",
    ),
    ("Wer unterstützt Russland in Kursk?", "Wie viele sind es?", "10.000 nordkoreanischen"),
]


def _chat(client: TestClient, message: str, conversation_id: str | None = None) -> dict:
    payload = {"message": message, "conversation_id": conversation_id}
    response = client.post("/v1/chat", json=payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_citations_exact(client, body)
    return body


def test_follow_ups_need_the_conversation(client: TestClient) -> None:
    for first, follow_up, expected in FOLLOW_UPS:
        alone = client.post("/v1/ask", json={"question": follow_up}).json()
        assert not alone["citations"] or expected not in alone["citations"][0]["quote"], alone

        opening = _chat(client, first)
        assert expected in opening["citations"][0]["quote"]
        body = _chat(client, follow_up, opening["conversation_id"])
        assert body["conversation_id"] == opening["conversation_id"] and body["turn"] == 1
        assert body["abstained"] is False
        assert expected in body["citations"][0]["quote"], (follow_up, body["citations"])
        assert body["retrieval_query"].startswith(follow_up)
        assert body["retrieval_query"] != follow_up


def test_drone_conversation(client: TestClient) -> None:
    first = _chat(client, DRONES)
    cid = first["conversation_id"]
    assert first["turn"] == 0 and first["retrieval_query"] == DRONES
    assert "Robert Browdi" in first["citations"][0]["quote"] and "[1]" in first["answer"]

    paratroopers = _chat(client, "Und wer wurde Chef der Fallschirmjägertruppen?", cid)
    assert "Oleh Apostol" in paratroopers["citations"][0]["quote"]
    when = _chat(client, "Wann war das?", cid)
    # The article dates the appointment no further than the sentence that reports it.
    assert APPOINTMENT in when["citations"][0]["quote"]
    assert "Fallschirmjägertruppen" in when["retrieval_query"]

    conversation = client.get(f"/v1/conversations/{cid}").json()
    assert conversation["id"] == cid
    assert [t["message"] for t in conversation["turns"]] == [
        DRONES,
        "Und wer wurde Chef der Fallschirmjägertruppen?",
        "Wann war das?",
    ]
    assert [t["turn"] for t in conversation["turns"]] == [0, 1, 2]
    for turn, body in zip(conversation["turns"], [first, paratroopers, when], strict=True):
        assert [c.pop("stale") for c in turn["citations"]] == [False] * len(body["citations"])
        assert turn["citations"] == body["citations"]
        assert turn["answer"] == body["answer"]
        assert_citations_exact(client, {"citations": turn["citations"], "passages": []})


def test_a_new_topic_is_not_hijacked(client: TestClient) -> None:
    cid = _chat(client, DRONES)["conversation_id"]
    question = "Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?"
    alone = client.post("/v1/ask", json={"question": question}).json()
    body = _chat(client, question, cid)
    assert body["retrieval_query"] == question
    assert body["citations"] == alone["citations"] and body["answer"] == alone["answer"]
    assert "Kim Jong Un" in body["citations"][0]["quote"]

    # The next follow-up is about the new topic, not the drones.
    when = _chat(client, "Wann war das?", cid)
    assert "Schoigu" in when["retrieval_query"] and "Drohnentruppen" not in when["retrieval_query"]
    assert "Schoigu" in when["citations"][0]["quote"]


def test_an_english_what_question_is_not_hijacked(client: TestClient) -> None:
    """ "What ...?" names its own topic: searched exactly as /v1/ask (HUNT11 M1: it was
    searched with "appointed head" and cited Umjerow's quote instead of Pistorius)."""
    cid = _chat(client, "Who was appointed head of the drone forces?")["conversation_id"]
    question = "What did Pistorius announce in Brussels?"
    alone = client.post("/v1/ask", json={"question": question}).json()
    body = _chat(client, question, cid)
    assert body["retrieval_query"] == question
    assert body["citations"] == alone["citations"] and body["answer"] == alone["answer"]
    assert "Pistorius" in body["citations"][0]["quote"], body["citations"]


def _spans(citations: list[dict]) -> list[tuple[str, int, int]]:
    return [(c["document_id"], c["start"], c["end"]) for c in citations]


@pytest.mark.parametrize(
    ("opening", "follow_up", "completed"),
    [
        (["Grossi"], "Wovor warnt er?", "Wovor warnt Grossi?"),
        (["Was hat er gesagt?", "Grossi"], "Wovor warnt er?", "Wovor warnt Grossi?"),
        (
            ["What did he say?", "Grossi"],
            "What does he warn about?",
            "What does Grossi warn about?",
        ),
    ],
)
def test_a_pronoun_after_a_bare_name_asks_about_that_name(
    client: TestClient, opening: list[str], follow_up: str, completed: str
) -> None:
    """ "Grossi" (alone, or naming whom an ask-back meant) then "Wovor warnt er?" used to be
    searched as "Wovor warnt er? Grossi" with the embedding of the name alone mixed in, and
    answered confidently from the Schoigu article (HUNT11 H1). It asks what the completed
    question asks, on both conversation routes."""
    alone = client.post("/v1/ask", json={"question": completed}).json()
    assert alone["abstained"] is False and "Grossi" in alone["citations"][0]["quote"], alone
    cid = None
    for message in opening:
        cid = _chat(client, message, cid)["conversation_id"]
    body = _chat(client, follow_up, cid)
    assert body["retrieval_query"] == completed
    assert body["answer"] == alone["answer"] and body["citations"] == alone["citations"]

    messages: list[dict] = []
    for message in opening:
        messages += [{"role": "user", "content": message}, {"role": "assistant", "content": "..."}]
    messages.append({"role": "user", "content": follow_up})
    response = client.post(
        "/v1/chat/completions", json={"model": "qa-service", "messages": messages}
    )
    assert response.status_code == 200, response.text
    completion = response.json()
    assert_citations_exact(client, {"citations": completion["citations"], "passages": []})
    assert _spans(completion["citations"]) == _spans(alone["citations"])


def test_unknown_and_deleted_conversations(client: TestClient) -> None:
    for response in (
        client.post("/v1/chat", json={"conversation_id": "nope", "message": DRONES}),
        client.get("/v1/conversations/nope"),
        client.delete("/v1/conversations/nope"),
    ):
        assert response.status_code == 404, response.text
        assert "nope" in response.json()["detail"]

    cid = _chat(client, DRONES)["conversation_id"]
    assert client.delete(f"/v1/conversations/{cid}").status_code == 204
    assert client.get(f"/v1/conversations/{cid}").status_code == 404
    response = client.post("/v1/chat", json={"conversation_id": cid, "message": "Wann war das?"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("payload", "word"),
    [
        ({"message": ""}, "message"),
        ({"message": "  \n "}, "empty"),
        ({"message": "Wer " * 600}, "2000"),
        ({"message": DRONES, "top_k": 0}, "top_k"),
        ({"conversation_id": "x" * 65, "message": DRONES}, "conversation_id"),
        ({"question": DRONES}, "message"),
    ],
)
def test_bad_chat_input(client: TestClient, payload: dict, word: str) -> None:
    response = client.post("/v1/chat", json=payload)
    assert response.status_code == 422, response.text
    assert word in str(response.json()["detail"]).lower()


def test_malformed_chat_json(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "json" in str(response.json()["detail"]).lower()


def test_conversations_persist_across_restart(settings: Settings, embedder: MemoEmbedder) -> None:
    first_service = build_service(settings, embedder)
    with TestClient(create_app(settings, first_service)) as client:
        cid = _chat(client, DRONES)["conversation_id"]
        before = _chat(client, "Und wer wurde Chef der Fallschirmjägertruppen?", cid)
    first_service.close()

    second_service = build_service(settings, embedder)
    try:
        with TestClient(create_app(settings, second_service)) as client:
            turns = client.get(f"/v1/conversations/{cid}").json()["turns"]
            assert [t["message"] for t in turns] == [
                DRONES,
                "Und wer wurde Chef der Fallschirmjägertruppen?",
            ]
            restored = [{k: v for k, v in c.items() if k != "stale"} for c in turns[1]["citations"]]
            assert restored == before["citations"]
            assert not any(c["stale"] for t in turns for c in t["citations"])
            for turn in turns:
                assert turn["citations"]
                assert_citations_exact(client, {"citations": turn["citations"], "passages": []})
            # The restored conversation still resolves follow-ups.
            when = _chat(client, "Wann war das?", cid)
            assert when["turn"] == 2 and APPOINTMENT in when["citations"][0]["quote"]
    finally:
        second_service.close()


def test_citations_of_a_changed_article_are_marked_stale(client: TestClient) -> None:
    text = "Die Brücke in Flusstal ist 450 Meter lang. Sie wurde 1962 eröffnet."
    assert client.post("/v1/documents", json={"id": "bruecke", "text": text}).status_code == 201
    body = _chat(client, "Wie lang ist die Brücke in Flusstal?")
    assert body["citations"][0]["document_id"] == "bruecke"
    cid = body["conversation_id"]

    def stale() -> list[bool]:
        turn = client.get(f"/v1/conversations/{cid}").json()["turns"][0]
        return [c["stale"] for c in turn["citations"] if c["document_id"] == "bruecke"]

    assert stale() and not any(stale())
    changed = "Neu: " + text.replace("450", "480")
    client.post("/v1/documents", json={"id": "bruecke", "text": changed}).raise_for_status()
    assert stale() and all(stale())
    client.delete("/v1/documents/bruecke").raise_for_status()
    assert stale() and all(stale())


def test_a_follow_up_stays_with_the_conversations_article(client: TestClient) -> None:
    """An unrelated article with a date must not answer "Wann war das?" (it used to)."""
    bridge = "Die Brücke in Flusstal ist 450 Meter lang. Sie wurde 1962 eröffnet."
    client.post("/v1/documents", json={"id": "bruecke", "text": bridge}).raise_for_status()
    cid = _chat(client, DRONES)["conversation_id"]
    when = _chat(client, "Wann war das?", cid)
    assert when["citations"][0]["document_id"] != "bruecke", when["citations"][0]
    assert APPOINTMENT in when["citations"][0]["quote"]
    # Asked alone, nothing ties the question to the drones: no topic preference applies.
    alone = client.post("/v1/ask", json={"question": "Wann war das?"}).json()
    assert alone["abstained"] or APPOINTMENT not in alone["citations"][0]["quote"]


FLOOD = (
    "Das Hochwasser in Auendorf erreichte am Montag einen Pegel von 7,20 Metern. Rund 300 "
    "Menschen mussten ihre Häuser verlassen. Bürgermeister Jan Fluss rief den Katastrophenfall aus."
)
BRIDGE = (
    "Die neue Brücke in Flusstadt wurde am Freitag eröffnet. Bürgermeisterin Petra Stein sprach "
    'von einem "historischen Tag". Täglich sollen 24.000 Fahrzeuge die Brücke überqueren.'
)


@pytest.mark.parametrize(
    ("opening", "narrowing", "when"),
    [
        (
            "Wie hoch war der Pegel in Auendorf?",
            ("Und wie viele mussten ihre Häuser verlassen?", "300 Menschen"),
            "Wann war das?",
        ),
        # The German check did not read English topics: answered from the bridge article.
        ("How high was the water level in Auendorf?", None, "When was that?"),
    ],
)
def test_a_follow_up_after_its_article_was_deleted_abstains(
    client: TestClient, opening: str, narrowing: tuple[str, str] | None, when: str
) -> None:
    """ "Wann war das?" about a flood whose article was deleted used to be answered from the
    bridge article, with no date (HUNT11 L1), and "When was that?" still was: the topic is
    in no article any more (in English: its name, "Auendorf")."""
    for doc_id, text in (("flut", FLOOD), ("bruecke", BRIDGE)):
        client.post("/v1/documents", json={"id": doc_id, "text": text}).raise_for_status()
    level = _chat(client, opening)
    cid = level["conversation_id"]
    assert level["citations"][0]["document_id"] == "flut", level["citations"]
    if narrowing is not None:
        left = _chat(client, narrowing[0], cid)
        assert narrowing[1] in left["citations"][0]["quote"], left["citations"]
    # While the article is there, the follow-up is answered from it.
    control = _chat(client, when, cid)
    assert control["abstained"] is False and control["citations"][0]["document_id"] == "flut"

    assert client.delete("/v1/documents/flut").status_code == 204
    after = _chat(client, when, cid)
    assert "Auendorf" in after["retrieval_query"], after["retrieval_query"]
    assert after["abstained"] is True and after["citations"] == [], after


FESTIVAL = (
    "Zum Stadtfest in Birkenau kamen am Wochenende rund 20.000 Besucher. Die Veranstalter "
    "zeigten sich zufrieden. Bands aus der Region spielten auf drei Bühnen."
)


def test_a_follow_up_with_a_verb_of_its_own_abstains_once_its_article_was_deleted(
    client: TestClient,
) -> None:
    """ "Wann kamen sie?" after the flood article was deleted was answered from the festival
    article, whose sentence holds its verb ("kamen"; HUNT13 L6): a word of its own let the
    follow-up pass the check that its topic is still in some article. Only a name, noun or
    number of its own makes a follow-up ask about something else than its topic."""
    for doc_id, text in (("flut", FLOOD), ("bruecke", BRIDGE), ("fest", FESTIVAL)):
        client.post("/v1/documents", json={"id": doc_id, "text": text}).raise_for_status()
    opening = _chat(client, "Wie viele Menschen mussten in Auendorf ihre Häuser verlassen?")
    cid = opening["conversation_id"]
    assert "300 Menschen" in opening["citations"][0]["quote"], opening["citations"]
    # While the article is there, the follow-up is answered, the flood article among its
    # citations (each checked exact by _chat).
    control = _chat(client, "Wann kamen sie?", cid)
    assert control["abstained"] is False, control
    assert "flut" in {c["document_id"] for c in control["citations"]}, control["citations"]

    assert client.delete("/v1/documents/flut").status_code == 204
    after = _chat(client, "Wann kamen sie?", cid)
    assert "Auendorf" in after["retrieval_query"], after["retrieval_query"]
    assert after["abstained"] is True and after["citations"] == [], after
    # A follow-up naming something of its own still is answered ("Birkenau" is in an article).
    named = _chat(client, "Und wie viele kamen nach Birkenau?", cid)
    assert named["abstained"] is False, named
    assert named["citations"][0]["document_id"] == "fest", named["citations"]


@pytest.mark.parametrize("follow_up", ["Wann war das?", "Warum?"])
def test_a_german_follow_up_to_an_english_question_is_answered(
    client: TestClient, follow_up: str
) -> None:
    """The topic an English question sets carries English words ("drone forces"), which are
    in no German article even while its article is there: a German follow-up asking only
    about it is answered from that article, not abstained on as if it had been deleted."""
    opening = _chat(client, "Who was appointed head of the drone forces?")
    assert "Robert Browdi" in opening["citations"][0]["quote"], opening["citations"]
    body = _chat(client, follow_up, opening["conversation_id"])
    assert body["retrieval_query"] != follow_up, body["retrieval_query"]  # the topic is carried
    assert body["abstained"] is False, body
    # _chat checked every citation: article_text[start:end] == quote.
    assert "Robert Browdi" in body["citations"][0]["quote"], body["citations"]


BIKE = (
    "Neues E-Bike Stadtflitzer X1\n\nDer Hersteller Velomotion hat am Montag sein neues E-Bike "
    "Stadtflitzer X1 vorgestellt. Das Rad wiegt 23 Kilogramm und hat eine Reichweite von 120 "
    "Kilometern. Der Akku ist nach vier Stunden vollständig geladen. Das Stadtflitzer X1 kostet "
    "2499 Euro und kommt im April in den Handel."
)


@pytest.mark.parametrize(
    ("follow_up", "stated"),
    [
        ("Wie schwer ist es?", "23 Kilogramm"),
        ("Wie teuer ist es?", "2499 Euro"),
        ("Wie viel wiegt es?", "23 Kilogramm"),  # answered before, as a control
    ],
)
def test_a_follow_up_asking_a_measure_by_its_adjective_is_answered(
    client: TestClient, follow_up: str, stated: str
) -> None:
    """ "Wie schwer ist es?" abstained where "Wie viel wiegt es?" answered (HUNT M3): the
    sentence stating the weight does not say "schwer", so the follow-up seemed to ask beyond
    the conversation's topic. A sentence stating the measure answers its adjective."""
    client.post("/v1/documents", json={"id": "rad", "text": BIKE}).raise_for_status()
    opening = _chat(client, "Was hat Velomotion vorgestellt?")
    assert opening["citations"][0]["document_id"] == "rad", opening["citations"]
    body = _chat(client, follow_up, opening["conversation_id"])  # citations checked exact
    assert body["abstained"] is False, body
    assert any(stated in c["quote"] for c in body["citations"]), body["citations"]


def test_an_age_question_needs_an_age(client: TestClient) -> None:
    """ "Wie alt ist Schoigu?" was answered with "... in weniger als drei Monaten" (HUNT M4):
    the seeds state no age of his, so it abstains, in English too; an age the articles state
    ("Die 58-jährige ...") still answers."""
    for question in ("Wie alt ist Schoigu?", "How old is Shoigu?"):
        body = client.post("/v1/ask", json={"question": question}).json()
        assert body["abstained"] is True and body["citations"] == [], body
    mayor = (
        "Kleinhausen hat gewählt. Die 58-jährige Juristin Anna Vogel wird neue Bürgermeisterin "
        "der Stadt. Sie setzte sich mit 62 Prozent der Stimmen durch."
    )
    client.post("/v1/documents", json={"id": "wahl", "text": mayor}).raise_for_status()
    body = client.post("/v1/ask", json={"question": "Wie alt ist Anna Vogel?"}).json()
    assert body["abstained"] is False, body
    assert_citations_exact(client, body)
    assert "58-jährige" in body["citations"][0]["quote"], body["citations"]


FERRY = (
    "Die neue Fähre über die Saale in Dornbach wurde am Dienstag nach zwei Jahren Bauzeit "
    "eingeweiht. Sie kostete 4 Millionen Euro. Landrätin Eva Kunz sprach von einem guten Tag."
)
VOTE = (
    "Der Ortsteil Lindau hat am Sonntag einen neuen Ortsvorsteher bestimmt. Mit 61 Prozent der "
    "Stimmen gewann Jonas Reiter. Die Beteiligung lag bei 52 Prozent."
)
BRIDGE = (  # hunt15: the cost is said by a noun built on the verb, "Baukosten"
    "Neue Brücke in Großenhain eröffnet\n\nGroßenhain, 3. Juni 2025 – Nach drei Jahren Bauzeit "
    "hat Bürgermeisterin Sabine Müller am Dienstag die neue Elbbrücke eröffnet. Die Baukosten "
    "betrugen rund 12,5 Mio. Euro, d. h. etwa 2 Mio. mehr als geplant.\n\nDie Brücke ist 320 "
    "Meter lang und 14,8 m breit. Täglich sollen ca. 18.000 Fahrzeuge sie überqueren."
)
DOC_IDS = {FERRY: "faehre", VOTE: "lindau", BRIDGE: "elbbruecke"}


@pytest.mark.parametrize(
    ("text", "opening", "follow_up", "stated"),
    [
        (FERRY, "Wann wurde die Fähre in Dornbach eingeweiht?", "Was hat sie gekostet?", "kostete"),
        (FERRY, "Wann wurde die Fähre in Dornbach eingeweiht?", "Was kostete sie?", "kostete"),
        (VOTE, "Wen hat Lindau bestimmt?", "Wer hat dort gewonnen?", "gewann"),
        (VOTE, "Wen hat Lindau bestimmt?", "Wer gewann dort?", "gewann"),  # a control
        (BRIDGE, "Wer hat die Elbbrücke eröffnet?", "Was hat sie gekostet?", "Baukosten"),
    ],
)
def test_a_follow_up_in_the_perfect_finds_the_past_tense(
    client: TestClient, text: str, opening: str, follow_up: str, stated: str
) -> None:
    """HUNT13 C: "Was hat sie gekostet?" abstained where "Was kostete sie?" answered: the
    participle and the finite form stem apart, so the follow-up seemed to ask beyond the
    topic (``lexical.word_found``); hunt15: nor did the root of "gekostet" inside the
    "Baukosten" that state it (``lexical.verb_root``)."""
    doc_id = DOC_IDS[text]
    client.post("/v1/documents", json={"id": doc_id, "text": text}).raise_for_status()
    first = _chat(client, opening)
    assert first["citations"][0]["document_id"] == doc_id, first["citations"]
    body = _chat(client, follow_up, first["conversation_id"])  # citations checked exact
    assert body["abstained"] is False, body
    # Cited, not always first: the sentence scores read stems only (term_coverage).
    assert any(stated in c["quote"] for c in body["citations"]), body["citations"]
