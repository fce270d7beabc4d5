"""The chat page and the widget in a real browser (chromium via puppeteer-core), against a
real uvicorn process over the seeds plus an article full of emoji.

Screenshots land in each test's tmp_path (`pytest --basetemp=DIR` keeps them in one place).
"""

import json
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.browser import run_scenario
from tests.helpers.servers import free_port, serve_process

pytestmark = pytest.mark.slow

ROCKET = Path(__file__).parent / "data" / "raketenstart.txt"  # emoji before the quotes
QUESTION = "Wann startete die Rakete Sternfalke?"
NEWS = {  # more articles than the page lists (5): it must list the newest, not the oldest
    "zz-1-hafen.txt": "Neuer Fähranleger in Hafenstedt\n\nDer Anleger ging am Montag in Betrieb.",
    "zz-2-schule.txt": "Schule in Waldau saniert\n\nDie Grundschule hat ein neues Dach bekommen.",
    "zz-3-markt.txt": "Markt in Lindenberg zieht um\n\nDer Markt ist nun am Rathaus.",
    "zz-4-bad.txt": "Freibad in Seehausen öffnet früher\n\nDas Bad öffnet schon am 1. Mai.",
}


@pytest.fixture(scope="module")
def host_page_port() -> int:
    """The port of the widget scenario's host page: another origin, allowed by CORS."""
    return free_port()


@pytest.fixture(scope="module")
def page_server(tmp_path_factory: pytest.TempPathFactory, host_page_port: int) -> Iterator[str]:
    root = tmp_path_factory.mktemp("page-server")
    (root / "seeds").mkdir()
    shutil.copy(ROCKET, root / "seeds")
    for name, text in NEWS.items():
        (root / "seeds" / name).write_text(text, encoding="utf-8")
    origins = json.dumps([f"http://127.0.0.1:{host_page_port}"])
    with serve_process(root, env={"QA_CORS_ORIGINS": origins}) as (url, _):
        yield url


def check_answer(url: str, chat: dict[str, Any]) -> dict[str, Any]:
    """The shown answer and every opened citation against the API's record of the turn."""
    assert chat["contentType"].startswith("text/event-stream")
    turns = httpx.get(f"{url}/v1/conversations/{chat['conversation']}").json()["turns"]
    body = turns[-1]
    assert body["message"] == chat["asked"]
    assert not body["abstained"] and body["citations"]
    # The answer was on screen, sentence by sentence, before its citations arrived.
    assert chat["partial"] and chat["partial"][0] in body["answer"]
    assert chat["answer"]["text"].startswith(body["answer"].split(" [")[0])
    assert len(chat["citations"]) == len(body["citations"])
    texts: dict[str, str] = {}
    for c, seen in zip(body["citations"], chat["citations"], strict=True):
        doc = c["document_id"]
        texts.setdefault(doc, httpx.get(f"{url}/v1/documents/{doc}").json()["text"])
        text = texts[doc]
        assert text[c["start"] : c["end"]] == c["quote"]
        assert seen["highlighted"] == c["quote"]  # the whole highlight is exactly the quote
        assert seen["chosen"] == text[c["chosen_start"] : c["chosen_end"]]
        assert c["start"] <= c["chosen_start"] < c["chosen_end"] <= c["end"]
        if seen["chosen"] != seen["highlighted"]:  # context around it: visibly different
            assert seen["chosenBackground"] != seen["quoteBackground"]
        assert (c["title"] or doc) in seen["heading"]
        assert seen["role"] == "dialog" and seen["backdrop"] and seen["focused"] == "x"
        assert set(seen["fonts"]) == {seen["boxFont"]}  # the article in the chat's type family
        assert seen["closed"]
    for listed, c in zip(chat["answer"]["listed"], body["citations"], strict=True):
        folded = " ".join(c["quote"].split())
        shown = listed.split("„", 1)[1].rsplit("“", 1)[0]
        if shown != folded:  # cut: at a word boundary, marked with an ellipsis
            assert shown.endswith(" …"), shown
            prefix = shown.removesuffix(" …")
            assert folded.startswith(prefix) and folded[len(prefix)] in " ,;:.–-", shown
    return body


def test_desktop_page_streams_answers_and_highlights_each_citation(
    page_server: str, tmp_path: Path
) -> None:
    result = run_scenario("desktop", page_server, tmp_path, QUESTION)
    assert result["problems"] == []

    welcome = result["welcome"]
    health = httpx.get(f"{page_server}/health").json()
    assert f"{health['documents']} Artikel" in welcome["text"]
    # The newest five, newest first (found by a black-box bug hunt: the page asked for the
    # first page of /v1/documents, which lists the oldest first, and showed those), asked
    # for in one request (it took two: the first page for the total, then the last page).
    total = health["documents"]
    assert total > 5
    oldest_first = httpx.get(f"{page_server}/v1/documents", params={"offset": total - 5}).json()
    titles = [d["title"] for d in reversed(oldest_first["items"])]
    assert [item.split(" · ")[0] for item in welcome["items"][:5]] == titles
    assert welcome["items"][5:] == [f"und {total - 5} weitere"]
    assert welcome["listings"] == ["?order=newest&limit=5"]
    examples = httpx.get(f"{page_server}/v1/examples").json()["questions"]
    assert 2 <= len(welcome["examples"]) == len(examples)
    assert welcome["examples"] == [q["question"] for q in examples]
    assert welcome["live"] == "polite" and welcome["labelFor"] == welcome["inputId"]

    for layout in (result["emptyLayout"], result["layout"]):
        assert not layout["pageScrollsY"] and not layout["pageScrollsX"], layout
        assert len(set(layout["fonts"].values()) - {None}) == 1, layout["fonts"]  # one family
        assert "system-ui" in layout["fonts"]["box"]

    body = check_answer(page_server, result["chat"])
    assert "9.12 Uhr" in body["answer"]
    assert any("🚀" in c["quote"] for c in body["citations"])  # offsets past emoji

    error = result["error"]
    assert error["text"].startswith("Fehler:") and "keine Wörter" in error["text"]
    assert error["color"] != "rgb(27, 31, 36)"  # not styled like an answer


def test_phone_360px_taps_an_example_and_every_citation(page_server: str, tmp_path: Path) -> None:
    result = run_scenario("phone", page_server, tmp_path)
    assert result["problems"] == []
    for layout in (result["emptyLayout"], result["layout"]):
        assert layout["width"] == 360
        assert not layout["pageScrollsY"] and not layout["pageScrollsX"], layout
    body = check_answer(page_server, result["chat"])
    assert body["message"] in [
        q["question"] for q in httpx.get(f"{page_server}/v1/examples").json()["questions"]
    ]
    assert body["citations"]
    for seen in result["chat"]["citations"]:
        assert seen["dialogWidth"] <= 360 and not seen["articleOverflowsX"]


def test_keyboard_only(page_server: str, tmp_path: Path) -> None:
    result = run_scenario("keyboard", page_server, tmp_path, QUESTION)
    assert result["problems"] == []
    assert result["focusedInput"] == "qa-input" and result["tabsToInput"] <= 5
    assert result["focusInDialog"] == "x"  # the close button takes focus
    assert result["afterTab"] == "article" and result["afterTwoTabs"] == "x"  # focus stays inside
    assert result["closedByEscape"] and result["focusAfterClose"] == "cite"


def test_widget_in_a_host_page_keeps_its_look_and_the_host_keeps_its(
    page_server: str, host_page_port: int, tmp_path: Path
) -> None:
    port = {"HOST_PAGE_PORT": str(host_page_port)}
    result = run_scenario("widget", page_server, tmp_path, QUESTION, env=port)
    assert result["problems"] == []
    # Nothing of the widget leaked out: the host's .box and .launcher keep the host's rules.
    assert result["hostBefore"] == result["hostAfter"]
    box, button = result["hostBefore"]["box"], result["hostBefore"]["button"]
    assert (box["border"], box["radius"], box["position"]) == ("9px", "0px", "static")
    assert (button["radius"], button["position"]) == ("0px", "static")
    assert button["background"] == "rgb(0, 128, 0)" and "Courier" in button["font"]
    for part in result["inside"].values():  # nothing of the host leaked in
        assert "Courier" not in part["font"] and "system-ui" in part["font"]
        assert part["color"] != "rgb(200, 0, 0)" and part["border"] != "9px"
    check_answer(page_server, result["chat"])


def test_the_question_limit_counts_as_the_service_does(page_server: str, tmp_path: Path) -> None:
    # Found by a black-box bug hunt: the input's maxLength counted UTF-16 units (two per
    # emoji), the service code points after NFC, so a question the service takes was cut.
    result = run_scenario("limit", page_server, tmp_path, QUESTION)
    assert result["problems"] == []
    limit = httpx.get(f"{page_server}/health").json()["max_question_chars"]
    full = result["full"]
    assert len(full) == limit == 2000 and len(full.encode("utf-16-le")) // 2 > 3000
    assert result["typed"] == full  # all of it (maxLength kept 2000 UTF-16 units: 1,019)
    assert result["pastLimit"] == full  # one more character is not taken
    decomposed = result["decomposed"]
    assert len(decomposed) > limit >= len(unicodedata.normalize("NFC", decomposed))
    assert result["decomposedTyped"] == decomposed  # kept whole, as typed
    assert result["status"] == result["decomposedStatus"] == 200
    turns = httpx.get(f"{page_server}/v1/conversations/{result['conversation']}").json()["turns"]
    assert [t["message"] for t in turns] == [full, unicodedata.normalize("NFC", decomposed)]
