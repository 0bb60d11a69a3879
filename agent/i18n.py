"""How code writes the numbers in a reply: counts and prices (the words are in agent/words)."""

from __future__ import annotations

from decimal import Decimal

from agent.words import t


def count(n: int, one: str, many: str) -> str:
    """A number with the word that agrees with it: `1 mensaje`, `2 mensajes`, `0 errors`."""
    return f"{n} {one if n == 1 else many}"


def money(amount: Decimal | None, currency: str = "COP", language: str = "es") -> str:
    """Format a price the way a Colombian shop writes it: `$180.000`; None is on request."""
    if amount is None:
        return t(language, "money.on_request")
    whole = amount.quantize(Decimal(1))
    digits = f"{int(whole):,}".replace(",", ".")
    cents = amount - whole
    text = f"${digits}" if cents == 0 else f"${digits},{int(abs(cents) * 100):02d}"
    return text if currency == "COP" else f"{text} {currency}"
