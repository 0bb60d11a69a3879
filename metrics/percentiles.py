"""Percentiles computed by the database, with the same definition on PostgreSQL and SQLite.

The definition is PostgreSQL's `percentile_cont`: the value at position q·(n−1) of the sorted
values, interpolated between its two neighbours. SQLite has no such aggregate: it counts the
values, then reads the one or two neighbours with `ORDER BY … LIMIT 2 OFFSET k`, so memory stays
bounded whatever the number of rows (SQLite sorts on disk when it must).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Percentiles:
    """How many values there were, and their median and 95th percentile (None without values)."""

    count: int
    p50: float | None
    p95: float | None

    def as_json(self) -> dict[str, Any]:
        """The figures rounded for people (three decimals)."""
        return {
            "count": self.count,
            "p50": None if self.p50 is None else round(self.p50, 3),
            "p95": None if self.p95 is None else round(self.p95, 3),
        }


async def percentiles(session: AsyncSession, values: Select[Any]) -> Percentiles:
    """The p50 and p95 of the one column `values` selects (NULLs left out)."""
    sub = values.subquery()
    column = sub.c[0]
    if session.get_bind().dialect.name == "postgresql":
        row = (
            await session.execute(
                select(
                    func.count(column),
                    func.percentile_cont(0.5).within_group(column),
                    func.percentile_cont(0.95).within_group(column),
                )
            )
        ).one()
        return Percentiles(
            int(row[0]), *(None if v is None else float(v) for v in (row[1], row[2]))
        )
    count = int(await session.scalar(select(func.count(column))) or 0)
    if count == 0:
        return Percentiles(0, None, None)
    found: list[float] = []
    for q in (0.5, 0.95):
        position = q * (count - 1)
        low = math.floor(position)
        pair = list(
            (
                await session.execute(
                    select(column).where(column.is_not(None)).order_by(column).limit(2).offset(low)
                )
            ).scalars()
        )
        below = float(pair[0])
        above = float(pair[1]) if len(pair) > 1 else below
        found.append(below + (above - below) * (position - low))
    return Percentiles(count, found[0], found[1])
