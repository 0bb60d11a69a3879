"""A customer's request for what the agent may not grant alone, read by rules.

A discount is asked with its percentage ("¿me dejan el 15% de descuento?", "can I get 15%
off?"); a request without a number is left to the handlers as before. A reservation asks to
set the cart aside ("¿me los pueden apartar hasta el viernes?", "can you hold them for me?").
"""

from __future__ import annotations

import re
from decimal import Decimal

from agent.nlu.numbers import read_number
from agent.quantities import NUMBER_VALUES
from agent.text import normalize

_SPELLED_WORD = "|".join(sorted(NUMBER_VALUES, key=len, reverse=True))
# Any number, whatever its size: "150%" is a discount asked (and refused), never 150 units.
_NUMBER = (
    rf"(?<![\d.,])(\d{{1,6}}(?:[.,]\d{{1,2}})?"
    rf"|\b(?:{_SPELLED_WORD})(?: (?:y |and )?(?:{_SPELLED_WORD}))*)"
)
_PERCENT = rf"{_NUMBER} ?(?:%|por ?ciento|porciento|percent|per cent|pct)"
_DISCOUNT = r"(?:descuentos?|rebajas?|descontar|descuenten|discounts?|off)"
_ASK = re.compile(
    rf"{_PERCENT}(?: [a-z]+){{0,3}} {_DISCOUNT}\b|\b{_DISCOUNT}(?: [a-z]+){{0,3}} {_PERCENT}"
)
_NOT_WORD = re.compile(r"[^\w%.,]+")


def discount_asked(text: str) -> Decimal | None:
    """The percentage of discount the message asks for, or None when it asks for none; above
    100 too ("¿me dejan el 150%?"): the caller refuses it, it is no quantity."""
    words = _NOT_WORD.sub(" ", normalize(text)).strip()
    found = _ASK.search(words)
    if found is None:
        return None
    number = found.group(1) or found.group(2)
    if number[0].isdigit():
        percent = Decimal(number.replace(",", "."))
    else:
        spelled = read_number(number.split(), 0)  # whole: spelled numbers have no decimals
        percent = Decimal(0) if spelled is None else Decimal(int(spelled.value))
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
