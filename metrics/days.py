"""Days of the shop's calendar: the range a manager asks for, and timestamps bucketed by local day.

A day is a day in SHOP_TIMEZONE. Its UTC bounds come from zoneinfo. PostgreSQL buckets a
timestamp itself (`timezone(zone, ts)`, exact through daylight saving changes). SQLite keeps no
zones, so the range is cut at every change of the zone's UTC offset (none for America/Bogota,
two a year where clocks move) and each piece is shifted by its own offset: exact as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy.sql.elements import ColumnElement

from agent.errors import InvalidInputError

DEFAULT_DAYS = 30
MAX_DAYS = 1096
"""Three years: the longest range one summary covers (its daily series stays small)."""


@dataclass(frozen=True, slots=True)
class DayRange:
    """Inclusive local days [first, last] and the UTC instants [start, end) they cover."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first day's local midnight, in UTC."""
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The local midnight after the last day, in UTC (excluded)."""
        return local_midnight(self.last + timedelta(days=1), self.zone)

    def days(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of `day` in `zone`, as a UTC instant."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def parse_range(
    date_from: str | None, date_to: str | None, *, zone: ZoneInfo, today: date | None = None
) -> DayRange:
    """The range asked for (YYYY-MM-DD, inclusive); the last 30 days by default.

    InvalidInputError names the field (`from` or `to`) when a date is malformed, `from` is
    after `to`, or the range is longer than MAX_DAYS.
    """
    today = today or datetime.now(zone).date()
    last = _day(date_to, "to") if date_to else today
    first = _day(date_from, "from") if date_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInputError(f"'from' ({first}) is after 'to' ({last})", field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInputError(f"the range is longer than {MAX_DAYS} days", field="from")
    return DayRange(first, last, zone)


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as err:
        raise InvalidInputError(
            f"'{field}' must be a date as YYYY-MM-DD, not {value[:40]!r}", field=field
        ) from err


def local_day(column: Any, *, dialect: str, days: DayRange) -> ColumnElement[str]:
    """`column` (a UTC timestamp) as its local day, text `YYYY-MM-DD`, for GROUP BY."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(days.zone.key, column), "YYYY-MM-DD")
    pieces = offset_pieces(days.zone, days.start, days.end)
    shifted = [func.date(column, f"{offset:+d} seconds") for _, offset in pieces]
    if len(pieces) == 1:
        return shifted[0]
    whens = [(column < until, day) for (until, _), day in zip(pieces[:-1], shifted, strict=False)]
    return case(*whens, else_=shifted[-1])


def offset_pieces(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(until, offset seconds)] covering [start, end): the zone's offset is constant in each."""
    pieces: list[tuple[datetime, int]] = []
    here, offset = start, _offset(zone, start)
    step = timedelta(hours=6)  # shorter than any gap between two changes of a zone's offset
    while here < end:
        ahead = min(here + step, end)
        if _offset(zone, ahead) != offset:
            change = _first_change(zone, here, ahead, offset)
            pieces.append((change, offset))
            here, offset = change, _offset(zone, change)
        else:
            here = ahead
    pieces.append((end, offset))
    return pieces


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _first_change(zone: ZoneInfo, low: datetime, high: datetime, offset: int) -> datetime:
    """The first second in (low, high] where the offset is no longer `offset` (a bisection)."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)
