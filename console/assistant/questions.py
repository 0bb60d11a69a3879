"""A staff question read as one query of the fixed set, with typed parameters.

`Ask` is what the offline reader produces and what a model must answer (its JSON schema is
sent as the structured output's shape); anything that does not validate is not run.
"""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_LIMIT = 50
DEFAULT_LIMIT = 10
MAX_DAYS = 366


class QueryName(enum.StrEnum):
    """The queries the assistant can run; nothing else reaches the database."""

    LOW_STOCK = "low_stock"
    """Products selling out: stock against the units sold per day over the period."""
    SALES = "sales"
    """Orders and revenue over the period, by day, channel, product or category."""
    TOP_PRODUCTS = "top_products"
    """The products that sold most over the period."""
    BUYERS = "buyers"
    """Who bought a product (or a category) over the period."""
    OPEN_ORDERS = "open_orders"
    """Confirmed orders not yet delivered or cancelled."""
    NEW_CUSTOMERS = "new_customers"
    """Customers first recorded in the period."""
    WAITING_HANDOFFS = "waiting_handoffs"
    """Conversations waiting for a person now."""


MONEY_QUERIES = frozenset({QueryName.SALES, QueryName.TOP_PRODUCTS})
"""Queries about revenue: for managers, as the dashboard is."""


class PeriodName(enum.StrEnum):
    """Periods as staff say them, in the shop's calendar (weeks start on Monday)."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    THIS_WEEK = "this_week"
    LAST_WEEK = "last_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_YEAR = "this_year"
    LAST_YEAR = "last_year"
    LAST_DAYS = "last_days"
    """The last `days` days, today included."""
    MONTH = "month"
    """The month `month` (1-12): this year's, or last year's when it has not come yet."""


class Grouping(enum.StrEnum):
    """How sales are broken down."""

    DAY = "day"
    CHANNEL = "channel"
    PRODUCT = "product"
    CATEGORY = "category"


Channel = Literal["web", "whatsapp", "telegram", "odoo", "cli"]


class Ask(BaseModel):
    """One query of the fixed set and its parameters; unset ones take the query's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: QueryName
    period: PeriodName | None = None
    days: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    """How many days, for the period `last_days`."""
    month: int | None = Field(default=None, ge=1, le=12)
    """Which month, for the period `month`."""
    group: Grouping | None = None
    channel: Channel | None = None
    category: str | None = Field(default=None, min_length=1, max_length=100)
    """A category of the catalog, as the catalog names it."""
    product: str | None = Field(default=None, min_length=1, max_length=100)
    """A product in the staff's words, found with the catalog search."""
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)

    def params(self) -> dict[str, object]:
        """The parameters that were set, as JSON (what the page shows it understood)."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"query"})
