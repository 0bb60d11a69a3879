"""A customer's file sent to the web chat: checked, then kept under its content's hash.

Voice notes (`POST /chat/audio`) and photos (`POST /chat/image`) are received the same way: the
type must be one accepted (a voice note sent without a type is known by its first bytes) and the
file neither empty nor over its size limit; it is stored once under its SHA-256 however often it
is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile

from agent.errors import InvalidInputError

UNTYPED = frozenset({"", "application/octet-stream"})
"""What a client that does not know the file's type states (curl's -F, many HTTP libraries)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file that passed the checks, not yet stored."""

    data: bytes
    content_type: str
    extension: str

    async def store(self, folder: Path) -> Path:
        """Keep the file in `folder` (named by its SHA-256); its absolute path."""
        return await asyncio.to_thread(_store, folder, self.data, self.extension)


async def read_upload(
    upload: UploadFile,
    *,
    field: str,
    noun: str,
    types: Mapping[str, str],
    max_bytes: int,
    sniff: Callable[[bytes], str | None] | None = None,
) -> Upload:
    """The file if its type is in `types` and its size fits; else 422 naming `field`. A file
    sent without a type (or as application/octet-stream) gets the one `sniff` reads in it."""
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    untyped = content_type in UNTYPED and sniff is not None
    if types.get(content_type) is None and not untyped:
        raise InvalidInputError(
            f"the file is {content_type or 'of no stated type'}; "
            f"send a {noun} ({', '.join(sorted(types))})",
            field=field,
        )
    data = await upload.read(max_bytes + 1)
    if not data:
        raise InvalidInputError(f"the {noun} is empty", field=field)
    if len(data) > max_bytes:
        raise InvalidInputError(f"the {noun} is larger than {max_bytes} bytes", field=field)
    if untyped:
        assert sniff is not None
        content_type = sniff(data) or ""
        if content_type not in types:
            raise InvalidInputError(
                f"the file was sent as {upload.content_type or 'of no stated type'} and its "
                f"content is not a {noun} ({', '.join(sorted(types))})",
                field=field,
            )
    return Upload(data=data, content_type=content_type, extension=types[content_type])


def _store(folder: Path, data: bytes, extension: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:32]}{extension}"
    if not path.exists():
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)  # a reader never sees half a file
    return path.resolve()
