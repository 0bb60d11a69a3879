"""What a report is limited to: a date range in the shop's time zone, a channel, a state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """The filters of one report; None means "all"."""

    date_from: date | None = None
    """Inclusive: a day in SHOP_TIMEZONE."""
    date_to: date | None = None
    """Inclusive: a day in SHOP_TIMEZONE."""
    channel: str | None = None
    state: str | None = None

    def as_json(self) -> dict[str, str]:
        """The filters that are set, as stored in `export_jobs.filters` (dates ISO 8601)."""
        values = {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "channel": self.channel,
            "state": self.state,
        }
        return {name: value for name, value in values.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> ExportFilters:
        """The filters of `as_json` (or of a query string); a bad date names its field."""
        unknown = sorted(set(data) - {"from", "to", "channel", "state"})
        if unknown:
            raise InvalidInputError(f"unknown filter {unknown[0]!r}", field=unknown[0])
        return cls(
            date_from=_day(data, "from"),
            date_to=_day(data, "to"),
            channel=data.get("channel") or None,
            state=data.get("state") or None,
        )

    def utc_range(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        """The range as UTC instants: [start of date_from, start of the day after date_to)."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.date_from, time(), zone) if self.date_from else None
        end = (
            datetime.combine(self.date_to + timedelta(days=1), time(), zone)
            if self.date_to
            else None
        )
        return start, end


def _day(data: dict[str, str], field: str) -> date | None:
    value = data.get(field)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise InvalidInputError(f"{field} must be a date as YYYY-MM-DD", field=field) from err
