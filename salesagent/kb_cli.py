"""`salesagent kb ...`: the shop's documents the agent answers from (README "Knowledge base")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.errors import InvalidInputError
from agent.knowledge import documents
from agent.knowledge.embeddings import Embedder, build_embedder
from agent.knowledge.extract import KINDS
from agent.knowledge.search import KnowledgeBase
from agent.knowledge.sources import Source, fetch, from_path, is_url
from agent.migrate import upgrade_async
from agent.settings import Settings, get_settings

kb_app = typer.Typer(
    help="The knowledge base: documents the agent answers company questions from.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)
T = TypeVar("T")


def _run(work: Callable[[Settings, async_sessionmaker[AsyncSession]], Coroutine[Any, Any, T]]) -> T:
    """Run `work` on the migrated database (product errors are printed by the CLI's `main`)."""
    settings = get_settings()

    async def migrated() -> T:
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        try:
            return await work(settings, create_sessionmaker(db))
        finally:
            await db.dispose()

    return asyncio.run(migrated())


def _files(path: Path) -> list[Path]:
    """A file, or every file of a folder (and its subfolders) in a format the base reads."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in KINDS)
    return [path]


@kb_app.command("add")
def add(
    where: Annotated[str, typer.Argument(help="A file, a folder of files, or a page's URL.")],
    title: Annotated[
        str | None, typer.Option(help="The document's title (default: its own, or its name).")
    ] = None,
) -> None:
    """Add documents (PDF, DOCX, HTML, Markdown, CSV, text) or a web page; adding the same file
    or URL again replaces it."""

    sources: list[Path | str] = [where] if is_url(where) else [*_files(Path(where).expanduser())]
    if not sources:
        raise InvalidInputError(f"{where}: no document in a format the base reads")
    if title and len(sources) > 1:
        raise InvalidInputError("--title names one document; a folder has several")

    async def work(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        embedder = build_embedder(settings)
        try:
            await _add_all(settings, sessions, sources, title, embedder)
        finally:
            if embedder is not None:
                await embedder.close()

    _run(work)


async def _add_all(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    sources: list[Path | str],
    title: str | None,
    embedder: Embedder | None,
) -> None:
    """Add each file or page, with a progress bar; what was added, once done."""
    sizes = documents.Sizes.from_settings(settings)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    added: list[documents.DocumentInfo] = []
    with Progress(*columns, console=errors) as progress:
        task = progress.add_task("adding documents", total=len(sources))
        for item in sources:
            source: Source
            if isinstance(item, str):
                progress.update(task, description=f"fetching {item}")
                source = await fetch(
                    item, seconds=settings.kb_fetch_timeout, max_bytes=settings.kb_max_bytes
                )
            else:
                progress.update(task, description=f"reading {item.name}")
                source = from_path(item, max_bytes=settings.kb_max_bytes)
            info = await documents.add(
                sessions, source, title=title, sizes=sizes, embedder=embedder
            )
            added.append(info)
            progress.advance(task)
    for info in added:
        console.print(
            f"document {info.id} {info.title!r}: {info.chunks} passages ({info.kind})",
            highlight=False,
        )


@kb_app.command("list")
def list_documents() -> None:
    """List the documents: id, title, format, passages, source, last added."""

    async def work(_: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            rows = await documents.listing(session)
        if not rows:
            console.print("no documents yet: add some with `salesagent kb add PATH|URL`")
            return
        table = Table("id", "title", "format", "passages", "vectors", "source", "added")
        for row in rows:
            table.add_row(
                str(row.id),
                row.title,
                row.kind,
                str(row.chunks),
                row.embedding_model or "-",
                row.source,
                f"{row.updated_at:%Y-%m-%d %H:%M}",
            )
        console.print(table)

    _run(work)


@kb_app.command("remove")
def remove(
    document: Annotated[str, typer.Argument(help="The document's id, file path or URL.")],
) -> None:
    """Remove a document with every passage and vector of it."""

    key: str | int = int(document) if document.isdigit() else document
    if isinstance(key, str) and not is_url(key) and Path(key).expanduser().exists():
        key = str(Path(key).expanduser().resolve())  # a file is kept by its absolute path

    async def work(_: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        info = await documents.remove(sessions, key)
        console.print(
            f"document {info.id} {info.title!r} removed ({info.chunks} passages)",
            highlight=False,
        )

    _run(work)


@kb_app.command("search")
def search(
    question: Annotated[str, typer.Argument(help="A question as a customer would write it.")],
    limit: Annotated[int, typer.Option(min=1, max=20, help="How many passages.")] = 3,
) -> None:
    """Show the passages that best answer a question, and whether the agent would answer."""

    async def work(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        base = KnowledgeBase.from_settings(settings, sessions)
        try:
            found = await base.search(question, limit=limit)
        finally:
            await base.close()
        if not found:
            console.print("nothing found: the agent says it does not know")
            return
        for passage in found:
            answers = "answers" if base.answers(passage) else "not above KB_MIN_MATCH"
            console.print(
                f"[bold]{passage.place}[/bold] (match {passage.match:.2f}, {answers})",
                highlight=False,
            )
            console.print(passage.text, highlight=False, markup=False)

    _run(work)
