"""`qa-service`: ingest, serve, ask, documents (and eval, added by the evaluation module)."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qa_service.config import get_settings
from qa_service.errors import DocumentNotFound, QAServiceError

app = typer.Typer(
    help="Question answering over news articles with exact citation spans.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)


def _service():  # type: ignore[no-untyped-def]
    from qa_service.service import build_service

    return build_service(get_settings())


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(code)


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files or folders.")]) -> None:
    """Ingest articles (.txt, .md, .html) into the index; unchanged files are skipped."""
    from qa_service.ingest.loading import article_files, load_file

    try:
        items = article_files(paths)
    except (FileNotFoundError, QAServiceError) as exc:
        raise _fail(exc) from None
    service = _service()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("ingesting", total=len(items))
        for doc_id, file in items:
            progress.update(task, description=f"ingesting {doc_id}")
            try:
                result = service.index.add(load_file(file), doc_id)
            except QAServiceError as exc:
                counts["failed"] += 1
                progress.console.print(f"[red]failed[/red] {doc_id}: {exc}")
            else:
                state = (
                    "created" if result.created else "updated" if result.updated else "unchanged"
                )
                counts[state] += 1
                progress.console.print(
                    f"{state:9} {doc_id}: {result.chunks} chunks, {result.sentences} sentences"
                )
            progress.advance(task)
    documents, chunks, _ = service.index.docs.counts()
    console.print(
        ", ".join(f"{v} {k}" for k, v in counts.items())
        + f"; index: {documents} documents, {chunks} chunks"
    )
    service.close()
    if counts["failed"]:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Serve the HTTP API (ingests the seeds first when the index is empty)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "qa_service.api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in German or English.")],
    top_k: Annotated[int, typer.Option(min=1, max=20)] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw response.")] = False,
) -> None:
    """Ask one question and print the answer with its citations."""
    service = _service()
    try:
        answer = service.answerer.ask(question, top_k)
    except QAServiceError as exc:
        raise _fail(exc, 2) from None
    finally:
        service.close()
    if as_json:
        from dataclasses import asdict

        console.print_json(json.dumps(asdict(answer), ensure_ascii=False))
        return
    console.print(f"[bold]{answer.answer}[/bold]")
    for c in answer.citations:
        console.print(
            f"  [{c.id}] {c.document_id} [{c.start}:{c.end}] (score {c.score:.3f}) {c.title or ''}"
        )
        console.print(f"      “{' '.join(c.quote.split())}”", style="dim")


@app.command()
def documents(
    offset: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """List the stored articles."""
    service = _service()
    records = service.index.docs.page(offset=offset, limit=limit)
    table = Table("id", "title", "chunks", "sentences", "published")
    for r in records:
        table.add_row(
            r.id, r.title or "", str(r.n_chunks), str(r.n_sentences), r.published_at or ""
        )
    console.print(table)
    service.close()


@app.command()
def delete(doc_id: str) -> None:
    """Delete one article and all its chunks."""
    service = _service()
    try:
        service.index.delete(doc_id)
    except DocumentNotFound as exc:
        raise _fail(exc) from None
    finally:
        service.close()
    console.print(f"deleted {doc_id}")


def main() -> None:  # pragma: no cover
    sys.exit(app())
