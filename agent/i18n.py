"""Language helpers for the templated replies (Spanish first, English too)."""

from __future__ import annotations

from decimal import Decimal


def say(language: str, *, es: str, en: str) -> str:
    """Pick the Spanish or English text of a reply."""
    return en if language == "en" else es


def count(n: int, one: str, many: str) -> str:
    """A number with the word that agrees with it: `1 mensaje`, `2 mensajes`, `0 errors`."""
    return f"{n} {one if n == 1 else many}"


def money(amount: Decimal | None, currency: str = "COP", language: str = "es") -> str:
    """Format a price the way a Colombian shop writes it: `$180.000`; None is on request."""
    if amount is None:
        return say(language, es="precio a consultar", en="price on request")
    whole = amount.quantize(Decimal(1))
    digits = f"{int(whole):,}".replace(",", ".")
    cents = amount - whole
    text = f"${digits}" if cents == 0 else f"${digits},{int(abs(cents) * 100):02d}"
    return text if currency == "COP" else f"{text} {currency}"
