"""Writes gathered into chunks, each handed to a blocking sink from a worker thread.

A report is written a row at a time; gathering the rows into chunks of about a mebibyte keeps
the thread hops (and, for MinIO, the pipe's items) few while memory stays bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

CHUNK = 1024 * 1024
"""Bytes gathered before they are handed to the sink (and read at a time)."""


class ChunkedWriter:
    """Buffers up to `CHUNK` bytes, then hands them to `sink` from a worker thread."""

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        self._sink = sink
        self._buffer = bytearray()
        self._size = 0

    @property
    def size(self) -> int:
        """The bytes written so far."""
        return self._size

    async def write(self, data: bytes) -> None:
        """Append `data`; a full chunk goes to the sink."""
        self._buffer += data
        self._size += len(data)
        if len(self._buffer) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        """Hand what is buffered to the sink."""
        if self._buffer:
            chunk = bytes(self._buffer)
            self._buffer.clear()
            await asyncio.to_thread(self._sink, chunk)
