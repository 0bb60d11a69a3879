"""Where the speech model is, found without downloading anything, and checked before it is used.

`WHISPER_MODEL` is a folder holding a faster-whisper model, or a size name (`base`, `tiny.en`...)
or Hugging Face repository id looked up in the Hugging Face cache (`WHISPER_DOWNLOAD_ROOT`, or the
default cache) where `salesagent voice fetch-model` put it. The service never downloads during a
customer's note: a model that is not here makes voice notes unavailable, with the reason, until it
is fetched or copied.

A folder may carry a `SHA256SUMS` manifest (the `sha256sum` format; `fetch-model` writes one): every
file it lists must match, or the model is not used. In the Hugging Face cache, `model.bin` is a
link to a blob named by its own SHA-256, which is checked the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "SHA256SUMS"
"""The manifest of a model folder: `<sha256>  <file name>` a line."""
REQUIRED = ("model.bin", "config.json", "tokenizer.json")
"""The files a faster-whisper model needs besides its vocabulary (vocabulary.txt or .json)."""
OPTIONAL_PREFIXES = ("vocabulary.", "preprocessor_config.")
FETCH_HINT = "run `salesagent voice fetch-model`, or set WHISPER_MODEL to a folder holding it"
_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """Whether the speech model can be used: its folder, or why not."""

    name: str
    path: Path | None = None
    reason: str | None = None
    verified: bool = False
    """The files matched their SHA-256 (the folder's manifest, or the cache's blob names)."""

    @property
    def available(self) -> bool:
        return self.path is not None and self.reason is None

    def failed(self, reason: str) -> ModelStatus:
        """The same model, found unusable (it would not load)."""
        return ModelStatus(self.name, self.path, reason, self.verified)

    def report(self) -> dict[str, Any]:
        """What `/health` and `salesagent voice status` show."""
        if self.available:
            return {
                "status": "available",
                "model": self.name,
                "path": str(self.path),
                "verified": self.verified,
            }
        return {"status": "unavailable", "model": self.name, "reason": self.reason}


def is_hub_name(name: str) -> bool:
    """A size name faster-whisper knows, or a Hugging Face repository id (owner/name)."""
    from faster_whisper import available_models

    return name in available_models() or bool(_REPO_ID.fullmatch(name))


def locate(name: str, *, download_root: Path | None = None) -> ModelStatus:
    """The model `name` names, if it is on this machine and whole (no network is used)."""
    folder = Path(name).expanduser()
    if folder.is_dir():
        return check_folder(name, folder)
    if not is_hub_name(name):
        return ModelStatus(
            name, reason=f"the speech model {name!r} is neither a folder here nor a model size"
        )
    from faster_whisper import download_model
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        cached = Path(
            download_model(
                name,
                local_files_only=True,
                cache_dir=str(download_root) if download_root else None,
            )
        )
    except (LocalEntryNotFoundError, FileNotFoundError):
        where = f" in {download_root}" if download_root else ""
        return ModelStatus(
            name, reason=f"the speech model {name!r} is not downloaded{where}: {FETCH_HINT}"
        )
    return check_folder(name, cached)


def check_folder(name: str, folder: Path) -> ModelStatus:
    """The folder's model if its files are all there and match their SHA-256."""
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if not any(folder.glob("vocabulary.*")):
        missing.append("vocabulary.txt")
    if missing:
        return ModelStatus(
            name,
            reason=f"the folder {folder} holds no whole speech model (missing: "
            f"{', '.join(missing)}): {FETCH_HINT}",
        )
    expected = read_manifest(folder / MANIFEST) if (folder / MANIFEST).is_file() else None
    if expected is None:
        expected = _blob_digests(folder)
    for file, digest in expected.items():
        found = sha256_of(folder / file) if (folder / file).is_file() else "nothing"
        if found != digest:
            return ModelStatus(
                name,
                reason=f"{folder / file} does not match its SHA-256 ({digest[:12]}..., found "
                f"{found[:12]}...): the file is damaged or was replaced; {FETCH_HINT}",
            )
    return ModelStatus(name, folder.resolve(), verified=bool(expected))


def read_manifest(path: Path) -> dict[str, str]:
    """A `sha256sum` manifest as {file name: digest} (lines starting with # are comments)."""
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, file = line.strip().partition(" ")
        if digest and not digest.startswith("#"):
            entries[file.strip().lstrip("*")] = digest.lower()
    return entries


def write_manifest(folder: Path, files: Iterable[str]) -> Path:
    """Write the folder's `SHA256SUMS` for `files`; its path."""
    lines = [f"{sha256_of(folder / file)}  {file}\n" for file in sorted(files)]
    manifest = folder / MANIFEST
    manifest.write_text("".join(lines), encoding="utf-8")
    return manifest


def model_files(folder: Path) -> list[str]:
    """The names of a model folder's files that make the model."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and (p.name in REQUIRED or p.name.startswith(OPTIONAL_PREFIXES))
    )


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _blob_digests(folder: Path) -> dict[str, str]:
    # The Hugging Face cache keeps a large file as a blob named by its SHA-256.
    link = folder / "model.bin"
    blob = link.resolve().name if link.is_symlink() else ""
    return {"model.bin": blob} if _SHA256.fullmatch(blob) else {}
