"""A report's rows streamed from any database, formatted in Python, in bounded memory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from agent.db import reading
from exports.csv_format import Kind, cell, header, line
from exports.queries import ReportQuery

BATCH_ROWS = 2000
"""Rows fetched from the database at a time (a server-side cursor on PostgreSQL)."""
CHUNK_BYTES = 1 << 20
"""Bytes gathered before a write to storage: big enough for few calls, small for memory."""

Progress = Callable[[int], None]


class Sink(Protocol):
    """Where a CSV file's bytes go."""

    async def write(self, data: bytes) -> None:
        """Append `data`."""


class ChunkedSink:
    """Gathers small writes into chunks of about CHUNK_BYTES for the sink under it."""

    def __init__(self, under: Sink) -> None:
        self._under = under
        self._buffer = bytearray()

    async def write(self, data: bytes) -> None:
        """Append `data`, passing a chunk on when one is full."""
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            await self.flush()

    async def flush(self) -> None:
        """Pass on whatever is gathered."""
        if self._buffer:
            await self._under.write(bytes(self._buffer))
            self._buffer.clear()


async def write_python(
    query: ReportQuery,
    *,
    db: AsyncEngine,
    timezone: str,
    sink: Sink,
    progress: Progress | None = None,
) -> int:
    """Write the BOM, the header and every row of `query` to `sink`; the number of rows."""
    zone = ZoneInfo(timezone)
    kinds = [column.kind for column in query.columns]
    out = ChunkedSink(sink)
    await out.write(header(query.names))
    rows = 0
    async with reading(db) as conn:
        result = await conn.stream(query.raw().execution_options(yield_per=BATCH_ROWS))
        async for batch in result.partitions():
            # Off the event loop: a batch takes tens of milliseconds, and chats share the loop.
            data = await asyncio.to_thread(_encode, kinds, batch, zone)
            await out.write(data)
            rows += len(batch)
            if progress is not None:
                progress(rows)
    await out.flush()
    return rows


def _encode(kinds: list[Kind], batch: Sequence[Row[Any]], zone: ZoneInfo) -> bytes:
    return "".join(
        line([cell(kind, value, zone) for kind, value in zip(kinds, row, strict=True)])
        for row in batch
    ).encode()
