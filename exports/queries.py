"""The SELECT of each CSV report: its columns (name, expression, kind), joins, filters, order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased

from agent.models import (
    Conversation,
    Customer,
    Direction,
    Handoff,
    Lead,
    Message,
    Order,
    OrderLine,
    Owner,
    Product,
    Sale,
    SaleLine,
    SaleState,
    Staff,
)
from exports.csv_format import Kind, sql_cell
from exports.filters import ExportFilters

CANCELLED_ORDER = "cancelled"

LEAD_STATES = ("open", "assigned", "won", "lost")
"""A lead's status, the leads report's `state`."""
OUTCOMES = ("ordered", "cancelled", "abandoned_cart", "open_cart", "no_cart")
"""A conversation's outcome (README "What each report holds"), the conversations' `state`."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a report."""

    name: str
    expr: ColumnElement[Any] | InstrumentedAttribute[Any]
    kind: Kind


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A report's columns and the rest of its SELECT (FROM, WHERE, ORDER BY)."""

    columns: list[Column]
    complete: Callable[[Select[Any]], Select[Any]]

    @property
    def names(self) -> list[str]:
        """The header row."""
        return [column.name for column in self.columns]

    def raw(self) -> Select[Any]:
        """The SELECT of the values, formatted in Python afterwards."""
        return self.complete(select(*(column.expr for column in self.columns)))

    def formatted(self) -> Select[Any]:
        """The SELECT of the finished cell texts (PostgreSQL only), for COPY."""
        return self.complete(
            select(*(sql_cell(c.kind, c.expr).label(c.name) for c in self.columns))
        )

    def count(self) -> Select[Any]:
        """SELECT count(*) of its rows."""
        return select(func.count()).select_from(self.raw().order_by(None).subquery())


def build(kind: str, filters: ExportFilters, *, dialect: str, timezone: str) -> ReportQuery:
    """The query of one CSV report (not `full`), on `dialect` (sqlite or postgresql)."""
    start, end = filters.utc_range(timezone)
    builders: dict[str, Callable[[], ReportQuery]] = {
        "inventory": _inventory,
        "customers": lambda: _customers(start, end),
        "sales": lambda: _sales(filters, start, end),
        "conversations": lambda: _conversations(filters, start, end, dialect),
        "messages": lambda: _messages(filters, start, end),
        "leads": lambda: _leads(filters, start, end),
    }
    return builders[kind]()


def _within(column: Any, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def _inventory() -> ReportQuery:
    p = Product
    columns = [
        Column("sku", p.sku, Kind.TEXT),
        Column("name", p.name, Kind.TEXT),
        Column("category", p.category, Kind.TEXT),
        Column("family", p.family, Kind.TEXT),
        Column("price", p.price, Kind.MONEY),
        Column("currency", p.currency, Kind.TEXT),
        Column("stock", p.stock, Kind.INT),
        Column("active", p.active, Kind.YES_NO),
        Column("created_at", p.created_at, Kind.TIME),
        Column("updated_at", p.updated_at, Kind.TIME),
    ]
    return ReportQuery(columns, lambda s: s.select_from(p).order_by(p.id))


def _customers(start: datetime | None, end: datetime | None) -> ReportQuery:
    c = Customer
    kept = (
        select(
            Order.customer_id.label("customer_id"),
            func.count().label("orders"),
            func.sum(Order.total - Order.refunded).label("spent"),
            func.max(Order.created_at).label("last_order_at"),
        )
        .where(Order.status != CANCELLED_ORDER)
        .group_by(Order.customer_id)
        .subquery()
    )
    columns = [
        Column("national_id", c.national_id, Kind.TEXT),
        Column("name", c.name, Kind.TEXT),
        Column("phone", c.phone, Kind.TEXT),
        Column("email", c.email, Kind.TEXT),
        Column("city", c.city, Kind.TEXT),
        Column("address", c.address, Kind.TEXT),
        Column("created_at", c.created_at, Kind.TIME),
        Column("orders", func.coalesce(kept.c.orders, 0), Kind.INT),
        Column("total_spent", func.coalesce(kept.c.spent, 0), Kind.MONEY),
        Column("last_order_at", kept.c.last_order_at, Kind.TIME),
    ]
    return ReportQuery(
        columns,
        lambda s: (
            s.select_from(c)
            .outerjoin(kept, kept.c.customer_id == c.id)
            .where(*_within(c.created_at, start, end))
            .order_by(c.id)
        ),
    )


def _sales(filters: ExportFilters, start: datetime | None, end: datetime | None) -> ReportQuery:
    o, line, c = Order, OrderLine, Customer
    conditions = _within(o.created_at, start, end)
    if filters.channel:
        conditions.append(o.channel == filters.channel)
    if filters.state:
        conditions.append(o.status == filters.state)
    columns = [
        Column("order_id", o.id, Kind.INT),
        Column("order_date", o.created_at, Kind.TIME),
        Column("order_status", o.status, Kind.TEXT),
        Column("channel", o.channel, Kind.TEXT),
        Column("customer_national_id", c.national_id, Kind.TEXT),
        Column("customer_name", c.name, Kind.TEXT),
        Column("city", func.coalesce(o.shipping_city, c.city), Kind.TEXT),
        Column("sku", line.sku, Kind.TEXT),
        Column("product_name", line.name, Kind.TEXT),
        Column("quantity", line.quantity, Kind.INT),
        Column("unit_price", line.unit_price, Kind.MONEY),
        Column("line_total", line.line_total, Kind.MONEY),
        Column("order_total", o.total, Kind.MONEY),
        Column("order_refunded", o.refunded, Kind.MONEY),
        Column("currency", o.currency, Kind.TEXT),
        Column("odoo_ref", o.odoo_ref, Kind.TEXT),
    ]
    return ReportQuery(
        columns,
        lambda s: (
            s.select_from(line)
            .join(o, line.order_id == o.id)
            .join(c, o.customer_id == c.id)
            .where(*conditions)
            .order_by(o.id, line.id)
        ),
    )


def _intents(dialect: str) -> ColumnElement[Any]:
    """The distinct intents of a conversation's inbound messages (grouped by conversation)."""
    if dialect == "postgresql":
        # COLLATE "C" sorts by code point, as Python's sorted() does on the SQLite path.
        return literal_column(
            """string_agg(DISTINCT messages.intent::text COLLATE "C", '|' """
            """ORDER BY messages.intent::text COLLATE "C")"""
        )
    return func.group_concat(Message.intent.distinct())


def _conversations(
    filters: ExportFilters, start: datetime | None, end: datetime | None, dialect: str
) -> ReportQuery:
    cv = Conversation
    inbound = Message.direction == Direction.INBOUND
    counts = (
        select(
            Message.conversation_id.label("conversation_id"),
            func.sum(case((inbound, 1), else_=0)).label("inbound"),
            func.sum(case((inbound, 0), else_=1)).label("outbound"),
            func.min(Message.created_at).label("first_at"),
            func.max(Message.created_at).label("last_at"),
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    intents = (
        select(Message.conversation_id.label("conversation_id"), _intents(dialect).label("seen"))
        .where(inbound, Message.intent.is_not(None), Message.intent != "")
        .group_by(Message.conversation_id)
        .subquery()
    )
    newest = (
        select(
            Order.conversation_id.label("conversation_id"),
            func.max(Order.id).label("order_id"),
        )
        .where(Order.conversation_id.is_not(None))
        .group_by(Order.conversation_id)
        .subquery()
    )
    last_order = aliased(Order)
    newest_sale = (
        select(Sale.conversation_id.label("conversation_id"), func.max(Sale.id).label("sale_id"))
        .group_by(Sale.conversation_id)
        .subquery()
    )
    sale = aliased(Sale)
    has_lines = exists().where(SaleLine.sale_id == sale.id)
    to_staff = Handoff.to_owner != Owner.BOT
    handoffs = (
        select(Handoff.conversation_id.label("conversation_id"), func.count().label("handoffs"))
        .where(to_staff)
        .group_by(Handoff.conversation_id)
        .subquery()
    )
    last_reason = (
        select(Handoff.reason)
        .where(Handoff.conversation_id == cv.id, to_staff)
        .order_by(Handoff.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    outcome = case(
        (and_(last_order.id.is_not(None), last_order.status == CANCELLED_ORDER), "cancelled"),
        (last_order.id.is_not(None), "ordered"),
        (sale.state == SaleState.CANCELLED, "cancelled"),
        (and_(sale.abandoned.is_(True), has_lines), "abandoned_cart"),
        (has_lines, "open_cart"),
        else_="no_cart",
    )
    conditions = _within(cv.last_activity_at, start, end)
    if filters.channel:
        conditions.append(cv.channel == filters.channel)
    if filters.state:
        conditions.append(outcome == filters.state)
    columns = [
        Column("conversation_id", cv.id, Kind.INT),
        Column("channel", cv.channel, Kind.TEXT),
        Column("external_chat_id", cv.external_chat_id, Kind.TEXT),
        Column("customer_national_id", Customer.national_id, Kind.TEXT),
        Column("customer_name", Customer.name, Kind.TEXT),
        Column("contact_name", cv.contact_name, Kind.TEXT),
        Column("language", cv.language, Kind.TEXT),
        Column("first_message_at", counts.c.first_at, Kind.TIME),
        Column("last_message_at", counts.c.last_at, Kind.TIME),
        Column("last_activity_at", cv.last_activity_at, Kind.TIME),
        Column("messages_in", func.coalesce(counts.c.inbound, 0), Kind.INT),
        Column("messages_out", func.coalesce(counts.c.outbound, 0), Kind.INT),
        Column("intents", intents.c.seen, Kind.LIST),
        Column("handoff", func.coalesce(handoffs.c.handoffs, 0) > 0, Kind.YES_NO),
        Column("handoff_reason", last_reason, Kind.TEXT),
        Column("owner", cv.owner, Kind.TEXT),
        Column("staff", Staff.username, Kind.TEXT),
        Column("outcome", outcome, Kind.TEXT),
        Column("order_id", last_order.id, Kind.INT),
        Column("order_total", last_order.total, Kind.MONEY),
        Column("llm_calls", cv.llm_calls, Kind.INT),
        Column("llm_cost_usd", cv.llm_cost_usd, Kind.COST),
    ]
    return ReportQuery(
        columns,
        lambda s: (
            s.select_from(cv)
            .outerjoin(Customer, Customer.id == cv.customer_id)
            .outerjoin(Staff, Staff.id == cv.assigned_staff_id)
            .outerjoin(counts, counts.c.conversation_id == cv.id)
            .outerjoin(intents, intents.c.conversation_id == cv.id)
            .outerjoin(handoffs, handoffs.c.conversation_id == cv.id)
            .outerjoin(newest, newest.c.conversation_id == cv.id)
            .outerjoin(last_order, last_order.id == newest.c.order_id)
            .outerjoin(newest_sale, newest_sale.c.conversation_id == cv.id)
            .outerjoin(sale, sale.id == newest_sale.c.sale_id)
            .where(*conditions)
            .order_by(cv.id)
        ),
    )


def _messages(filters: ExportFilters, start: datetime | None, end: datetime | None) -> ReportQuery:
    m, cv = Message, Conversation
    conditions = _within(m.created_at, start, end)
    if filters.channel:
        conditions.append(cv.channel == filters.channel)
    columns = [
        Column("message_id", m.id, Kind.INT),
        Column("conversation_id", m.conversation_id, Kind.INT),
        Column("channel", cv.channel, Kind.TEXT),
        Column("time", m.created_at, Kind.TIME),
        Column("direction", m.direction, Kind.TEXT),
        Column("text", m.text, Kind.TEXT),
        Column("intent", m.intent, Kind.TEXT),
        Column("confidence", m.confidence, Kind.THOUSANDTHS),
        Column("handler", m.handler, Kind.TEXT),
        Column("latency_ms", m.latency_ms, Kind.TENTHS),
        Column("staff", Staff.username, Kind.TEXT),
    ]
    return ReportQuery(
        columns,
        lambda s: (
            s.select_from(m)
            .join(cv, cv.id == m.conversation_id)
            .outerjoin(Staff, Staff.id == m.staff_id)
            .where(*conditions)
            .order_by(m.id)
        ),
    )


def _leads(filters: ExportFilters, start: datetime | None, end: datetime | None) -> ReportQuery:
    lead, cv = Lead, Conversation
    conditions = _within(lead.created_at, start, end)
    if filters.channel:
        conditions.append(lead.channel == filters.channel)
    if filters.state:
        conditions.append(lead.status == filters.state)
    columns = [
        Column("lead_id", lead.id, Kind.INT),
        Column("created_at", lead.created_at, Kind.TIME),
        Column("updated_at", lead.updated_at, Kind.TIME),
        Column("status", lead.status, Kind.TEXT),
        Column("kind", lead.kind, Kind.TEXT),
        Column("priority", lead.priority, Kind.INT),
        Column("confidence", lead.confidence, Kind.THOUSANDTHS),
        Column("channel", lead.channel, Kind.TEXT),
        Column("conversation_id", lead.conversation_id, Kind.INT),
        Column("external_chat_id", cv.external_chat_id, Kind.TEXT),
        Column("customer_national_id", Customer.national_id, Kind.TEXT),
        Column("contact", lead.contact, Kind.TEXT),
        Column("company", lead.company, Kind.TEXT),
        Column("phone", lead.phone, Kind.TEXT),
        # The JSON as stored: the same text on SQLite and PostgreSQL (json keeps its input).
        Column("items", cast(lead.items, Text), Kind.TEXT),
        Column("amount", lead.amount, Kind.MONEY),
        Column("currency", lead.currency, Kind.TEXT),
        Column("missing", cast(lead.missing, Text), Kind.TEXT),
        Column("summary", lead.summary, Kind.TEXT),
        Column("next_step", lead.next_step, Kind.TEXT),
        Column("staff", Staff.username, Kind.TEXT),
        Column("reason", lead.reason, Kind.TEXT),
        Column("closed_at", lead.closed_at, Kind.TIME),
        Column("odoo_id", lead.odoo_id, Kind.INT),
    ]
    return ReportQuery(
        columns,
        lambda s: (
            s.select_from(lead)
            .join(cv, cv.id == lead.conversation_id)
            .outerjoin(Customer, Customer.id == lead.customer_id)
            .outerjoin(Staff, Staff.id == lead.assignee_id)
            .where(*conditions)
            .order_by(lead.id)
        ),
    )
