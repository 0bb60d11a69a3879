"""Getting a note's bytes: from the web chat's own folder, or over HTTP with a channel's login."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

import httpx

from agent.voice.transcriber import UnheardNote


class MediaFetcher(Protocol):
    """Fetches one media reference of a channel (with that channel's credentials)."""

    async def __call__(self, url: str, *, max_bytes: int) -> bytes:
        """The media's bytes; `UnheardNote` when too large or not to be had."""
        ...


def too_large(size: int, max_bytes: int) -> UnheardNote:
    """The refusal of a note over the size limit."""
    return UnheardNote("too_large", f"the note has {size} bytes; the limit is {max_bytes}")


class LocalFiles:
    """Notes stored by this service itself (the web chat's uploads), only under `root`."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    async def __call__(self, url: str, *, max_bytes: int) -> bytes:
        """The stored file's bytes."""
        path = await asyncio.to_thread(Path(url.removeprefix("file://")).resolve)
        if not path.is_relative_to(self._root):
            raise UnheardNote("unavailable", f"{path} is outside {self._root}")
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as err:
            raise UnheardNote("unavailable", f"the note could not be read: {err}") from err
        if len(data) > max_bytes:
            raise too_large(len(data), max_bytes)
        return data


async def download(
    url: str, *, max_bytes: int, auth: tuple[str, str] | None = None, within: float = 30.0
) -> bytes:
    """GET `url` (following redirects; the login is not sent to another host), at most
    `max_bytes`."""
    try:
        async with (
            httpx.AsyncClient(auth=auth, follow_redirects=True, timeout=within) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise UnheardNote(
                    "unavailable", f"downloading the note answered {response.status_code}"
                )
            stated = int(response.headers.get("content-length") or 0)
            if stated > max_bytes:
                raise too_large(stated, max_bytes)
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) > max_bytes:
                    raise too_large(len(data), max_bytes)
            return bytes(data)
    except httpx.HTTPError as err:
        raise UnheardNote("unavailable", f"the note could not be downloaded: {err}") from err
