"""The answer text: the cited statements in article order, near-ties of one article only."""

import re

import pytest

from qa_service.answer.citations import Citation
from qa_service.answer.text import compose_answer
from qa_service.config import Settings
from qa_service.models import Article
from qa_service.service import build_service
from tests.helpers.embedders import MemoEmbedder


def cite(number: int, doc: str, start: int, score: float) -> Citation:
    return Citation(number, doc, None, start, start + 10, "irrelevant", score)


def test_near_ties_of_the_same_article_join_in_article_order() -> None:
    cited = [
        (cite(1, "a", 100, 0.90), "Zweiter\n  Satz."),
        (cite(2, "a", 10, 0.88), "Erster Satz."),
        (cite(3, "a", 300, 0.80), "Zu weit unten."),  # not within the margin
    ]
    assert compose_answer(cited, margin=0.03) == "Erster Satz. [2] Zweiter Satz. [1]"


def test_another_articles_near_tie_stays_a_citation_only() -> None:
    cited = [(cite(1, "a", 0, 0.90), "Hier."), (cite(2, "b", 0, 0.90), "Dort.")]
    assert compose_answer(cited, margin=0.03) == "Hier. [1]"


def test_an_articles_footnote_markers_are_not_read_as_ours() -> None:
    # Found by a black-box bug hunt: "... Tagen[2]." in the answer text read as citation 2.
    cited = [(cite(1, "a", 0, 0.90), "Nach 1.200 Tagen[2] endet es.[12] Sicher?[3]")]
    assert compose_answer(cited, margin=0.03) == "Nach 1.200 Tagen endet es. Sicher? [1]"


def test_superscript_footnotes_go_cross_references_and_exponents_stay() -> None:
    # Found by a black-box bug hunt: superscript markers stayed in the answer text, and the
    # "[2]" of a cross-reference ("siehe [2]", a space before it) was removed with the rest;
    # and (HUNT7 M6) kept as "[2]" it read as our citation marker: round brackets now.
    cited = [
        (
            cite(1, "a", 0, 0.90),
            "Die Brücke kostet Geld¹ und kommt 2027.²³ Details siehe [2], Karte [4]. "
            "Sie überspannt 120 m² und trägt 10³ Tonnen (E = mc²).",
        )
    ]
    assert compose_answer(cited, margin=0.03) == (
        "Die Brücke kostet Geld und kommt 2027. Details siehe (2), Karte (4). "
        "Sie überspannt 120 m² und trägt 10³ Tonnen (E = mc²). [1]"
    )


BRIDGE = (
    "Der Stadtrat von Kleinhausen hat am Dienstag den Bau einer neuen Brücke über die "
    "Wolke beschlossen.{1} Die Brücke soll 4,2 Millionen Euro kosten{2} und im Jahr 2027 "
    "fertig sein.{3}\n\nDer Bürgermeister sprach von einem guten Tag für die Stadt.{4}"
)


@pytest.mark.parametrize(
    "markers",
    [
        ("[1]", "[2]", "[3]", "[4]"),
        # Found by a black-box bug hunt: superscript markers were not footnotes.
        ("¹", "²", "³", "⁴"),
    ],
)
def test_footnotes_in_a_real_answer(
    empty_settings: Settings, embedder: MemoEmbedder, markers: tuple[str, ...]
) -> None:
    """Real model, real index: the answer's markers are exactly its citations' ids, and the
    citation still quotes the article exactly, footnote included."""
    service = build_service(empty_settings, embedder)
    text = BRIDGE.format(None, *markers)
    service.add_document(Article(text=text, title="Brücke"), "bruecke")
    answer = service.ask("Was kostet die Brücke?")
    assert not answer.abstained and answer.citations
    ids = {c.id for c in answer.citations}
    ours = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert ours and ours <= ids, answer.answer
    assert "4,2 Millionen Euro kosten und" in answer.answer, answer.answer
    assert not set("¹²³⁴") & set(answer.answer), answer.answer
    for c in answer.citations:
        assert service.stores.documents.text(c.document_id)[c.start : c.end] == c.quote
    assert any(
        f"kosten{markers[1]} und im Jahr 2027 fertig sein.{markers[2]}" in c.quote
        for c in answer.citations
    )
    # The markers stay with the sentence they end: no citation starts with one.
    assert not any(c.quote.startswith(("[", *markers)) for c in answer.citations), answer.citations
    service.close()


def test_a_citation_that_only_frames_the_answer_is_not_said() -> None:
    # A headline or the lead the best sentence was read with has no statement: cited only.
    cited = [
        (cite(1, "a", 100, 0.90), "Mit 55 Prozent gewann Karl Stein."),
        (cite(2, "a", 10, 0.91), ""),
    ]
    assert compose_answer(cited, margin=0.03) == "Mit 55 Prozent gewann Karl Stein. [1]"
