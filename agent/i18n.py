"""Language helpers for the templated replies (Spanish first, English too)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from agent.words import t

_SYMBOLS = {
    ("USD", "es"): "US$",
    ("USD", "en"): "$",
    ("EUR", "es"): "€",
    ("EUR", "en"): "€",
}
"""How a price in a currency other than COP is marked, by currency and language (as CLDR)."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HISTORY_ORDERS = 5
"""How many of a customer's latest orders are listed (their history, the orders to return)."""


def say(language: str, *, es: str, en: str) -> str:
    """Pick the Spanish or English text of a reply."""
    return en if language == "en" else es


def count(n: int, one: str, many: str) -> str:
    """A number with the word that agrees with it: `1 mensaje`, `2 mensajes`, `0 errors`."""
    return f"{n} {one if n == 1 else many}"


def order_date(value: datetime, language: str) -> str:
    """An order's day as the customer reads it: `09/03/2026`, `Mar 9, 2026`."""
    if language == "en":
        return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"
    return f"{value:%d/%m/%Y}"


def money(amount: Decimal | None, currency: str = "COP", language: str = "es") -> str:
    """A price as the shop's customers write it; None is on request.

    Pesos the way a Colombian shop writes them (`$180.000`); other currencies with their
    cents, grouped as the language groups digits: `US$1.234,50` in Spanish, `$1,234.50` in
    English, `€1.234,50`; a currency without a symbol here is named: `1.234,50 GBP`.
    """
    if amount is None:
        return t(language, "money.on_request")
    if currency == "COP":
        whole = amount.to_integral_value(rounding=ROUND_DOWN)  # 1.680,80 is not 1.681,20
        digits = f"{int(whole):,}".replace(",", ".")
        cents = amount - whole
        return f"${digits}" if cents == 0 else f"${digits},{int(abs(cents) * 100):02d}"
    text = f"{amount.quantize(Decimal('0.01')):,}"
    if language != "en":
        text = text.translate(str.maketrans(",.", ".,"))
    symbol = _SYMBOLS.get((currency, "en" if language == "en" else "es"))
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
