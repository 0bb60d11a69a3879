"""A customer's request for what the agent may not grant alone, read by rules.

A discount is asked with its percentage ("¿me dejan el 15% de descuento?", "can I get 15%
off?"); a request without a number is left to the handlers as before. A reservation asks to
set the cart aside ("¿me los pueden apartar hasta el viernes?", "can you hold them for me?").
A special quote asks for a wholesale price or a quantity above the stock ("precio por mayor de
200 cascos", "bulk price for 300", "cotícenme las 40").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from agent.text import normalize

_NUMBER = r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)"
_PERCENT = rf"{_NUMBER} ?(?:%|por ?ciento|porciento|percent|pct)"
_DISCOUNT = r"(?:descuentos?|rebajas?|descontar|descuenten|discounts?|off)"
_ASK = re.compile(
    rf"{_PERCENT}(?: [a-z]+){{0,3}} {_DISCOUNT}\b|\b{_DISCOUNT}(?: [a-z]+){{0,3}} {_PERCENT}"
)
_NOT_WORD = re.compile(r"[^\w%.,]+")


def discount_asked(text: str) -> Decimal | None:
    """The percentage of discount the message asks for, or None when it asks for none."""
    words = _NOT_WORD.sub(" ", normalize(text)).strip()
    found = _ASK.search(words)
    if found is None:
        return None
    number = found.group(1) or found.group(2)
    percent = Decimal(number.replace(",", "."))
    return percent if percent > 0 else None


# Verb forms only: "apartamento" (an address) and "por separado" are not a reservation.
_RESERVE = re.compile(
    r"\b(?:apart|reserv|separ)(?:ar|a|e|en|an|ad)(?:me|nos|se)?(?:lo|la|los|las)?\b"
    r"|\breserv(?:e|ar|ame|arme)\b|\bhacer una reserva\b"
    r"|\b(?:put|set) (?:them |it |those |these )?aside\b"
    r"|\bhold (?:them|it|those|these|the \w+) for (?:me|us)\b"
)


def reservation_asked(text: str) -> bool:
    """Whether the message asks to set products aside for the customer."""
    return _RESERVE.search(_NOT_WORD.sub(" ", normalize(text))) is not None


@dataclass(frozen=True, slots=True)
class QuoteAsk:
    """A request for a special quote: its quantity (the largest count said, if any), and
    whether it names a wholesale price ("por mayor") rather than asking for a quote or what
    price they would get ("cotícenme las 300", "¿cuánto me dejan si llevo 200?")."""

    quantity: int | None
    wholesale: bool
    insists: bool
    """It asks for a quote, or for all or the full count ("las 300 completas", "all 300")."""


_WHOLESALE = re.compile(
    r"\b(?:al |por )mayor\b|\bmayorist[ae]s?\b|\bmayoreo\b|\bwholesale\b|\bbulk\b"
    r"|\bprecio (?:especial|por volumen|por cantidad)\b|\bvolume (?:price|pricing)\b"
)
_HAGGLE = re.compile(
    r"\bcuanto me (?:deja|dejan|dejas|dejarian|sale|salen|hace|hacen|das|dan)\b"
    r"|\bque precio me (?:da|dan|das|deja|dejan|hace|hacen)\b"
    r"|\bhow much (?:would|will|can|could) you (?:do|charge|give|sell)\b"
    r"|\bwhat price (?:can|could|would|will) you\b|\bbest price\b"
)
_QUOTE = re.compile(
    r"\bcotiz\w*|\bcotic\w*|\bcotizacion\w*|\bquote\b|\bquotation\b"
    r"|\bcomplet[ao]s\b|\btod[ao]s las?\b|\ball (?:the )?\d|\bthe full\b|\bthe whole\b"
)
_COUNT = re.compile(r"(?<![\d.,$])(\d{1,3}(?:\.\d{3})+|\d{1,6})(?![\d%]|[.,]\d| ?%| ?por ?ciento)")


def quote_asked(text: str) -> QuoteAsk | None:
    """The special quote the message asks for, or None when it asks for none."""
    words = normalize(text)
    wholesale = _WHOLESALE.search(words) is not None
    insists = _QUOTE.search(words) is not None
    if not (wholesale or insists or _HAGGLE.search(words)):
        return None
    counts = [int(found.replace(".", "")) for found in _COUNT.findall(words)]
    quantity = max(counts) if counts else None
    return QuoteAsk(quantity if quantity else None, wholesale, insists)
