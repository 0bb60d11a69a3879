"""Getting the speech model once (`salesagent voice fetch-model`): from the Hugging Face hub, as
faster-whisper itself does but with a progress bar, or copied from a folder (a USB stick, another
machine's model), into the Hugging Face cache or a folder of its own with a `SHA256SUMS`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.errors import SalesAgentError
from agent.voice.model import (
    ModelStatus,
    check_folder,
    is_hub_name,
    locate,
    model_files,
    write_manifest,
)

ALLOW_PATTERNS = [
    "config.json",
    "preprocessor_config.json",
    "model.bin",
    "tokenizer.json",
    "vocabulary.*",
]
"""The files of a model repository faster-whisper downloads (its `download_model`'s own list)."""
HUB = "the Hugging Face hub"


class ModelFetchError(SalesAgentError):
    """The speech model could not be had; the message says why in one sentence."""


def repository(name: str) -> str:
    """The Hugging Face repository of a size name (faster-whisper's own table), or the id."""
    # faster-whisper's table of sizes; its download_model would hide the progress bar.
    from faster_whisper.utils import _MODELS

    return name if "/" in name else str(_MODELS[name])


def fetch_from_hub(name: str, *, into: Path | None, download_root: Path | None) -> ModelStatus:
    """Download `name` (a size or a repository id) with a progress bar on the terminal."""
    import huggingface_hub
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    if not is_hub_name(name):
        raise ModelFetchError(
            f"{name!r} is neither a folder here nor a model size of faster-whisper"
        )
    repo = repository(name)
    try:
        huggingface_hub.snapshot_download(
            repo,
            allow_patterns=ALLOW_PATTERNS,
            local_dir=str(into) if into else None,
            cache_dir=str(download_root) if download_root and not into else None,
        )
    except RepositoryNotFoundError as err:
        raise ModelFetchError(f"{HUB} has no model {repo!r}") from err
    except LocalEntryNotFoundError as err:  # no connection, and nothing cached
        cause = _first_line(err.__cause__ or err)
        raise ModelFetchError(
            f"the speech model {name!r} could not be downloaded from {HUB} ({repo}): it cannot "
            f"be reached ({cause}); on a machine without internet, copy a model folder here and "
            "set WHISPER_MODEL to it"
        ) from err
    except (HfHubHTTPError, OSError) as err:
        raise ModelFetchError(
            f"the speech model {name!r} could not be downloaded from {HUB} ({repo}): "
            f"{_first_line(err)}"
        ) from err
    if into is not None:
        write_manifest(into, model_files(into))
        return check_folder(name, into)
    return locate(name, download_root=download_root)


def copy_folder(
    source: Path, into: Path, *, progress: Callable[[int], None] | None = None
) -> ModelStatus:
    """Copy a whole model folder (its own `SHA256SUMS` checked first) and write the manifest."""
    found = check_folder(str(source), source)
    if not found.available:
        raise ModelFetchError(f"nothing was copied: {found.reason}")
    into.mkdir(parents=True, exist_ok=True)
    files = model_files(source)
    for file in files:
        partial = into / f"{file}.part"
        with (source / file).open("rb") as reading, partial.open("wb") as writing:
            for block in iter(lambda: reading.read(1 << 20), b""):
                writing.write(block)
                if progress is not None:
                    progress(len(block))
        partial.replace(into / file)
    write_manifest(into, files)
    return check_folder(str(into), into)


def folder_size(folder: Path) -> int:
    """The bytes a copy of the folder's model moves."""
    return sum((folder / file).stat().st_size for file in model_files(folder))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
