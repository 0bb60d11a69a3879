"""Several questions or requests in one message, the way voice notes come in: "cuánto vale el
extintor de 20 libras, tienen botas talla 41, a qué hora cierran el sábado y hacen envíos a
Chinchiná?" is four questions, and each one gets its answer.

A message is cut at its punctuation and at "y"/"and" into clauses, and each clause is read
on its own. The message is several asks when at least two clauses ask something the shop
answers (a product, a price, the stock, the company, a purchase) and they ask different
things; a list of items to buy ("10 guantes, 5 cascos y 5 gafas") is one ask, answered by
the whole message's reading. Greetings and filler clauses ("hola, tengo 4 preguntas") are
left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.nlu.types import Part, Understanding

_CUT = re.compile(r"[?¿!¡;,\n]+|\s+(?:y|and|e)\s+", re.IGNORECASE)
ANSWERED = ("inventory.", "company.", "purchase.add", "purchase.cart")
"""What a clause may ask for to be answered on its own."""
_SURE = 0.6
_MIN_WORDS = 2


def _stands_alone(reading: Understanding) -> bool:
    """Whether a clause names what it asks about: a product or a kind of product, or the
    company or the cart (which need no name)."""
    if reading.top == "inventory" or reading.intent == "purchase.add":
        return bool(reading.entities.products or reading.entities.category)
    return True


def clauses(text: str) -> list[str]:
    """The message cut at punctuation and at "y"/"and", without empty pieces."""
    return [piece.strip() for piece in _CUT.split(text) if piece and piece.strip()]


def several_asks(text: str, read: Callable[[str], Understanding]) -> list[Part]:
    """The clauses of a message that each ask something, when it asks several different
    things; an empty list when the message is one ask (read as a whole)."""
    pieces = clauses(text)
    if len(pieces) < 2:
        return []
    parts = []
    for piece in pieces:
        reading = read(piece)
        if len(piece.split()) < _MIN_WORDS or reading.confidence < _SURE:
            continue
        if reading.top in ("other", "smalltalk"):
            continue
        if not reading.intent.startswith(ANSWERED) or not _stands_alone(reading):
            # A checkout, data, an edit, or a clause that leans on another ("la de 135 mil,
            # 2 pares"): the whole message's reading decides.
            return []
        parts.append(Part(piece, reading))
    if len(parts) < 2 or len({part.understanding.intent for part in parts}) < 2:
        return []
    return parts
