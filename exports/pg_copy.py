"""A report on PostgreSQL: its formatting SELECT run by `COPY ... TO STDOUT WITH CSV` and
streamed into storage, several times faster than fetching rows into Python."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from agent.db import reading
from exports.csv_format import header
from exports.csv_stream import ChunkedSink, Progress, Sink
from exports.queries import ReportQuery


class LineCounter:
    """Counts CSV records in a byte stream: line feeds outside quoted fields."""

    def __init__(self) -> None:
        self.lines = 0
        self._quoted = False

    def feed(self, data: bytes) -> None:
        """Count the records ended in `data` (which may cut a field anywhere)."""
        if not self._quoted and b'"' not in data:
            self.lines += data.count(b"\n")
            return
        # Between two quote characters the state flips; a doubled quote flips it twice.
        parts = data.split(b'"')
        quoted = self._quoted
        for part in parts:
            if not quoted:
                self.lines += part.count(b"\n")
            quoted = not quoted
        self._quoted = not quoted


async def write_copy(
    query: ReportQuery,
    *,
    db: AsyncEngine,
    timezone: str,
    sink: Sink,
    progress: Progress | None = None,
) -> int:
    """Write the BOM, the header and every row of `query` to `sink` by COPY; the rows."""
    compiled = query.formatted().compile(
        dialect=db.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    args = [params[name] for name in compiled.positiontup or ()]
    out = ChunkedSink(sink)
    counter = LineCounter()

    async def receive(data: bytes) -> None:
        counter.feed(data)
        await out.write(data)
        if progress is not None:
            progress(counter.lines)

    await out.write(header(query.names))
    async with reading(db) as conn:
        raw: Any = (await conn.get_raw_connection()).driver_connection
        # One transaction: one snapshot for the whole file, and the time zone of its times.
        async with raw.transaction(readonly=True):
            await raw.execute("SELECT set_config('TimeZone', $1, true)", timezone)
            await raw.copy_from_query(str(compiled), *args, output=receive, format="csv")
    await out.flush()
    return counter.lines
