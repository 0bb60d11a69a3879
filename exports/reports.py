"""The reports managers download: which exist, their filters, names, and writing them to storage."""

from __future__ import annotations

import asyncio
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from agent.db import reading
from agent.errors import InvalidInputError
from exports.csv_stream import CHUNK_BYTES, ChunkedSink, Progress, Sink, write_python
from exports.filters import ExportFilters
from exports.pg_copy import write_copy
from exports.queries import LEAD_STATES, OUTCOMES, ReportQuery, build
from storage.base import FileWriter, Storage

REPORT_KINDS: tuple[str, ...] = (
    "inventory",
    "customers",
    "sales",
    "conversations",
    "messages",
    "leads",
    "full",
)
CSV_KINDS = REPORT_KINDS[:-1]
"""The reports that are one CSV file; `full` is all of them in one ZIP."""

APPLIES: dict[str, frozenset[str]] = {
    "inventory": frozenset(),
    "customers": frozenset({"from", "to"}),
    "sales": frozenset({"from", "to", "channel", "state"}),
    "conversations": frozenset({"from", "to", "channel", "state"}),
    "messages": frozenset({"from", "to", "channel"}),
    "leads": frozenset({"from", "to", "channel", "state"}),
    "full": frozenset({"from", "to", "channel"}),
}
"""The filters each report accepts (README "What each report holds")."""

_TOKEN = re.compile(r"[a-z][a-z0-9_]{0,31}")
"""A channel name or an order status: also safe inside a file name."""


@dataclass(frozen=True, slots=True)
class ReportResult:
    """A report written to storage."""

    kind: str
    key: str
    rows: int
    """Data rows written (all files together for `full`)."""
    size: int
    """Bytes written."""


def check_filters(kind: str, filters: ExportFilters) -> None:
    """Refuse an unknown report, from after to, or a filter that does not apply to the report;
    the error names the field (kind, from, to, channel or state)."""
    if kind not in REPORT_KINDS:
        raise InvalidInputError(
            f"unknown report {kind!r}: one of {', '.join(REPORT_KINDS)}", field="kind"
        )
    for name in filters.as_json():
        if name not in APPLIES[kind]:
            raise InvalidInputError(f"{name} does not apply to the {kind} report", field=name)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidInputError("from must not be after to", field="from")
    if filters.channel is not None and not _TOKEN.fullmatch(filters.channel):
        raise InvalidInputError(
            "channel must be a channel name such as web or whatsapp", field="channel"
        )
    if filters.state is None:
        return
    if kind == "conversations" and filters.state not in OUTCOMES:
        raise InvalidInputError(f"state must be one of {', '.join(OUTCOMES)}", field="state")
    if kind == "leads" and filters.state not in LEAD_STATES:
        raise InvalidInputError(f"state must be one of {', '.join(LEAD_STATES)}", field="state")
    if kind == "sales" and not _TOKEN.fullmatch(filters.state):
        raise InvalidInputError(
            "state must be an order status such as confirmed or cancelled", field="state"
        )


def file_name(kind: str, filters: ExportFilters, *, now: datetime) -> str:
    """The name of the report's file, e.g. `sales_2026-11-01_2026-11-21_20261122T053100Z.csv`."""
    parts = [kind]
    if filters.date_from or filters.date_to:
        parts.append(filters.date_from.isoformat() if filters.date_from else "start")
        parts.append(filters.date_to.isoformat() if filters.date_to else "end")
    parts += [value for value in (filters.channel, filters.state) if value]
    parts.append(now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return "_".join(parts) + (".zip" if kind == "full" else ".csv")


def content_type(kind: str) -> str:
    """The file's media type."""
    return "application/zip" if kind == "full" else "text/csv; charset=utf-8"


def _parts(
    kind: str, filters: ExportFilters, *, dialect: str, timezone: str
) -> list[tuple[str, ReportQuery]]:
    """The CSV files of a report: one, or all of them (`full`) with the filters each accepts."""
    check_filters(kind, filters)
    kinds = CSV_KINDS if kind == "full" else (kind,)
    parts = []
    for part in kinds:
        accepted = APPLIES[part]
        own = replace(
            filters,
            date_from=filters.date_from if "from" in accepted else None,
            date_to=filters.date_to if "to" in accepted else None,
            channel=filters.channel if "channel" in accepted else None,
        )
        parts.append((part, build(part, own, dialect=dialect, timezone=timezone)))
    return parts


async def count_rows(kind: str, filters: ExportFilters, *, db: AsyncEngine, timezone: str) -> int:
    """How many data rows the report will have (the CLI progress bar's total)."""
    total = 0
    async with reading(db) as conn:
        for _, query in _parts(kind, filters, dialect=db.dialect.name, timezone=timezone):
            total += int(await conn.scalar(query.count()) or 0)
    return total


async def write_csv(
    query: ReportQuery,
    *,
    db: AsyncEngine,
    timezone: str,
    sink: Sink,
    progress: Progress | None = None,
) -> int:
    """One CSV file into `sink`: by COPY on PostgreSQL, by a Python row loop elsewhere."""
    write = write_copy if db.dialect.name == "postgresql" else write_python
    return await write(query, db=db, timezone=timezone, sink=sink, progress=progress)


async def write_report(
    kind: str,
    filters: ExportFilters,
    *,
    db: AsyncEngine,
    storage: Storage,
    key: str,
    timezone: str,
    progress: Progress | None = None,
) -> ReportResult:
    """Stream the report from the database into storage under `key` in bounded memory;
    `progress(rows_so_far)` is called now and then."""
    parts = _parts(kind, filters, dialect=db.dialect.name, timezone=timezone)
    async with storage.writer(key, content_type=content_type(kind)) as out:
        if kind == "full":
            rows = await _write_zip(parts, db=db, timezone=timezone, out=out, progress=progress)
        else:
            rows = await write_csv(
                parts[0][1], db=db, timezone=timezone, sink=out, progress=progress
            )
        size = out.size
    return ReportResult(kind=kind, key=key, rows=rows, size=size)


class _Spool:
    """The file object zipfile writes to: kept in memory until drained to storage."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the bytes wait for `take`."""

    def close(self) -> None:
        """Nothing to release."""

    def take(self) -> bytes:
        data = bytes(self.data)
        self.data.clear()
        return data


class _ZipMember:
    """A sink writing into one file of the ZIP, draining the compressed bytes to storage."""

    def __init__(self, entry: IO[bytes], spool: _Spool, out: FileWriter):
        self._entry = entry
        self._spool = spool
        self._out = out

    async def write(self, data: bytes) -> None:
        # Deflate runs in a thread (zlib lets go of the GIL): the event loop serves chats.
        await asyncio.to_thread(self._entry.write, data)
        if len(self._spool.data) >= CHUNK_BYTES:
            await self._out.write(self._spool.take())


async def _write_zip(
    parts: list[tuple[str, ReportQuery]],
    *,
    db: AsyncEngine,
    timezone: str,
    out: FileWriter,
    progress: Progress | None,
) -> int:
    spool = _Spool()
    stamp = datetime.now(ZoneInfo(timezone)).timetuple()[:6]
    rows = 0
    # An unseekable target: zipfile writes each size after its data (a data descriptor).
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, query in parts:
            info = zipfile.ZipInfo(f"{name}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            done = rows

            def step(count: int, done: int = done) -> None:
                if progress is not None:
                    progress(done + count)

            with archive.open(info, "w", force_zip64=True) as entry:
                member = ChunkedSink(_ZipMember(entry, spool, out))
                rows += await write_csv(query, db=db, timezone=timezone, sink=member, progress=step)
                await member.flush()
    await out.write(spool.take())
    return rows
