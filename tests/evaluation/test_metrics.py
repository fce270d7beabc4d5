"""Metrics and SQuAD loading: pure functions, checked on hand-made outcomes."""

import json
from pathlib import Path

import pytest

from qa_service.errors import InvalidInput
from qa_service.evaluation.metrics import (
    Outcome,
    contains_answer,
    normalise,
    percentile,
    summarise,
)
from qa_service.evaluation.squad import article_id, load_squad, parse_squad, spread


def outcome(
    citations: list[tuple[str, str]], *, abstained: bool = False, seconds: float = 0.01
) -> Outcome:
    return Outcome(
        question_id="q",
        gold_document="a",
        answers=("Ludwig XIV.", "Ludwig"),
        abstained=abstained,
        citations=tuple(citations),
        passages=tuple(citations),
        seconds=seconds,
    )


def test_answer_match_ignores_case_and_whitespace() -> None:
    assert normalise("  Der\n König  ") == "der könig"
    assert contains_answer("Unter LUDWIG\nxiv. begann es.", ["Ludwig XIV."])
    assert not contains_answer("Unter Karl begann es.", ["Ludwig XIV."])
    assert not contains_answer("anything", [""])


def test_summarise_counts_top_any_doc_and_abstain() -> None:
    outcomes = [
        outcome([("a", "Ludwig XIV. sprach."), ("b", "x")]),  # top hit, doc hit
        outcome([("b", "nichts"), ("a", "Ludwig kam.")]),  # hit only in the 2nd citation
        outcome([("a", "nichts hier")]),  # doc hit, no answer
        outcome([], abstained=True),
    ]
    m = summarise(outcomes, ingest_seconds=2.5)
    assert m.questions == 4
    assert m.answer_in_top_citation == 0.25
    assert m.answer_in_citations == 0.5
    assert m.doc_hit_at_1 == 0.5
    assert m.abstained == 0.25
    assert m.max_citations == 2
    assert m.median_citation_chars == len("nichts hier")  # of the three answered
    assert m.ingest_seconds == 2.5
    line = m.as_json()
    assert line["doc_hit@1"] == 0.5 and "doc_hit_at_1" not in line
    json.dumps(line)


def test_latency_percentiles() -> None:
    outcomes = [outcome([], seconds=s / 1000) for s in range(1, 101)]
    m = summarise(outcomes)
    assert m.latency_p50_ms == pytest.approx(50.5)
    assert m.latency_p95_ms == pytest.approx(95.05)
    assert percentile([], 50) == 0.0


def test_empty_run_is_all_zero() -> None:
    m = summarise([])
    assert m.questions == 0 and m.answer_in_top_citation == 0.0 and m.median_citation_chars == 0


SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Fresno,_California",
            "paragraphs": [
                {
                    "context": "Fresno liegt in Kalifornien.",
                    "qas": [
                        {
                            "id": "1",
                            "question": "Wo liegt Fresno?",
                            "answers": [
                                {"text": "Kalifornien", "answer_start": 16},
                                {"text": "Kalifornien", "answer_start": 16},
                            ],
                        }
                    ],
                },
                {"context": "Es ist heiß.", "qas": []},
            ],
        },
        {"title": "Nur Fragen", "paragraphs": [{"qas": [{"id": "2", "question": "?"}]}]},
    ],
}


def test_parse_squad_joins_paragraphs_and_keeps_gold_in_text(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    data = load_squad(path)
    [article] = data.articles  # the context-less entry adds questions, no article
    assert article.id == article_id("Fresno,_California") == "Fresno-_California"
    assert article.title == "Fresno, California"
    assert article.text == "Fresno liegt in Kalifornien.\n\nEs ist heiß."
    first, second = data.questions
    assert first.answers == ("Kalifornien",) and first.document_id == article.id
    assert second.document_id == "Nur-Fragen" and second.answers == ()
    assert data.select_articles([article.id]).questions == [first]


def test_parse_squad_rejects_other_json() -> None:
    with pytest.raises(InvalidInput):
        parse_squad({"articles": []})


def test_spread_is_even_and_deterministic() -> None:
    assert spread(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert spread(list(range(3)), 10) == [0, 1, 2]
    assert spread(list(range(3)), None) == [0, 1, 2]


def test_parse_squad_keeps_articles_apart_and_merges_repeated_texts() -> None:
    def entry(title: str, text: str, qid: str) -> dict:
        qa = {"id": qid, "question": "Was?", "answers": [{"text": text[:3]}]}
        return {"title": title, "paragraphs": [{"context": text, "qas": [qa]}]}

    data = {"data": [entry("!!!", "Erster Text.", "1"), entry("???", "Zweiter Text.", "2")]}
    data["data"].append(entry("Kopie", "Erster Text.", "3"))
    parsed = parse_squad(data)
    assert [a.id for a in parsed.articles] == ["article", "article-2"]
    assert [q.document_id for q in parsed.questions] == ["article", "article-2", "article"]
