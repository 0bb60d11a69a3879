"""Several items pointed at by what describes them, each with its count, from the products
just shown: after a list of gloves, "deme 24 pares de los de hilaza y 12 de carnaza cortos"
is 24 of the cotton ones and 12 of the short leather ones."""

from __future__ import annotations

import re

from agent.nlu.numbers import read_number
from agent.nlu.tokens import fold, scan

_BETWEEN_ITEMS = re.compile(r",|;|\s+(?:y|and|e|mas|plus)\s+")


def _count(words: list[str]) -> int | None:
    """The first whole number of at least one among the words."""
    for i in range(len(words)):
        number = read_number(words, i)
        if number is not None and number.value >= 1 and number.value == int(number.value):
            return int(number.value)
    return None


def counted_items(text: str) -> list[tuple[str, int]]:
    """The message's pieces that each say how many of something: (the piece, the count);
    empty unless there are at least two."""
    items: list[tuple[str, int]] = []
    for piece in _BETWEEN_ITEMS.split(fold(text)):
        words = [token.text for token in scan(piece) if token.is_word]
        count = _count(words)
        if count is not None:
            items.append((piece.strip(), count))
    return items if len(items) >= 2 else []
