"""Recognises returning customers by cédula and tells them about their orders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.i18n import money, say
from agent.models import Customer, Order
from agent.text import normalize
from rag_domains.base import DomainResult, Offer, TurnContext

HISTORY_ORDERS = 5
"""How many of the latest orders `customer.history` lists."""

_ITEMS_SHOWN = 3
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class CustomerStats:
    """What a customer has bought so far (cancelled orders do not count)."""

    orders: int
    total_spent: Decimal
    last_purchase: datetime | None


async def customer_stats(session: AsyncSession, customer_id: int) -> CustomerStats:
    """Number of orders, total spent and date of the last purchase of one customer."""
    row = (
        await session.execute(
            select(func.count(Order.id), func.sum(Order.total), func.max(Order.created_at)).where(
                Order.customer_id == customer_id, Order.status != "cancelled"
            )
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


def _date(value: datetime, language: str) -> str:
    if language == "en":
        return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"
    return f"{value:%d/%m/%Y}"


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


def _ask_national_id(language: str, *, es: str, en: str, then: str) -> DomainResult:
    """Ask for the cédula; `then` (an intent) is what its answer will get."""
    reply = say(
        language,
        es=f"Para {es} necesito tu número de cédula. ¿Me lo escribes?",
        en=f"To {en} I need your ID number (cédula). Could you type it?",
    )
    return DomainResult(reply=reply, facts={"needs": "national_id"}, offer=Offer(then))


def _on_file(customer: Customer, language: str) -> list[str]:
    """The customer's contact data, masked: they recognise it, a stranger learns nothing."""
    items = []
    if phone := mask_phone(customer.phone):
        items.append(say(language, es="tel. ", en="phone ") + phone)
    if email := mask_email(customer.email):
        items.append(say(language, es="correo ", en="e-mail ") + email)
    if address := mask_address(customer.address):
        items.append(say(language, es="dirección ", en="address ") + address)
    if customer.city:
        items.append(customer.city)
    return items


class CustomersHandler:
    """Answers `customer.lookup` and `customer.history`; links the conversation to the buyer."""

    name = "customers"

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Recognise the customer, or list their latest orders."""
        asked_for_history = ctx.offer is not None and ctx.offer.intent == "customer.history"
        if ctx.understanding.sub == "history" or (asked_for_history and _national_id(ctx)):
            return await self._history(ctx)
        return await self._lookup(ctx)

    async def _customer(self, ctx: TurnContext) -> Customer | None:
        """The customer named by this message's cédula, else the one already linked."""
        national_id = _national_id(ctx)
        if national_id is not None:
            customer = await _by_national_id(ctx.session, national_id)
            if customer is not None:
                ctx.conversation.customer_id = customer.id
            return customer
        if ctx.conversation.customer_id is not None:
            return await ctx.session.get(Customer, ctx.conversation.customer_id)
        return None

    async def _lookup(self, ctx: TurnContext) -> DomainResult:
        lang = ctx.language
        customer = await self._customer(ctx)
        if customer is None:
            national_id = _national_id(ctx)
            if national_id is not None:
                return DomainResult(
                    reply=say(
                        lang,
                        es=f"No encuentro compras registradas con la cédula {national_id}. Si es "
                        "tu primera compra, ¡bienvenido! Te registro cuando hagas tu pedido.",
                        en=f"I can't find any purchases under ID {national_id}. If this is your "
                        "first order, welcome! I'll register you when you place it.",
                    ),
                    facts={"national_id": national_id, "found": False},
                )
            return await self._by_name_only(ctx)
        return await self._welcome(ctx, customer)

    async def _by_name_only(self, ctx: TurnContext) -> DomainResult:
        # A name is not proof of identity: greet, but show nothing until the cédula is given.
        lang = ctx.language
        name = ctx.understanding.entities.name
        matches = await _by_name(ctx.session, name) if name else []
        if len(matches) != 1:
            return _ask_national_id(
                lang, es="buscar tus datos", en="look up your details", then="customer.lookup"
            )
        customer = await ctx.session.get(Customer, matches[0])
        assert customer is not None
        first = _first_name(customer)
        return DomainResult(
            reply=say(
                lang,
                es=f"¡Hola, {first}! Para proteger tus datos, confírmame tu número de cédula y "
                "te muestro tu historial.",
                en=f"Hi {first}! To protect your data, please confirm your ID number (cédula) "
                "and I'll show you your history.",
            ),
            facts={"needs": "national_id", "name_matches": 1},
            offer=Offer("customer.history"),
        )

    async def _welcome(self, ctx: TurnContext, customer: Customer) -> DomainResult:
        lang = ctx.language
        stats = await customer_stats(ctx.session, customer.id)
        first = _first_name(customer)
        lines = [
            say(
                lang,
                es=f"¡Hola, *{first}*! Qué bueno tenerte de vuelta.",
                en=f"Hi *{first}*, welcome back!",
            )
        ]
        if stats.orders:
            spent = money(stats.total_spent, language=lang)
            lines.append(say(lang, es=f"• Pedidos: {stats.orders}", en=f"• Orders: {stats.orders}"))
            lines.append(say(lang, es=f"• Total comprado: {spent}", en=f"• Total spent: {spent}"))
            if stats.last_purchase is not None:
                last = _date(stats.last_purchase, lang)
                lines.append(
                    say(lang, es=f"• Última compra: {last}", en=f"• Last purchase: {last}")
                )
        else:
            lines.append(
                say(lang, es="Aún no tienes pedidos con nosotros.", en="You have no orders yet.")
            )
        contact = _on_file(customer, lang)
        if contact:
            heading = say(lang, es="Datos registrados: ", en="On file: ")
            lines.append(heading + " · ".join(contact))
        lines.append(say(lang, es="¿En qué te ayudo hoy?", en="How can I help you today?"))
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

    async def _history(self, ctx: TurnContext) -> DomainResult:
        lang = ctx.language
        customer = await self._customer(ctx)
        if customer is None:
            if _national_id(ctx) is not None:
                return await self._lookup(ctx)
            return _ask_national_id(
                lang, es="mostrarte tus pedidos", en="show your orders", then="customer.history"
            )
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
                reply=say(
                    lang,
                    es=f"{first}, aún no tienes pedidos registrados. ¿Te ayudo con tu primera "
                    "compra?",
                    en=f"{first}, you have no orders yet. Shall I help you with your first one?",
                ),
                facts={"orders": []},
            )
        lines = [say(lang, es=f"Tus últimos pedidos, {first}:", en=f"Your latest orders, {first}:")]
        for order in orders:
            items = [f"{line.quantity} × {line.name}" for line in order.lines[:_ITEMS_SHOWN]]
            extra = len(order.lines) - _ITEMS_SHOWN
            if extra > 0:
                items.append(say(lang, es=f"y {extra} más", en=f"and {extra} more"))
            status = (
                say(lang, es=" (cancelado)", en=" (cancelled)")
                if order.status == "cancelled"
                else ""
            )
            total = money(order.total, order.currency, lang)
            lines.append(
                f"• *#{order.id}* — {_date(order.created_at, lang)} — {total}{status}: "
                + ", ".join(items)
            )
        lines.append(
            say(
                lang,
                es="¿Te ayudo con un nuevo pedido?",
                en="Can I help you with a new order?",
            )
        )
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
