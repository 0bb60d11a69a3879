"""Where a document comes from: a file, an upload or a web page fetched with httpx."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx

from agent.errors import InvalidInputError
from agent.knowledge.extract import MEDIA_TYPES, Kind, html_title, kind_of

_READ = 1 << 20


@dataclass(frozen=True, slots=True)
class Source:
    """A document to add: its key (a file name or URL), format, and bytes or file on disk."""

    name: str
    kind: Kind
    content: bytes | Path
    title: str | None = None
    """A title the source itself gives (a page's <title>)."""

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The document's bytes as a file (a file on disk is read as needed, not loaded)."""
        if isinstance(self.content, Path):
            with self.content.open("rb") as file:
                yield file
        else:
            yield io.BytesIO(self.content)

    def sha256(self) -> str:
        """The SHA-256 of the document's bytes."""
        digest = hashlib.sha256()
        with self.open() as file:
            while block := file.read(_READ):
                digest.update(block)
        return digest.hexdigest()


def is_url(text: str) -> bool:
    """Whether `text` names a web page rather than a file."""
    return urlsplit(text).scheme in ("http", "https")


def from_path(path: Path, *, max_bytes: int) -> Source:
    """A file on disk, by its absolute path."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    if path.stat().st_size > max_bytes:
        raise InvalidInputError(f"{path}: larger than KB_MAX_BYTES ({max_bytes} bytes)")
    return Source(str(path.resolve()), kind_of(path.name), path.resolve())


def from_upload(filename: str, data: bytes) -> Source:
    """A file uploaded by staff: its name is the key, so uploading it again replaces it."""
    name = Path(filename).name
    if not name:
        raise InvalidInputError("the upload has no file name", field="file")
    return Source(name, kind_of(name), data)


async def fetch(url: str, *, seconds: float, max_bytes: int) -> Source:
    """A web page (or a file on the web), read up to `max_bytes`."""
    try:
        async with (
            httpx.AsyncClient(timeout=seconds, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise InvalidInputError(f"{url}: the server answered {response.status_code}")
            data = bytearray()
            async for block in response.aiter_bytes():
                data.extend(block)
                if len(data) > max_bytes:
                    raise InvalidInputError(f"{url}: larger than KB_MAX_BYTES ({max_bytes} bytes)")
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.HTTPError as err:
        raise InvalidInputError(f"{url}: could not be fetched ({err})") from err
    kind = MEDIA_TYPES.get(media) or kind_of(urlsplit(url).path or "page.html")
    content = bytes(data)
    return Source(url, kind, content, html_title(content) if kind == "html" else None)
