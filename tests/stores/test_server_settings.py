"""Server mode's settings and schema: both URLs or neither; numbered migrations that race safely."""

import hashlib
import os
import subprocess
import sys
import threading

import psycopg
import pytest
from pydantic import ValidationError

from qa_service.config import Settings
from qa_service.models import content_hash
from qa_service.stores.postgres import migrations as pg_migrations
from qa_service.stores.postgres.documents import PostgresDatabase, PostgresDocumentStore
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.engines import ChromaServer, PostgresServer, free_port
from tests.helpers.paths import ROOT


def _start_up_error(server_urls: dict[str, str]) -> list[str]:
    """stderr lines of `qa-service documents` with these URL settings (and no others),
    which must fail at start-up without a traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("QA_DATABASE_URL", "QA_CHROMA_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "qa_service", "documents"],
        env={**env, **server_urls, "PYTHONPATH": str(ROOT), "COLUMNS": "300"},  # no wrapping
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip().splitlines()


@pytest.mark.parametrize(
    ("given", "missing"),
    [("QA_DATABASE_URL", "QA_CHROMA_URL"), ("QA_CHROMA_URL", "QA_DATABASE_URL")],
)
def test_one_url_alone_is_a_one_line_error(given: str, missing: str) -> None:
    url = "postgresql://qa@127.0.0.1:1/qa" if given == "QA_DATABASE_URL" else "http://127.0.0.1:1"
    with pytest.raises(ValidationError, match=f"{given} is set but {missing} is missing"):
        Settings(**{given.removeprefix("QA_").lower(): url})
    lines = _start_up_error({given: url})
    assert len(lines) == 1 and missing in lines[0], lines


@pytest.mark.parametrize(
    ("name", "url", "words"),
    [
        ("QA_DATABASE_URL", "postgresql://qa:s3cret@127.0.0.1:notaport/qa", "cannot be parsed"),
        ("QA_DATABASE_URL", "postgresql://qa:s3cret x@127.0.0.1/qa?sslmode=a b", "cannot be"),
        ("QA_DATABASE_URL", "mysql://qa:s3cret@127.0.0.1/qa", "not a PostgreSQL URL"),
        ("QA_CHROMA_URL", "127.0.0.1:8000", "not an HTTP URL"),
        ("QA_CHROMA_URL", "http://127.0.0.1:chroma", "port is not a number"),
    ],
)
def test_a_malformed_url_is_a_start_up_error(name: str, url: str, words: str) -> None:
    # Found by a black-box bug hunt: a malformed QA_DATABASE_URL started a service that
    # reported PostgreSQL "unavailable" on every request.
    other = {"QA_DATABASE_URL": "postgresql://qa@127.0.0.1:1/qa", "QA_CHROMA_URL": "http://h:1"}
    lines = _start_up_error({**other, name: url})
    assert len(lines) == 1 and name in lines[0] and words in lines[0], lines
    assert "s3cret" not in lines[0]


def test_neither_url_is_embedded_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index_dir=tmp_path)
    assert not settings.server_mode and settings.database_url is None


def test_an_older_database_is_migrated_and_replicas_do_not_race(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database()
    with psycopg.connect(url, autocommit=True) as conn:
        assert pg_migrations.migrate(conn, upto=1) == ["m001_documents_and_keyword_index"]
        assert pg_migrations.applied_version(conn) == 1
        # A document stored before m004, hashed from its raw text (trailing newline).
        conn.execute(
            "INSERT INTO documents (id, version, content_hash, text, n_chunks, n_sentences, "
            "created_at, updated_at) VALUES ('alt', 'v', %s, %s, 0, 0, 0, 0)",
            (hashlib.sha256(b"Alter Text.\n").hexdigest(), "Alter Text.\n"),
        )
    # Eight "replicas" open the older database at the same moment.
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_store() -> None:
        try:
            start.wait()
            PostgresDatabase(url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, pg_migrations.SCHEMA_VERSION + 1))
    store = PostgresDocumentStore(PostgresDatabase(url))
    record = store.get("alt")
    assert record is not None and record.content_hash == content_hash("Alter Text.")
    assert store.find_by_hash(content_hash("Alter Text.")) == record
    store.close()


@pytest.mark.slow
@pytest.mark.parametrize("command", [["documents"], ["keys", "list"], ["check"]])
def test_start_up_errors_name_the_real_cause(
    command: list[str], postgres_server: PostgresServer, chroma_server: ChromaServer
) -> None:
    def error(database_url: str, chroma_url: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        result = subprocess.run(
            [sys.executable, "-m", "qa_service", *command],
            env={
                **env,
                "QA_DATABASE_URL": database_url,
                "QA_CHROMA_URL": chroma_url,
                "QA_BACKEND_TIMEOUT": "2",
                "PYTHONPATH": str(ROOT),
                "COLUMNS": "300",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        return [line for line in result.stderr.splitlines() if line.startswith("error:")][-1]

    no_database = error(postgres_server.url("no_such_db"), chroma_server.database_url())
    assert 'database "no_such_db" does not exist' in no_database, no_database
    closed = f"http://127.0.0.1:{free_port()}"
    no_chroma = error(postgres_server.create_database(), closed)
    assert no_chroma.startswith(f"error: Chroma is unavailable: cannot reach {closed}"), no_chroma
    assert "QA_INDEX_DIR" not in no_chroma


@pytest.mark.slow
def test_an_embedder_mismatch_in_server_mode_gives_server_mode_advice(
    server_settings: Settings, embedder: MemoEmbedder
) -> None:
    from qa_service.errors import EmbedderMismatch
    from qa_service.service import build_service
    from qa_service.stores import open_stores

    stores = open_stores(server_settings)
    stores.documents.set_property_if_absent("embedder", "another-model")
    stores.close()
    with pytest.raises(EmbedderMismatch) as raised:
        build_service(server_settings, embedder)
    assert "QA_DATABASE_URL and QA_CHROMA_URL at new, empty databases" in str(raised.value)
    assert "QA_INDEX_DIR" not in str(raised.value)
