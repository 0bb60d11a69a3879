"""What the console reads: the list of conversations, one conversation whole, the reports."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.handoff import HANDED_BACK, NOTICE_HANDLER, REASSIGNED, STAFF_REPLY, TAKEN
from agent.models import (
    Conversation,
    Customer,
    Direction,
    Handoff,
    Message,
    Owner,
    Product,
    Sale,
    SaleState,
    Staff,
    StaffNote,
    utcnow,
)
from agent.undelivered import Undelivered, undelivered

OPEN_SALE = (
    SaleState.STARTED,
    SaleState.CART,
    SaleState.COLLECTING_DATA,
    SaleState.READY_TO_CONFIRM,
)
STATES = ("active", "waiting_human", "human", "bot", "mine", "all")
"""The list's filters: active (someone's, or written to in the last day), by owner, mine, all."""
ACTIVE_HOURS = 24
_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What the staff member asked the list for."""

    state: str = "active"
    channel: str | None = None
    q: str | None = None
    limit: int = 100


@dataclass(slots=True)
class ConversationRow:
    """One line of the console's list."""

    id: int
    channel: str
    external_chat_id: str
    owner: Owner
    customer_name: str | None
    contact_name: str | None
    """The name the customer goes by on the channel (their WhatsApp profile...)."""
    assigned_name: str | None
    waiting_since: datetime | None
    last_activity_at: datetime
    last_text: str = ""
    last_direction: Direction | None = None
    last_staff: bool = False
    cart_total: Decimal = Decimal(0)
    cart_items: int = 0
    reason: str | None = None

    @property
    def who(self) -> str:
        """The customer's name if known, else their name on the channel, else the chat id."""
        return (
            self.customer_name
            or self.contact_name
            or self.external_chat_id.removeprefix("whatsapp:")
        )


def _filtered(query: _Q, flt: ListFilter, staff_id: int, now: datetime) -> _Q:
    if flt.state == "active":
        query = query.where(
            or_(
                Conversation.owner != Owner.BOT,
                Conversation.last_activity_at >= now - timedelta(hours=ACTIVE_HOURS),
            )
        )
    elif flt.state == "mine":
        query = query.where(
            Conversation.owner == Owner.HUMAN, Conversation.assigned_staff_id == staff_id
        )
    elif flt.state in ("waiting_human", "human", "bot"):
        query = query.where(Conversation.owner == Owner(flt.state))
    if flt.channel:
        query = query.where(Conversation.channel == flt.channel)
    if flt.q:
        term = f"%{flt.q.strip().lower()}%"
        written = (
            select(Message.id)
            .where(Message.conversation_id == Conversation.id, func.lower(Message.text).like(term))
            .exists()
        )
        query = query.where(
            or_(
                func.lower(Conversation.external_chat_id).like(term),
                func.lower(Conversation.contact_name).like(term),
                func.lower(Customer.name).like(term),
                Customer.national_id.like(term),
                Customer.phone.like(term),
                written,
            )
        )
    return query


async def list_conversations(
    session: AsyncSession, flt: ListFilter, *, staff_id: int, now: datetime | None = None
) -> tuple[list[ConversationRow], int]:
    """The conversations the filter asks for, waiting first (longest wait first), then those
    with staff, then the bot's by recent activity; and how many match in all."""
    now = now or utcnow()
    rank = case(
        (Conversation.owner == Owner.WAITING_HUMAN, 0),
        (Conversation.owner == Owner.HUMAN, 1),
        else_=2,
    )
    base = select(Conversation.id).outerjoin(Customer, Customer.id == Conversation.customer_id)
    base = _filtered(base, flt, staff_id, now)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = (
        select(Conversation, Customer.name, Staff.name)
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(Staff, Staff.id == Conversation.assigned_staff_id)
    )
    query = _filtered(query, flt, staff_id, now).order_by(
        rank, Conversation.waiting_since, Conversation.last_activity_at.desc(), Conversation.id
    )
    rows = [
        ConversationRow(
            id=c.id,
            channel=c.channel,
            external_chat_id=c.external_chat_id,
            owner=c.owner,
            customer_name=customer,
            contact_name=c.contact_name,
            assigned_name=assigned,
            waiting_since=c.waiting_since,
            last_activity_at=c.last_activity_at,
        )
        for c, customer, assigned in (await session.execute(query.limit(flt.limit))).all()
    ]
    await _fill(session, rows)
    return rows, total


async def _fill(session: AsyncSession, rows: list[ConversationRow]) -> None:
    """Last message, open cart, buyer's name from the sale and handoff reason of the rows."""
    by_id = {row.id: row for row in rows}
    if not by_id:
        return
    ids = list(by_id)
    last = select(func.max(Message.id)).where(Message.conversation_id.in_(ids))
    messages = await session.execute(
        select(Message.conversation_id, Message.text, Message.direction, Message.staff_id).where(
            Message.id.in_(last.group_by(Message.conversation_id))
        )
    )
    for conversation_id, text, direction, staff_id in messages.all():
        row = by_id[conversation_id]
        row.last_text, row.last_direction, row.last_staff = text, direction, staff_id is not None
    newest = (
        select(func.max(Sale.id))
        .where(Sale.conversation_id.in_(ids), Sale.abandoned.is_(False))
        .group_by(Sale.conversation_id)
    )
    sales = await session.execute(select(Sale).where(Sale.id.in_(newest)))
    for sale in sales.scalars():
        row = by_id[sale.conversation_id]
        if sale.state in OPEN_SALE:
            row.cart_total = sum(
                (line.unit_price * line.quantity for line in sale.lines), Decimal(0)
            )
            row.cart_items = sum(line.quantity for line in sale.lines)
        name = (sale.data.get("customer") or {}).get("name")
        if row.customer_name is None and isinstance(name, str):
            row.customer_name = name
    staffed = [row.id for row in rows if row.owner != Owner.BOT]
    if staffed:
        newest_handoff = (
            select(func.max(Handoff.id))
            .where(Handoff.conversation_id.in_(staffed), Handoff.to_owner == Owner.WAITING_HUMAN)
            .group_by(Handoff.conversation_id)
        )
        reasons = await session.execute(
            select(Handoff.conversation_id, Handoff.reason).where(Handoff.id.in_(newest_handoff))
        )
        for conversation_id, reason in reasons.all():
            by_id[conversation_id].reason = reason


async def channels_in_use(session: AsyncSession) -> list[str]:
    """The channels conversations came from (the list's channel filter)."""
    rows = await session.execute(select(Conversation.channel).distinct().order_by("channel"))
    return [str(name) for name in rows.scalars()]


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many conversations wait for a person and how many staff have now."""
    rows = await session.execute(
        select(Conversation.owner, func.count())
        .where(Conversation.owner != Owner.BOT)
        .group_by(Conversation.owner)
    )
    found = {str(owner): int(n) for owner, n in rows.all()}
    return {"waiting_human": found.get("waiting_human", 0), "human": found.get("human", 0)}


@dataclass(slots=True)
class Entry:
    """One line of a conversation's history as staff see it: a message, a note or a change."""

    kind: str
    """`in`, `out` (the bot), `staff`, `note` or `handoff`."""
    at: datetime
    text: str
    author: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    to_owner: Owner | None = None
    id: int = 0
    undelivered: str | None = None
    """Why a reply never reached the customer (the outbox gave up on it), for staff to act."""
    retrying: str | None = None
    """Why a reply has not reached the customer yet (its channel failed; it is retried)."""
    outbox_id: int | None = None
    """The outbox row of a reply undelivered or retrying (what staff retry or give up)."""


@dataclass(slots=True)
class ConversationView:
    """One conversation whole: the row, its customer, its sale, its history."""

    conversation: Conversation
    customer: Customer | None
    sale: Sale | None
    entries: list[Entry]
    assigned_name: str | None
    reason: str | None
    seen_products: list[str]
    last_message_id: int
    intents: dict[int, str] = field(default_factory=dict)
    """The intent the bot read in each inbound message, by message id."""

    @property
    def messages(self) -> list[Entry]:
        """The customer's and the shop's messages, oldest first."""
        return [e for e in self.entries if e.kind in ("in", "out", "staff")]


def _delivery(row: Undelivered | None) -> dict[str, Any]:
    """An entry's delivery fields: why the reply was given up, or why it is being retried."""
    if row is None:
        return {}
    reason = row.last_error or ""
    if row.next_attempt_at is None:
        return {"undelivered": reason, "outbox_id": row.outbox_id}
    return {"retrying": reason or "waits for an earlier reply", "outbox_id": row.outbox_id}


async def conversation_view(session: AsyncSession, conversation_id: int) -> ConversationView | None:
    """Everything the conversation page shows, or None for an unknown id."""
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None:
        return None
    names = {
        staff_id: name for staff_id, name in (await session.execute(select(Staff.id, Staff.name)))
    }
    entries: list[Entry] = []
    messages = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    )
    deliveries = {
        row.message_id: row
        for row in await undelivered(session, conversation_id=conversation_id, limit=1000)
    }
    last_id = 0
    intents: dict[int, str] = {}
    for message in messages.scalars():
        last_id = message.id
        if message.direction == Direction.INBOUND:
            kind = "in"
            if message.intent:
                intents[message.id] = message.intent
        else:
            kind = "staff" if message.staff_id is not None else "out"
        entries.append(
            Entry(
                kind=kind,
                at=message.created_at,
                text=message.text,
                author=names.get(message.staff_id) if message.staff_id else None,
                media=list(message.media or []),
                id=message.id,
                **_delivery(deliveries.get(message.id)),
            )
        )
    notes = await session.execute(
        select(StaffNote).where(StaffNote.conversation_id == conversation_id)
    )
    for note in notes.scalars():
        entries.append(Entry("note", note.created_at, note.text, names.get(note.staff_id)))
    changes = await session.execute(
        select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id)
    )
    reason = None
    for change in changes.scalars():
        author = names.get(change.staff_id) if change.staff_id else change.actor
        entries.append(
            Entry(
                "handoff",
                change.created_at,
                change.note or "",
                author,
                reason=change.reason,
                to_owner=change.to_owner,
            )
        )
        if change.to_owner == Owner.WAITING_HUMAN:
            reason = change.reason
    entries.sort(key=lambda e: (e.at, {"in": 0, "out": 1, "staff": 1}.get(e.kind, 2)))
    sale = await session.scalar(
        select(Sale)
        .where(Sale.conversation_id == conversation_id, Sale.abandoned.is_(False))
        .order_by(Sale.id.desc())
        .limit(1)
    )
    skus = list(conversation.context.get("last_products", []))
    seen: list[str] = []
    if skus:
        found = await session.execute(
            select(Product.sku, Product.name).where(Product.sku.in_(skus))
        )
        by_sku = dict(found.all())
        seen = [by_sku[sku] for sku in skus if sku in by_sku]
    return ConversationView(
        conversation=conversation,
        customer=conversation.customer,
        sale=sale,
        entries=entries,
        assigned_name=names.get(conversation.assigned_staff_id)
        if conversation.assigned_staff_id
        else None,
        reason=reason if conversation.owner != Owner.BOT else None,
        seen_products=seen,
        last_message_id=last_id,
        intents=intents,
    )


async def active_staff(session: AsyncSession) -> list[Staff]:
    """The accounts a conversation can be given to."""
    rows = await session.execute(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name))
    return list(rows.scalars())


@dataclass(slots=True)
class StaffFigures:
    """What one staff member did in the period."""

    name: str
    taken: int = 0
    replies: int = 0
    handed_back: int = 0
    notes: int = 0


@dataclass(slots=True)
class Report:
    """The handoff report of a period."""

    since: datetime
    days: int
    handoffs: int
    by_reason: list[tuple[str, int]]
    answered: int
    unanswered_notices: int
    wait_p50: float | None
    wait_p90: float | None
    """Seconds from waiting to taken (or handed back), over the waits that ended."""
    waiting_now: int
    with_staff_now: int
    staff: list[StaffFigures]
    recent: list[tuple[Handoff, str | None, str]]
    """The newest changes: the row, who made it (staff name), the conversation's chat."""


async def handoff_report(session: AsyncSession, *, days: int = 7) -> Report:
    """Handoffs of the last `days` days: reasons, waits, what each staff member did."""
    since = utcnow() - timedelta(days=days)
    changes = list(
        (
            await session.execute(
                select(Handoff).where(Handoff.created_at >= since).order_by(Handoff.id)
            )
        ).scalars()
    )
    names = dict((await session.execute(select(Staff.id, Staff.name))).all())
    reasons: dict[str, int] = {}
    started: dict[int, datetime] = {}
    waits: list[float] = []
    people: dict[int, StaffFigures] = {}

    def person(staff_id: int) -> StaffFigures:
        return people.setdefault(staff_id, StaffFigures(names.get(staff_id, f"#{staff_id}")))

    for change in changes:
        if change.to_owner == Owner.WAITING_HUMAN:
            reasons[change.reason] = reasons.get(change.reason, 0) + 1
            started[change.conversation_id] = change.created_at
        elif change.conversation_id in started:
            waits.append((change.created_at - started.pop(change.conversation_id)).total_seconds())
        if change.staff_id is not None:
            actor = change.staff_id
            if change.reason in (TAKEN, STAFF_REPLY) or (
                change.reason == REASSIGNED and change.to_owner == Owner.HUMAN
            ):
                person(actor).taken += change.reason != REASSIGNED
            if change.reason == HANDED_BACK:
                person(actor).handed_back += 1
    replies = await session.execute(
        select(Message.staff_id, func.count())
        .where(Message.staff_id.is_not(None), Message.created_at >= since)
        .group_by(Message.staff_id)
    )
    for writer, n in replies.all():
        if writer is not None:
            person(writer).replies = int(n)
    notes = await session.execute(
        select(StaffNote.staff_id, func.count())
        .where(StaffNote.created_at >= since)
        .group_by(StaffNote.staff_id)
    )
    for writer, n in notes.all():
        person(writer).notes = int(n)
    notices = await session.scalar(
        select(func.count()).where(Message.handler == NOTICE_HANDLER, Message.created_at >= since)
    )
    now = await counts(session)
    chats = dict(
        (
            await session.execute(
                select(Conversation.id, Conversation.external_chat_id).where(
                    Conversation.id.in_({c.conversation_id for c in changes[-50:]})
                )
            )
        ).all()
    )
    recent = [
        (c, names.get(c.staff_id) if c.staff_id else None, chats.get(c.conversation_id, ""))
        for c in reversed(changes[-50:])
    ]
    return Report(
        since=since,
        days=days,
        handoffs=sum(reasons.values()),
        by_reason=sorted(reasons.items(), key=lambda item: -item[1]),
        answered=len(waits),
        unanswered_notices=int(notices or 0),
        wait_p50=statistics.median(waits) if waits else None,
        wait_p90=_percentile(waits, 0.9),
        waiting_now=now["waiting_human"],
        with_staff_now=now["human"],
        staff=sorted(people.values(), key=lambda f: f.name),
        recent=recent,
    )


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
