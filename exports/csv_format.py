"""How a report's cells are written, in Python and in SQL alike, so both paths give the same bytes.

UTF-8 with a BOM, LF line ends, a field quoted when it holds a comma, a quote or a line break
(PostgreSQL's `COPY ... WITH CSV` rule), NULL and '' both written as an empty field. Times are
the shop's local time with its offset (`2026-11-21T14:03:07-05:00`), money a plain decimal with
a dot (`85000.00`), and a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
gets a leading `'` so that a spreadsheet never reads it as a formula (OWASP's CSV injection).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Numeric, Text, case, cast, func, literal, null
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

BOM = b"\xef\xbb\xbf"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_LIST_SEPARATORS = re.compile(r"[,|]")


class Kind(enum.Enum):
    """What a column holds, which decides how its cells are written."""

    TEXT = "text"
    INT = "int"
    MONEY = "money"
    """Two decimals."""
    COST = "cost"
    """Six decimals (model spend in USD)."""
    TENTHS = "tenths"
    """A float shown with one decimal (milliseconds)."""
    THOUSANDTHS = "thousandths"
    """A float shown with three decimals (a confidence)."""
    TIME = "time"
    YES_NO = "yes_no"
    LIST = "list"
    """Distinct values joined with `|`, sorted by code point."""


_PLACES = {Kind.MONEY: 2, Kind.COST: 6, Kind.TENTHS: 1, Kind.THOUSANDTHS: 3}


def guard(text: str) -> str:
    """The text, with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(kind: Kind, value: Any, zone: ZoneInfo) -> str:
    """One value as its CSV cell text ('' for NULL)."""
    if value is None:
        return ""
    if kind is Kind.TEXT:
        return guard(str(value))
    if kind is Kind.INT:
        return str(int(value))
    if kind in (Kind.MONEY, Kind.COST):
        return str(Decimal(value).quantize(Decimal(1).scaleb(-_PLACES[kind]), ROUND_HALF_UP))
    if kind in (Kind.TENTHS, Kind.THOUSANDTHS):
        # PostgreSQL turns a float into numeric through 15 significant digits: do the same.
        exact = Decimal(f"{float(value):.15g}")
        return str(exact.quantize(Decimal(1).scaleb(-_PLACES[kind]), ROUND_HALF_UP))
    if kind is Kind.TIME:
        moment: datetime = value
        return moment.astimezone(zone).replace(microsecond=0).isoformat()
    if kind is Kind.YES_NO:
        return "yes" if value else "no"
    if kind is Kind.LIST:
        items = {item for item in _LIST_SEPARATORS.split(str(value)) if item}
        return guard("|".join(sorted(items)))
    raise AssertionError(kind)


def field(text: str) -> str:
    """A cell text quoted as PostgreSQL's CSV output quotes it."""
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def line(cells: Sequence[str]) -> str:
    """One CSV line, LF-terminated."""
    return ",".join(field(text) for text in cells) + "\n"


def header(names: Sequence[str]) -> bytes:
    """The BOM and the header line that start every CSV file."""
    return BOM + line(names).encode()


def sql_cell(
    kind: Kind, expr: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> ColumnElement[Any]:
    """PostgreSQL SQL giving exactly what `cell` gives for the same value, NULL for ''.

    Times use the session's TimeZone, which the COPY sets to SHOP_TIMEZONE for its transaction.
    """
    text: ColumnElement[Any]
    if kind in (Kind.TEXT, Kind.LIST):
        # LIST values come from the query already distinct, sorted (COLLATE "C") and |-joined.
        raw = cast(expr, Text)
        # ascii() is the first character's code point: far cheaper than comparing substrings.
        starts = [ord(start) for start in FORMULA_STARTS]
        text = case((func.ascii(raw).in_(starts), literal("'", Text) + raw), else_=raw)
        # COPY quotes an empty string to tell it from NULL; the Python path writes both as ''.
        return func.nullif(text, literal("", Text))
    # COPY writes integers and numerics as their text already: no cast to spend time on.
    if kind is Kind.INT:
        return expr  # type: ignore[return-value]
    if kind in (Kind.MONEY, Kind.COST, Kind.TENTHS, Kind.THOUSANDTHS):
        return func.round(cast(expr, Numeric()), _PLACES[kind])
    if kind is Kind.TIME:
        return func.to_char(expr, literal('YYYY-MM-DD"T"HH24:MI:SSTZH:TZM', Text))
    if kind is Kind.YES_NO:
        return case(
            (expr.is_(None), null()), (expr, literal("yes", Text)), else_=literal("no", Text)
        )
    raise AssertionError(kind)
