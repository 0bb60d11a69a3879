"""What a query answers: columns, rows and an optional chart, and that answer as the page's JSON
(a request answers the same way: the proposal made, or the candidates; a link to the desk).

Rows keep typed values (the tests compare them with the rows they seeded); the JSON carries
each cell as the staff read it (money as the shop writes it, dates in the shop's zone, in the
question's language) and the chart's numbers raw.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from agent.i18n import money

Cell = str | int | float | Decimal | date | datetime | None


class Kind(enum.StrEnum):
    """How a column's values are written."""

    TEXT = "text"
    COUNT = "count"
    NUMBER = "number"
    """A figure with one decimal (units a day)."""
    MONEY = "money"
    DAY = "day"
    MOMENT = "moment"


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its key, its heading in the question's language, and its kind."""

    key: str
    label: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of one column's figures against another column's labels."""

    type: str
    """A Chart.js type: `bar`, `line` or `doughnut`."""
    labels: str
    """The key of the column that names each bar."""
    values: str
    """The key of the column drawn."""


@dataclass(frozen=True, slots=True)
class Link:
    """A console page the answer points to (the proposals' desk, for a proposal made)."""

    href: str
    text: str


@dataclass(frozen=True, slots=True)
class Answer:
    """One query's result for the staff."""

    query: str
    title: str
    period: str | None
    """The days it covers, as the staff read them (None for a query of now)."""
    columns: list[Column]
    rows: list[list[Cell]]
    chart: Chart | None = None
    empty: str = ""
    """What to say when there are no rows."""
    notes: list[str] = field(default_factory=list)
    total: list[Cell] | None = None
    """A last row adding the figures up, when the rows add up."""
    link: Link | None = None

    def column(self, key: str) -> list[Cell]:
        """Every row's value of the column `key`."""
        at = [c.key for c in self.columns].index(key)
        return [row[at] for row in self.rows]

    def as_json(self, *, language: str, currency: str, zone: ZoneInfo) -> dict[str, Any]:
        """The answer for the page: cells as text, the chart's figures as numbers."""

        def text(value: Cell, kind: Kind) -> str:
            if value is None:
                return "—"
            if kind == Kind.MONEY and isinstance(value, Decimal):
                return money(value, currency, language)
            if kind == Kind.NUMBER and isinstance(value, float | Decimal):
                shown = f"{float(value):.1f}"
                return shown if language == "en" else shown.replace(".", ",")
            if isinstance(value, datetime):
                local = value.astimezone(zone)
                return f"{local:%Y-%m-%d %H:%M}" if language == "en" else f"{local:%d/%m/%Y %H:%M}"
            if isinstance(value, date):
                return value.isoformat() if language == "en" else f"{value:%d/%m/%Y}"
            return str(value)

        kinds = [c.kind for c in self.columns]
        body: dict[str, Any] = {
            "query": self.query,
            "title": self.title,
            "period": self.period,
            "columns": [
                {"key": c.key, "label": c.label, "numeric": c.kind != Kind.TEXT}
                for c in self.columns
            ],
            "rows": [[text(v, k) for v, k in zip(row, kinds, strict=True)] for row in self.rows],
            "total": None
            if self.total is None
            else [
                text(v, k) if v is not None else "" for v, k in zip(self.total, kinds, strict=True)
            ],
            "empty": self.empty,
            "notes": self.notes,
            "chart": None,
            "link": None if self.link is None else {"href": self.link.href, "text": self.link.text},
        }
        if self.chart is not None and self.rows:
            keys = [c.key for c in self.columns]
            at_label, at_value = keys.index(self.chart.labels), keys.index(self.chart.values)
            body["chart"] = {
                "type": self.chart.type,
                "label": self.columns[at_value].label,
                "labels": [text(row[at_label], kinds[at_label]) for row in self.rows],
                "texts": [text(row[at_value], kinds[at_value]) for row in self.rows],
                "values": [float(row[at_value] or 0) for row in self.rows],  # type: ignore[arg-type]
            }
        return body
