"""`salesagent voice ...`: get the speech model once, and see whether voice notes can be heard."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from agent.settings import get_settings
from agent.voice.download import ModelFetchError, copy_folder, fetch_from_hub, folder_size
from agent.voice.model import ModelStatus, is_hub_name, locate

voice_app = typer.Typer(help="Voice notes: the speech model.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@voice_app.command("fetch-model")
def fetch_model(
    model: Annotated[
        str | None,
        typer.Option(
            help="A size (base, tiny.en, small...), a Hugging Face repository id, or a model "
            "folder to copy (default: WHISPER_MODEL).",
        ),
    ] = None,
    into: Annotated[
        Path | None,
        typer.Option(
            help="A folder to write the model into, with a SHA256SUMS (then set WHISPER_MODEL "
            "to it, or copy it to a machine without internet). Default: the Hugging Face cache "
            "(WHISPER_DOWNLOAD_ROOT), where WHISPER_MODEL=<size> finds it.",
        ),
    ] = None,
) -> None:
    """Get the speech model once, with a progress bar; the service never downloads it."""
    settings = get_settings()
    name = model or settings.whisper_model
    source = Path(name).expanduser()
    try:
        if source.is_dir():
            if into is None:
                raise ModelFetchError(
                    f"{name} is already a folder; pass --into to copy it (checked) elsewhere"
                )
            with _bar(f"copying {source.name}", folder_size(source)) as advance:
                status = copy_folder(source, into, progress=advance)
        else:
            status = fetch_from_hub(name, into=into, download_root=settings.whisper_download_root)
    except ModelFetchError as err:
        errors.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from err
    _show(status)
    if not status.available:
        raise typer.Exit(1)
    if into is not None:
        console.print(f"set WHISPER_MODEL={status.path}", highlight=False, soft_wrap=True)


@voice_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="As JSON (what /health shows).")] = False,
) -> None:
    """Whether voice notes can be heard: the speech model's folder, or why not (exit 1)."""
    settings = get_settings()
    found = locate(settings.whisper_model, download_root=settings.whisper_download_root)
    if as_json:
        console.print_json(json.dumps(found.report()))
    else:
        _show(found)
    if not found.available:
        raise typer.Exit(1)


def _show(status: ModelStatus) -> None:
    if status.available:
        checked = " (SHA-256 checked)" if status.verified else ""
        named = f" {status.name}" if is_hub_name(status.name) else ""
        console.print(
            f"voice notes: available · model{named} in {status.path}{checked}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        errors.print(f"voice notes: unavailable · {status.reason}", highlight=False, soft_wrap=True)


@contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar of bytes on the terminal; yields the function that advances it."""
    columns = (TextColumn(label), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=errors) as progress:
        task = progress.add_task(label, total=total)
        yield lambda size: progress.advance(task, size)
