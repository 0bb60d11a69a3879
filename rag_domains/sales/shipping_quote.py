"""What delivering the cart to a city costs, and the cart's total with it."""

from __future__ import annotations

from decimal import Decimal

from agent.company import Shipping, ShippingZone
from agent.i18n import money
from agent.models import Sale, SaleState
from agent.words import t
from rag_domains.sales import replies
from rag_domains.sales.order_placement import sale_total

_BUYING = (SaleState.CART, SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)


def _zone(shipping: Shipping | None, city: str | None) -> ShippingZone | None:
    return shipping.zone_for(city) if shipping is not None and city else None


def shipping_note(
    shipping: Shipping | None, language: str, city: str | None, subtotal: Decimal, currency: str
) -> str:
    """What delivery to `city` costs for an order of `subtotal`; "" without a zone or city."""
    zone = _zone(shipping, city)
    if zone is None or city is None:
        return ""
    charge = zone.charge(subtotal)
    return replies.shipping(language, city, charge, zone.free_from, currency)


def with_shipping(
    shipping: Shipping | None, language: str, city: str | None, sale: Sale, currency: str
) -> str:
    """The shipping of this cart to `city` and the total with it ("¿cuánto es todo con envío
    a Pereira?"); "" when the city has no zone, only the note when shipping is quoted."""
    zone = _zone(shipping, city)
    if zone is None or city is None:
        return ""
    subtotal = sale_total(sale)
    charge = zone.charge(subtotal)
    note = replies.shipping(language, city, charge, zone.free_from, currency)
    if charge is None:
        return note
    total = money(subtotal + charge, currency, language)
    return f"{note}\n" + t(language, "sales.shipping.total_with", total=total)


def open_cart(sale: Sale | None) -> Sale | None:
    """The sale when it is being bought and has lines: what a shipping question is about."""
    if sale is None or sale.state not in _BUYING or not sale.lines:
        return None
    return sale
