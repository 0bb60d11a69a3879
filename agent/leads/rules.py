"""The offline rules of a lead: its kind, the company named, the priority, what is missing, and
the summary and next step for staff (in the staff's language)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agent.i18n import money
from agent.models import LeadKind
from agent.text import normalize
from agent.words import N_, STAFF_LANGUAGE, t

RANK = {
    LeadKind.WHOLESALE: 0,
    LeadKind.QUOTE_REQUEST: 1,
    LeadKind.CALL_REQUEST: 2,
    LeadKind.ABANDONED_CART: 3,
}
"""Which kind names a lead when a conversation shows several (the lowest rank wins)."""
PRIORITY = {
    LeadKind.WHOLESALE: 1,
    LeadKind.CALL_REQUEST: 1,
    LeadKind.QUOTE_REQUEST: 2,
    LeadKind.ABANDONED_CART: 3,
}
"""1 is the first to attend; a lead whose amount reaches HANDOFF_ORDER_AMOUNT is 1 too."""
WHAT = {
    LeadKind.WHOLESALE: N_("leads.what.wholesale"),
    LeadKind.QUOTE_REQUEST: N_("leads.what.quote_request"),
    LeadKind.CALL_REQUEST: N_("leads.what.call_request"),
    LeadKind.ABANDONED_CART: N_("leads.what.abandoned_cart"),
}
"""What a customer of each kind of lead did, the start of its summary."""
NEXT_STEPS = {
    LeadKind.WHOLESALE: N_("leads.next.wholesale"),
    LeadKind.QUOTE_REQUEST: N_("leads.next.quote_request"),
    LeadKind.CALL_REQUEST: N_("leads.next.call_request"),
    LeadKind.ABANDONED_CART: N_("leads.next.abandoned_cart"),
}

_CALL = re.compile(
    r"\bllam(?:enme|eme|ame|arme|arnos|ennos|en|e)\b|\b(?:me|nos) (?:pueden|puede|podrian|podria)"
    r" (?:llamar|marcar|timbrar)|\bdevolver (?:la|una) llamada|\bcall (?:me|us)\b"
    r"|\b(?:give|ring|phone) (?:me|us)\b|\bcall ?back\b|\bphone call\b|\buna llamada\b"
)
_WHOLESALE = re.compile(
    r"\bal por mayor\b|\bpor mayor\b|\bmayorist\w*|\bmayoreo\b|\bdistribuid\w*|\bdistribuir\b"
    r"|\breventa\b|\brevender\b|\bwholesale\w*|\bin bulk\b|\bbulk\b|\bresell\w*|\bdistributor\w*"
    r"|\bprecio(?:s)? (?:por|de) volumen\b|\bvolume (?:price|pricing|discount)\w*"
)
_QUOTE = re.compile(
    r"\bcotiza\w*|\bcotice\w*|\bcotizen\b|\bcotizo\b|\bproforma\b|\bpresupuesto\b"
    r"|\bquot(?:e|es|ation|ations)\b|\bestimate\b|\bformal offer\b"
)
_NAME_WORD = r"[A-ZÁÉÍÓÚÑ0-9][\w&.\-]*"
_COMPANY = re.compile(
    r"\b(?i:empresa|compañ[ií]a|compania|company|firma|constructora|f[aá]brica|negocio)\s+"
    r"(?:(?i:llamada|called|se llama)\s+)?"
    rf"({_NAME_WORD}(?:\s+(?:(?:de|del|la|las|los|y|&)\s+)?{_NAME_WORD}){{0,5}})"
    rf"|\b({_NAME_WORD}(?:\s+(?:(?:de|del|la|y|&)\s+)?{_NAME_WORD}){{0,4}}"
    r"\s+(?:S\.?A\.?S|LTDA|Ltda|S\.?A)\b\.?)"
)
_MOBILE = re.compile(r"(?<![\d+])(?:\+?57[\s-]?)?3\d{2}[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")


@dataclass(frozen=True, slots=True)
class Signal:
    """A sign of a lead in one message: its kind and how sure the rule is of it."""

    kind: LeadKind
    confidence: float


def signal(text: str, *, quantities: list[int], wholesale_quantity: int) -> Signal | None:
    """The sign of a lead in a customer's message, or None: words that say it first (wholesale,
    a quote, a call), else a quantity of LEAD_WHOLESALE_QUANTITY or more."""
    said = normalize(text)
    if _WHOLESALE.search(said):
        return Signal(LeadKind.WHOLESALE, 0.85)
    if _QUOTE.search(said):
        return Signal(LeadKind.QUOTE_REQUEST, 0.85)
    if _CALL.search(said):
        return Signal(LeadKind.CALL_REQUEST, 0.9)
    if quantities and max(quantities) >= wholesale_quantity:
        return Signal(LeadKind.WHOLESALE, 0.7)
    return None


def stronger(first: LeadKind, second: LeadKind) -> LeadKind:
    """The kind that names a lead showing both."""
    return first if RANK[first] <= RANK[second] else second


def company_in(text: str) -> str | None:
    """The company a customer names ("para la empresa Andamios del Café", "Soldar S.A.S.")."""
    found = _COMPANY.search(text)
    if found is None:
        return None
    name = (found.group(1) or found.group(2) or "").strip(" .,")
    return name[:200] or None


def phone_in(text: str) -> str | None:
    """A mobile number written in a message ("mi cel es 310 555 1234")."""
    found = _MOBILE.search(text)
    return re.sub(r"[\s.-]", "", found.group(0)) if found else None


def amount_of(items: list[dict[str, Any]]) -> Decimal | None:
    """The items' total, when each has a quantity and a price."""
    if not items or any(i.get("quantity") is None or i.get("unit_price") is None for i in items):
        return None
    return sum((Decimal(str(i["unit_price"])) * int(i["quantity"]) for i in items), Decimal(0))


def missing_fields(
    kind: LeadKind, *, phone: str | None, company: str | None, items: list[dict[str, Any]]
) -> list[str]:
    """What staff still need to learn before they can act: phone, company, products, quantity."""
    missing = []
    if phone is None:
        missing.append("phone")
    if company is None and kind in (LeadKind.WHOLESALE, LeadKind.QUOTE_REQUEST):
        missing.append("company")
    if not items:
        missing.append("products")
    elif any(item.get("quantity") is None for item in items):
        missing.append("quantity")
    return missing


def priority(kind: LeadKind, amount: Decimal | None, *, high_amount: Decimal) -> int:
    """1 (first) to 3: by kind, and 1 for an amount that reaches `high_amount`."""
    if amount is not None and high_amount > 0 and amount >= high_amount:
        return 1
    return PRIORITY[kind]


def items_text(items: list[dict[str, Any]]) -> str:
    """`200 × Extintor ABC 10 lb, Casco dieléctrico` (the staff's language)."""
    if not items:
        return t(STAFF_LANGUAGE, "leads.items.none")
    return ", ".join(
        f"{item['quantity']} × {item['name']}" if item.get("quantity") else str(item["name"])
        for item in items
    )


def summary(
    kind: LeadKind, items: list[dict[str, Any]], amount: Decimal | None, currency: str
) -> str:
    """What the customer wants, in one sentence made of the catalogue's words."""
    what, listed = t(STAFF_LANGUAGE, WHAT[kind]), items_text(items)
    if amount is None:
        return t(STAFF_LANGUAGE, "leads.summary", what=what, items=listed)
    total = money(amount, currency, STAFF_LANGUAGE)
    return t(STAFF_LANGUAGE, "leads.summary.amount", what=what, items=listed, amount=total)


def next_step(kind: LeadKind, missing: list[str]) -> str:
    """What staff should do first: ask for what is missing, then act on the kind."""
    if kind == LeadKind.CALL_REQUEST and "phone" in missing:
        return t(STAFF_LANGUAGE, "leads.next.ask_phone")
    if kind in (LeadKind.WHOLESALE, LeadKind.QUOTE_REQUEST) and (
        "quantity" in missing or "products" in missing
    ):
        return t(STAFF_LANGUAGE, "leads.next.ask_quantity")
    return t(STAFF_LANGUAGE, NEXT_STEPS[kind])
