"""Answers questions about the shop (hours, location, contact, payment, shipping, policies)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from decimal import Decimal
from typing import Any

from agent.company import DAY_NAMES, DAYS, CompanyInfo, ShippingZone, TimeRange
from agent.domain import DomainResult, TurnContext
from agent.i18n import money
from agent.knowledge.search import KnowledgeBase
from agent.knowledge.terms import query_terms
from agent.models import Sale
from agent.nlu.types import Entities
from agent.words import t
from rag_domains.documents import from_documents, unknown
from rag_domains.sales.order_placement import sale_total
from rag_domains.sales.shipping_quote import open_cart, with_shipping

Section = Callable[[CompanyInfo, str, Entities], tuple[str, dict[str, Any]]]


def _clock(value: time, language: str) -> str:
    """`14:00` → `2:00 p. m.` (Colombian usage) or `2:00 pm`."""
    hour = value.hour % 12 or 12
    if language == "en":
        return f"{hour}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"
    return f"{hour}:{value.minute:02d} {'a. m.' if value.hour < 12 else 'p. m.'}"


def _spans(spans: list[TimeRange], language: str) -> str:
    if not spans:
        return t(language, "company.hours.closed")
    texts = [f"{_clock(s.opens, language)} – {_clock(s.closes, language)}" for s in spans]
    joiner = t(language, "company.hours.spans_and")
    return ", ".join(texts[:-1]) + joiner + texts[-1] if len(texts) > 1 else texts[0]


def _hours(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    names = [t(language, day) for day in DAY_NAMES]
    groups: list[tuple[int, int]] = []  # runs of consecutive days with the same hours
    for i, day in enumerate(DAYS):
        if groups and company.hours.day(DAYS[groups[-1][0]]) == company.hours.day(day):
            groups[-1] = (groups[-1][0], i)
        else:
            groups.append((i, i))
    lines = []
    for first, last in groups:
        # Day names read as mid-sentence (viernes, Friday); a line starts with a capital.
        end = names[last]
        if first == last:
            label = names[first].capitalize()
        elif last == first + 1:
            label = names[first].capitalize() + t(language, "company.hours.days_and") + end
        else:
            label = names[first].capitalize() + t(language, "company.hours.days_to") + end
        lines.append(f"• {label}: {_spans(company.hours.day(DAYS[first]), language)}")
    holidays = _spans(company.hours.festivos, language)
    lines.append(t(language, "company.hours.public_holidays", holidays=holidays))
    reply = t(language, "company.hours.opening_hours") + "\n" + "\n".join(lines)
    if company.hours_note:
        reply += "\n\n" + company.hours_note.text(language)
    facts = {
        day: [f"{s.opens:%H:%M}-{s.closes:%H:%M}" for s in company.hours.day(day)]
        for day in (*DAYS, "festivos")
    }
    return reply, {"hours": facts}


def _where(company: CompanyInfo) -> str:
    place = f"{company.city} ({company.region})" if company.region else company.city
    return f"*{company.address}*, {place}"


def _location(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    reply = t(language, "company.location.at_where", where=_where(company))
    if company.maps_url:
        reply += "\n" + t(language, "company.location.map") + company.maps_url
    reply += "\n" + t(language, "company.location.also_deliver")
    return reply, {"address": company.address, "city": company.city}


def _contact(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    lines = [t(language, "company.contact.phone_phone", phone=company.phone)]
    if company.whatsapp:
        lines.append(f"• WhatsApp: {company.whatsapp}")
    lines.append(t(language, "company.contact.e_mail", email=company.email))
    if company.website:
        lines.append(f"• Web: {company.website}")
    heading = t(language, "company.contact.reach_name", name=company.name)
    facts = {"phone": company.phone, "whatsapp": company.whatsapp, "email": company.email}
    return heading + "\n" + "\n".join(lines), facts


def _payment(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    methods = [m.text(language) for m in company.payment.methods]
    reply = t(language, "company.payment") + "\n"
    reply += "\n".join(f"• {method}" for method in methods)
    if company.payment.notes:
        reply += "\n\n" + company.payment.notes.text(language)
    return reply, {"payment_methods": methods}


def _cost(zone: ShippingZone, company: CompanyInfo, language: str) -> str:
    if zone.cost is None:
        return t(language, "company.cost.quoted_by")
    if zone.cost == 0:
        return t(language, "company.cost.free")
    text = money(zone.cost, company.currency, language)
    if zone.free_from is not None:
        limit = money(zone.free_from, company.currency, language)
        text += t(language, "company.cost.free_from", limit=limit)
    return text


def _zone_facts(zone: ShippingZone) -> dict[str, Any]:
    def amount(value: Decimal | None) -> str | None:
        return None if value is None else format(value.normalize(), "f")

    return {
        "zone": zone.name.es,
        "cost": amount(zone.cost),
        "free_from": amount(zone.free_from),
        "delivery": zone.delivery.es,
    }


def _shipping(
    company: CompanyInfo, language: str, entities: Entities
) -> tuple[str, dict[str, Any]]:
    zone = company.shipping.zone_for(entities.city) if entities.city else None
    if entities.city and zone is not None:
        city = entities.city.strip().title()
        cost = _cost(zone, company, language)
        delivery = zone.delivery.text(language).rstrip(".")
        reply = t(language, "company.shipping.yes_deliver", city=city, cost=cost, delivery=delivery)
        return reply, {"city": city, **_zone_facts(zone)}
    lines = [
        f"• *{z.name.text(language)}*: {_cost(z, company, language)} — {z.delivery.text(language)}"
        for z in company.shipping.zones
    ]
    reply = t(language, "company.shipping.deliver") + "\n" + "\n".join(lines)
    if company.shipping.notes:
        reply += "\n\n" + company.shipping.notes.text(language)
    return reply, {"zones": [_zone_facts(z) for z in company.shipping.zones]}


def _returns(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    heading = t(language, "company.returns")
    return heading + "\n" + company.returns.text(language), {}


def _warranty(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    heading = t(language, "company.warranty")
    return heading + "\n" + company.warranty.text(language), {}


def _about(company: CompanyInfo, language: str, _: Entities) -> tuple[str, dict[str, Any]]:
    reply = f"*{company.name}*\n{company.about.text(language)}\n\n" + t(
        language, "company.about", where=_where(company)
    )
    return reply, {"name": company.name}


_SECTIONS: dict[str, Section] = {
    "hours": _hours,
    "location": _location,
    "contact": _contact,
    "payment": _payment,
    "shipping": _shipping,
    "returns": _returns,
    "warranty": _warranty,
    "about": _about,
}


_FROM_THE_FILE = frozenset({"hours", "location", "contact", "payment", "shipping"})
"""Sections whose facts the company file holds as data: always answered from it."""
_ABOUT_WORDS = frozenset(
    query_terms(
        "quienes son ustedes somos empresa compañia negocio tienda informacion info acerca "
        "about company business who you are information"
    )
)
"""The words of a question about the shop as a whole (answered from the file's `about`)."""


class CompanyHandler:
    """Answers `company.*` from the company file and, for what it does not cover, from the
    shop's documents (the knowledge base), in the customer's language."""

    name = "company"

    def __init__(self, company: CompanyInfo, knowledge: KnowledgeBase | None = None) -> None:
        self._company = company
        self._knowledge = knowledge

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Answer the section asked for (`company.hours`…) from the file; returns, warranty and
        anything else from the documents when a passage answers it, else from the file; a
        question neither answers gets "No sé"."""
        section = ctx.understanding.sub if ctx.understanding.sub in _SECTIONS else "about"
        if section not in _FROM_THE_FILE:
            documented = await from_documents(self._knowledge, ctx)
            if documented is not None:
                return documented
            if section == "about" and await self._unknown(ctx):
                return unknown(ctx.language)
        reply, facts = _SECTIONS[section](self._company, ctx.language, ctx.understanding.entities)
        if section == "shipping" and (cart := open_cart(ctx.sale)) is not None:
            reply += self._for_the_cart(ctx.language, ctx.understanding.entities.city, cart)
        return DomainResult(reply=reply, facts={"section": section, **facts})

    async def _unknown(self, ctx: TurnContext) -> bool:
        """Whether the question asks something specific that the shop's documents, which
        exist, do not answer (rather than about the shop as a whole)."""
        asks = set(query_terms(ctx.text)) - _ABOUT_WORDS
        knowledge = self._knowledge
        return bool(asks) and knowledge is not None and not await knowledge.empty(ctx.session)

    def _for_the_cart(self, language: str, city: str | None, cart: Sale) -> str:
        """What shipping this cart to the city asked about costs: free above the zone's limit."""
        currency = self._company.currency
        quote = with_shipping(self._company.shipping, language, city, cart, currency)
        if not quote:
            return ""
        subtotal = money(sale_total(cart), currency, language)
        return (
            "\n\n" + t(language, "sales.shipping.for_your_order", subtotal=subtotal) + "\n" + quote
        )
