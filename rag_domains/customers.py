"""Recognises returning customers and tells them about their orders, once the chat is verified."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import identity
from agent.domain import DomainResult, Offer, TurnContext
from agent.i18n import HISTORY_ORDERS, money, order_date
from agent.models import Customer, Order
from agent.text import normalize
from agent.words import N_, t

CLAIM_KEY = "claimed_national_id"
"""The conversation context's key for the cédula given, until the phone on file confirms it."""

_ITEMS_SHOWN = 3
HISTORY_STATUSES = {
    "cancelled": N_("customers.history.cancelled"),
    "refunded": N_("customers.history.refunded"),
    "partially_refunded": N_("customers.history.partially_refunded"),
}
"""What the history says after an order that did not stay bought."""
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class CustomerStats:
    """What a customer has bought so far (cancelled orders do not count, refunds are taken off)."""

    orders: int
    total_spent: Decimal
    last_purchase: datetime | None


async def customer_stats(session: AsyncSession, customer_id: int) -> CustomerStats:
    """Number of orders, total spent and date of the last purchase of one customer."""
    row = (
        await session.execute(
            select(
                func.count(Order.id),
                func.sum(Order.total - Order.refunded),
                func.max(Order.created_at),
            ).where(Order.customer_id == customer_id, Order.status != "cancelled")
        )
    ).one()
    return CustomerStats(
        orders=int(row[0]), total_spent=Decimal(str(row[1] or 0)), last_purchase=row[2]
    )


def mask_phone(phone: str | None) -> str | None:
    """`+57 310 555 4567` → `***4567`: enough for the owner to recognise, useless to others."""
    digits = _NOT_DIGIT.sub("", phone or "")
    return f"***{digits[-4:]}" if len(digits) >= 4 else None


def mask_email(email: str | None) -> str | None:
    """`ana.gomez@gmail.com` → `a***@gmail.com`."""
    if not email or "@" not in email:
        return None
    user, domain = email.split("@", 1)
    return f"{user[:1]}***@{domain}"


def mask_address(address: str | None) -> str | None:
    """`Calle 19 # 9-50 apto 301` → `Calle ***`."""
    if not address or not address.split():
        return None
    return f"{address.split()[0]} ***"


def _first_name(customer: Customer) -> str:
    return customer.name.split()[0].title() if customer.name.split() else customer.name


def _national_id(ctx: TurnContext) -> str | None:
    raw = ctx.understanding.entities.national_id
    digits = _NOT_DIGIT.sub("", raw or "")
    return digits or None


async def _by_national_id(session: AsyncSession, national_id: str) -> Customer | None:
    statement = select(Customer).where(Customer.national_id == national_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def _by_name(session: AsyncSession, name: str) -> list[int]:
    """Ids of the customers whose name holds every word of `name` (accents and case aside)."""
    wanted = set(normalize(name).split())
    if not wanted:
        return []
    # Compared in Python: SQL has no portable accent-insensitive match (SQLite lacks one).
    rows = await session.execute(select(Customer.id, Customer.name))
    return [row.id for row in rows if wanted <= set(normalize(row.name).split())]


def _phone(ctx: TurnContext) -> str | None:
    return ctx.understanding.entities.phone


def _ask_phone(language: str, then: str) -> DomainResult:
    """Ask for the phone on file: the same reply whether or not the cédula is a customer's."""
    reply = t(language, "customers.ask_phone")
    return DomainResult(reply=reply, facts={"needs": "phone_on_file"}, offer=Offer(then))


def _ask_national_id(language: str, *, purpose: str, then: str) -> DomainResult:
    """Ask for the cédula; `then` (an intent) is what its answer will get."""
    reply = t(language, "customers.ask_national_id", purpose=t(language, purpose))
    return DomainResult(reply=reply, facts={"needs": "national_id"}, offer=Offer(then))


def _on_file(customer: Customer, language: str) -> list[str]:
    """The customer's contact data, masked: they recognise it, a stranger learns nothing."""
    items = []
    if phone := mask_phone(customer.phone):
        items.append(t(language, "customers.on_file.phone") + phone)
    if email := mask_email(customer.email):
        items.append(t(language, "customers.on_file.e_mail") + email)
    if address := mask_address(customer.address):
        items.append(t(language, "customers.on_file.address") + address)
    if customer.city:
        items.append(customer.city)
    return items


class CustomersHandler:
    """Answers `customer.lookup` and `customer.history`; links the conversation to the buyer.

    A cédula only says whom the customer claims to be: their data on file is shown once the
    chat is verified (`agent/identity.py`), else the phone number on file is asked for.
    """

    name = "customers"

    def __init__(self, *, currency: str = "COP") -> None:
        self._currency = currency
        """The shop's currency, in which a returning customer's total spent is written."""

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Recognise the customer, or list their latest orders, once the chat is verified."""
        offered = ctx.offer.intent if ctx.offer is not None else None
        given = _national_id(ctx) is not None or _phone(ctx) is not None
        history = ctx.understanding.sub == "history" or (offered == "customer.history" and given)
        then = "customer.history" if history else "customer.lookup"
        national_id = _national_id(ctx)
        if national_id is not None:
            ctx.conversation.context = {**ctx.conversation.context, CLAIM_KEY: national_id}
            claimed = await _by_national_id(ctx.session, national_id)
            if claimed is not None and identity.is_verified(ctx.conversation, claimed):
                return await self._verified(ctx, claimed, history)
            if _phone(ctx) is None:
                return _ask_phone(ctx.language, then)
        claim = ctx.conversation.context.get(CLAIM_KEY)
        phone = _phone(ctx)
        if phone is not None and claim:
            return await self._check_phone(ctx, str(claim), phone, then)
        customer = await identity.verified_customer(ctx.session, ctx.conversation)
        if customer is not None:
            return await self._show(ctx, customer, history)
        if history:
            return _ask_national_id(ctx.language, purpose=N_("customers.purpose.orders"), then=then)
        return await self._by_name_only(ctx)

    async def _verified(self, ctx: TurnContext, customer: Customer, history: bool) -> DomainResult:
        identity.mark_verified(ctx.conversation, customer)
        ctx.conversation.context = {
            k: v for k, v in ctx.conversation.context.items() if k != CLAIM_KEY
        }
        return await self._show(ctx, customer, history)

    async def _show(self, ctx: TurnContext, customer: Customer, history: bool) -> DomainResult:
        if history:
            return await self._history(ctx, customer)
        return await self._welcome(ctx, customer)

    async def _check_phone(
        self, ctx: TurnContext, national_id: str, phone: str, then: str
    ) -> DomainResult:
        """The typed phone against the one on file for the claimed cédula; nothing leaks."""
        lang = ctx.language
        if not identity.may_try(ctx.conversation):
            return DomainResult(
                reply=t(lang, "customers.check_phone.cannot_verify_here"),
                facts={"verified": False},
            )
        claimed = await _by_national_id(ctx.session, national_id)
        if claimed is not None and identity.same_phone(phone, claimed.phone):
            return await self._verified(ctx, claimed, then == "customer.history")
        identity.record_failure(ctx.conversation)
        return DomainResult(
            reply=t(lang, "customers.check_phone.not_confirmed"),
            facts={"verified": False},
            offer=Offer(then),
        )

    async def _by_name_only(self, ctx: TurnContext) -> DomainResult:
        # A name is not proof of identity: greet, but show nothing until the cédula is given.
        lang = ctx.language
        name = ctx.understanding.entities.name
        matches = await _by_name(ctx.session, name) if name else []
        if len(matches) != 1:
            return _ask_national_id(
                lang, purpose=N_("customers.purpose.lookup"), then="customer.lookup"
            )
        customer = await ctx.session.get(Customer, matches[0])
        assert customer is not None
        first = _first_name(customer)
        return DomainResult(
            reply=t(lang, "customers.by_name_only", first=first),
            facts={"needs": "national_id", "name_matches": 1},
            offer=Offer("customer.history"),
        )

    async def _welcome(self, ctx: TurnContext, customer: Customer) -> DomainResult:
        lang = ctx.language
        stats = await customer_stats(ctx.session, customer.id)
        first = _first_name(customer)
        lines = [t(lang, "customers.welcome.hello", first=first)]
        if stats.orders:
            spent = money(stats.total_spent, self._currency, lang)
            lines.append(t(lang, "customers.welcome.orders", orders=stats.orders))
            lines.append(t(lang, "customers.welcome.total_spent", spent=spent))
            if stats.last_purchase is not None:
                last = order_date(stats.last_purchase, lang)
                lines.append(t(lang, "customers.welcome.last_purchase", last=last))
        else:
            lines.append(t(lang, "customers.welcome.have_no"))
        contact = _on_file(customer, lang)
        if contact:
            heading = t(lang, "customers.welcome.on_file")
            lines.append(heading + " · ".join(contact))
        lines.append(t(lang, "customers.welcome.how_help"))
        facts: dict[str, Any] = {
            "customer": {
                "id": customer.id,
                "first_name": first,
                "orders": stats.orders,
                "total_spent": format(stats.total_spent.normalize(), "f"),
                "last_purchase": stats.last_purchase.date().isoformat()
                if stats.last_purchase
                else None,
            }
        }
        return DomainResult(reply="\n".join(lines), facts=facts)

    async def _history(self, ctx: TurnContext, customer: Customer) -> DomainResult:
        lang = ctx.language
        orders = list(
            (
                await ctx.session.execute(
                    select(Order)
                    .where(Order.customer_id == customer.id)
                    .order_by(Order.created_at.desc(), Order.id.desc())
                    .limit(HISTORY_ORDERS)
                )
            ).scalars()
        )
        first = _first_name(customer)
        if not orders:
            return DomainResult(
                reply=t(lang, "customers.history.first_order", first=first),
                facts={"orders": []},
            )
        lines = [t(lang, "customers.history.latest_orders", first=first)]
        for order in orders:
            items = [f"{line.quantity} × {line.name}" for line in order.lines[:_ITEMS_SHOWN]]
            extra = len(order.lines) - _ITEMS_SHOWN
            if extra > 0:
                items.append(t(lang, "customers.history.extra_more", extra=extra))
            status = (
                t(lang, HISTORY_STATUSES[order.status]) if order.status in HISTORY_STATUSES else ""
            )
            total = money(order.total, order.currency, lang)
            lines.append(
                f"• *#{order.id}* — {order_date(order.created_at, lang)} — {total}{status}: "
                + ", ".join(items)
            )
        lines.append(t(lang, "customers.history.help_new"))
        facts = {
            "orders": [
                {
                    "id": order.id,
                    "date": order.created_at.date().isoformat(),
                    "total": format(order.total.normalize(), "f"),
                    "status": order.status,
                    "items": [
                        {"sku": line.sku, "name": line.name, "quantity": line.quantity}
                        for line in order.lines
                    ],
                }
                for order in orders
            ]
        }
        return DomainResult(reply="\n".join(lines), facts=facts)
