"""A question answers the same however it is typed: in capitals, with invisible format
characters, in fullwidth or mathematical letters. A real `serve` process in each storage
mode (SQLite + embedded Chroma; PostgreSQL + `chroma run`), the real model, real HTTP."""

import httpx
import pytest

from tests.helpers.checks import ask_exact, assert_citations_exact

pytestmark = pytest.mark.slow

QUESTION = "Wer leitete das Treffen in Brüssel?"


def ask(served: httpx.Client, question: str) -> dict:
    return ask_exact(served, question)


@pytest.mark.parametrize(
    "typed",
    [
        # Found by a black-box bug hunt: each of these abstained while the question answered.
        "WER LEITETE DAS TREFFEN IN BRÜSSEL?",
        "Wer leitete das Tref\u00adfen in Brüssel?",  # a soft hyphen
        "Ｗｅｒ ｌｅｉｔｅｔｅ ｄａｓ Ｔｒｅｆｆｅｎ ｉｎ Ｂｒüｓｓｅｌ?",  # fullwidth letters
        "𝐖𝐞𝐫 𝐥𝐞𝐢𝐭𝐞𝐭𝐞 𝐝𝐚𝐬 𝐓𝐫𝐞𝐟𝐟𝐞𝐧 𝐢𝐧 𝐁𝐫ü𝐬𝐬𝐞𝐥?",  # mathematical bold letters
        "Wer leitete das\u200b Treffen in Brüssel?\u200e",  # a zero-width space, an LRM
    ],
)
def test_a_question_answers_however_it_is_typed(served: httpx.Client, typed: str) -> None:
    expected = ask(served, QUESTION)
    assert not expected["abstained"] and "Pistorius" in expected["answer"], expected
    assert ask(served, typed) == expected  # the same answer, citations, scores and passages


@pytest.mark.parametrize(
    ("shouted", "cased"),
    [
        # The capitalised words of the cased question decide the near-miss test: "Kiew" is in
        # the articles, "Bürgermeister" is not, so both abstain alike.
        ("WER IST DER BÜRGERMEISTER VON KIEW?", "Wer ist der Bürgermeister von Kiew?"),
        (
            "WANN WURDE ROBERT BROWDI ZUM CHEF DER DROHNENTRUPPEN ERNANNT?",
            "Wann wurde Robert Browdi zum Chef der Drohnentruppen ernannt?",
        ),
        ("WHO CHAIRED THE MEETING IN BRUSSELS?", "Who chaired the meeting in Brussels?"),
    ],
)
def test_an_all_caps_question_reads_as_the_cased_one(
    served: httpx.Client, shouted: str, cased: str
) -> None:
    assert ask(served, shouted) == ask(served, cased)


def test_the_near_miss_still_abstains_in_capitals(served: httpx.Client) -> None:
    body = ask(served, "WER IST DER BÜRGERMEISTER VON KIEW?")
    assert body["abstained"] and body["citations"] == [], body


def test_a_chat_turn_in_capitals_answers_as_cased_and_is_stored_as_typed(
    served: httpx.Client,
) -> None:
    shouted = "WER LEITETE DAS TREFFEN IN BRÜSSEL?"
    response = served.post("/v1/chat", json={"message": shouted})
    assert response.status_code == 200, response.text
    chat = response.json()
    expected = ask(served, QUESTION)
    assert_citations_exact(served, chat)
    assert (chat["answer"], chat["citations"]) == (expected["answer"], expected["citations"])
    stored = served.get(f"/v1/conversations/{chat['conversation_id']}").json()
    assert stored["turns"][0]["message"] == shouted


# Found by a black-box bug hunt: /v1/chat and /v1/chat/completions counted the question after
# NFKC (its reading form) and refused what /v1/ask and the page accept; the limit is counted
# in NFC on every route. Ligatures pasted from a PDF: 1,980 characters, 2,159 in NFKC.
LIGATURES = ("Die Oﬃziere ﬁnden den Treﬀpunkt in Brüssel. " * 45)[:1990].strip()


# U+FDFA is 18 characters in NFKC (alone it is no question: tests/api/test_ask.py).
@pytest.mark.parametrize("question", [LIGATURES, "Was " + "\ufdfa" * 1986])
def test_every_route_counts_the_question_in_nfc(served: httpx.Client, question: str) -> None:
    assert len(question) <= 2000
    ask(served, question)
    chat = served.post("/v1/chat", json={"message": question})
    assert chat.status_code == 200, chat.text
    assert_citations_exact(served, chat.json())
    # The reading form is cut past 1.25x the limit (tuning/limits.py READING_FORM_EXPANSION)
    assert len(chat.json()["retrieval_query"]) <= 2500
    completion = served.post(
        "/v1/chat/completions",
        json={"model": "qa-service", "messages": [{"role": "user", "content": question}]},
    )
    assert completion.status_code == 200, completion.text
    body = completion.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"


def test_a_question_over_the_limit_in_nfc_is_refused_on_every_route(
    served: httpx.Client,
) -> None:
    question = "Wer leitete das Treffen? " * 81  # 2,025 characters
    assert served.post("/v1/ask", json={"question": question}).status_code == 422
    assert served.post("/v1/chat", json={"message": question}).status_code == 422
    completion = served.post(
        "/v1/chat/completions",
        json={"model": "qa-service", "messages": [{"role": "user", "content": question}]},
    )
    assert completion.status_code == 400, completion.text
    assert "error" in completion.json()
