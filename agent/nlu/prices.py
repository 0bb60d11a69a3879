"""Price bounds and superlatives: "por debajo de 50 mil", "entre 10 y 20 lucas", "el más barato".

Amounts are read with the number words of agent/nlu/numbers.py and the money words of
agent/quantities.py ("mil", "k", "lucas", "palos", "pesos", "$"), so "50.000", "$50000",
"50 mil pesos", "50k" and "cincuenta mil" are the same bound.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from agent.nlu.numbers import read_number
from agent.nlu.types import PriceRequest
from agent.quantities import CURRENCY_WORDS, MONEY_MULTIPLIERS

CHEAPEST = "cheapest"
DEAREST = "dearest"

# A bound said with these is a price even without a money word: "por menos de 150" is read as
# 150 mil, because a Colombian price under a thousand pesos is no product's.
_SURE_UPPER = (
    "por debajo de", "debajo de", "menos de", "menor a", "menor de", "no pase de",
    "no pasen de", "no mas de", "no supere", "under", "below", "less than", "no more than",
    "cheaper than", "mas barato que", "mas barata que", "mas baratos que", "mas baratas que",
)  # fmt: skip
# These need a money word or a number of thousands: "hasta 5" may count units.
_UPPER = ("hasta", "maximo", "max", "up to", "at most", "tope")
_LOWER = (
    "por encima de", "encima de", "mas de", "mayor a", "mayor de", "desde", "minimo",
    "over", "above", "more than", "at least", "starting at",
)  # fmt: skip
_RANGE_OPENERS = ("entre", "between", "from", "desde", "de")
_RANGE_JOINERS = frozenset(["y", "a", "and", "to", "-", "hasta"])
_ORDERS = (
    ("mejor precio", CHEAPEST), ("best price", CHEAPEST), ("menor precio", CHEAPEST),
    ("lowest price", CHEAPEST), ("mas barato", CHEAPEST), ("mas barata", CHEAPEST),
    ("mas baratos", CHEAPEST), ("mas baratas", CHEAPEST), ("mas economico", CHEAPEST),
    ("mas economica", CHEAPEST), ("mas economicos", CHEAPEST), ("mas economicas", CHEAPEST),
    ("least expensive", CHEAPEST), ("cheapest", CHEAPEST), ("cheaper", CHEAPEST),
    ("cheap", CHEAPEST), ("barato", CHEAPEST), ("barata", CHEAPEST), ("baratos", CHEAPEST),
    ("baratas", CHEAPEST), ("economico", CHEAPEST), ("economica", CHEAPEST),
    ("economicos", CHEAPEST), ("economicas", CHEAPEST), ("affordable", CHEAPEST),
    ("inexpensive", CHEAPEST), ("budget", CHEAPEST),
    ("mas caro", DEAREST), ("mas cara", DEAREST), ("mas caros", DEAREST),
    ("mas caras", DEAREST), ("mas costoso", DEAREST), ("mas costosa", DEAREST),
    ("most expensive", DEAREST), ("priciest", DEAREST), ("highest price", DEAREST),
    ("el mejor", DEAREST), ("la mejor", DEAREST), ("lo mejor", DEAREST),
    ("los mejores", DEAREST), ("las mejores", DEAREST), ("the best", DEAREST),
    ("top of the line", DEAREST), ("gama alta", DEAREST),
)  # fmt: skip
_GLUED_THOUSANDS = re.compile(r"(\d+)k")


class PriceReading(NamedTuple):
    """What a message asks of prices, and the indexes of the words that said it."""

    request: PriceRequest
    used: frozenset[int]


class _Amount(NamedTuple):
    value: int
    end: int  # the index after the amount's last word
    money: bool  # a money word or sign said it is money
    multiplier: int  # the money word's multiplier (1 when none)


def read_price(words: Sequence[str]) -> PriceReading | None:
    """The price bounds and order in a message's folded words, if it states any."""
    low = high = None
    order: str | None = None
    used: set[int] = set()
    i = 0
    while i < len(words):
        bounds = _range(words, i) or _bound(words, i)
        if bounds is not None:
            found_low, found_high, end = bounds
            low = found_low if found_low is not None else low
            high = found_high if found_high is not None else high
            used.update(range(i, end))
            i = end
            continue
        for phrase, direction in _ORDERS:
            length = _starts(words, i, phrase)
            if length:
                order = order or direction
                used.update(range(i, i + length))
                i += length
                break
        else:
            i += 1
    if low is None and high is None and order is None:
        return None
    return PriceReading(PriceRequest(low=low, high=high, order=order), frozenset(used))


def said_amounts(words: Sequence[str]) -> list[int]:
    """The amounts of money a message states: "la de 135 mil" → [135000]."""
    found: list[int] = []
    i = 0
    while i < len(words):
        amount = _amount(words, i)
        if amount is not None and amount.money:
            found.append(amount.value)
            i = amount.end
        else:
            i += 1
    return found


def amount_at(words: Sequence[str], i: int) -> tuple[int, int] | None:
    """The amount written at `i` ("45.000", "$45000", "12 mil", "45k", "9,500") and the index
    after it, whether or not a money word says it is money; None when no number starts there."""
    amount = _amount(words, i)
    return None if amount is None else (amount.value, amount.end)


def _starts(words: Sequence[str], i: int, phrase: str) -> int:
    """The length of `phrase` if the words at `i` say it, else 0."""
    parts = phrase.split()
    return len(parts) if tuple(words[i : i + len(parts)]) == tuple(parts) else 0


def _range(words: Sequence[str], i: int) -> tuple[int | None, int | None, int] | None:
    """ "entre 10 y 20 mil", "between 200,000 and 300,000": both bounds, and the end."""
    if words[i] not in _RANGE_OPENERS:
        return None
    first = _amount(words, i + 1)
    if first is None or first.end >= len(words) or words[first.end] not in _RANGE_JOINERS:
        return None
    second = _amount(words, first.end + 1)
    if second is None or not (first.money or second.money):
        return None
    low = first.value
    if not first.money and low * second.multiplier <= second.value:
        low *= second.multiplier  # "entre 10 y 20 mil": the "mil" is said once, for both
    if low > second.value:
        return None
    return low, second.value, second.end


def _bound(words: Sequence[str], i: int) -> tuple[int | None, int | None, int] | None:
    """ "por debajo de 50 mil", "desde 100.000": one bound, and the end."""
    kinds = ((_SURE_UPPER, True, True), (_UPPER, True, False), (_LOWER, False, False))
    for phrases, upper, sure in kinds:
        for phrase in phrases:
            length = _starts(words, i, phrase)
            if not length:
                continue
            amount = _amount(words, i + length)
            if amount is None or not (amount.money or sure):
                continue
            value = amount.value if amount.money else amount.value * 1_000
            return (None, value, amount.end) if upper else (value, None, amount.end)
    return None


def _amount(words: Sequence[str], i: int) -> _Amount | None:
    """An amount of money at `i`: "$50000", "50.000 pesos", "50 mil", "50k", "2 palos"."""
    money = i < len(words) and words[i] in CURRENCY_WORDS
    j = i + 1 if money else i
    if j >= len(words):
        return None
    glued = _GLUED_THOUSANDS.fullmatch(words[j])
    if glued is not None:
        return _with_currency(words, _Amount(int(glued.group(1)) * 1_000, j + 1, True, 1_000))
    number = read_number(words, j)
    if number is None or number.value != int(number.value):
        return None
    value, end, multiplier = int(number.value), j + number.length, 1
    if "mil" in words[j:end] or "thousand" in words[j:end]:
        money, multiplier = True, 1_000
    if end < len(words) and words[end] in MONEY_MULTIPLIERS:
        multiplier = MONEY_MULTIPLIERS[words[end]]
        value, end, money = value * multiplier, end + 1, True
    return _with_currency(words, _Amount(value, end, money or value >= 1_000, multiplier))


def _with_currency(words: Sequence[str], amount: _Amount) -> _Amount:
    """The amount with a currency word after it ("50 mil pesos") taken in."""
    if amount.end < len(words) and words[amount.end] in CURRENCY_WORDS:
        return amount._replace(end=amount.end + 1, money=True)
    return amount
