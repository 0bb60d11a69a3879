"""A staff request to change the shop's data, read offline: a restock ("reponer 50 cascos
blancos", "restock 30 CO2 extinguishers") or a price change ("sube el casco blanco a 45.000",
"set the nitrile gloves price to 9,500").

Reading changes nothing: a request becomes a pending proposal a manager approves
(`console/assistant/proposing.py`). A request is an order that opens with its verb; a question
("¿qué hay que reponer?") is left to the read-only queries.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from agent.catalog.search import ProductIndex
from agent.nlu.numbers import read_number
from agent.nlu.prices import amount_at
from agent.nlu.tokens import fold, nfc, scan
from agent.nlu.vocabulary import ARTICLES, COUNT_UNITS, MEASURE_UNITS, word_set
from agent.quantities import CURRENCY_WORDS


class RequestName(enum.StrEnum):
    """What a staff member may ask the assistant to propose."""

    RESTOCK = "propose_restock"
    PRICE_CHANGE = "propose_price_change"


MANAGER_REQUESTS = frozenset({RequestName.PRICE_CHANGE})
"""Requests only a manager makes: a price is revenue, as the dashboard's figures are."""


@dataclass(frozen=True, slots=True)
class Request:
    """A restock or a price change asked for, as read: nothing resolved nor checked yet."""

    name: RequestName
    product: str
    """The staff's words naming the product ("" when none)."""
    number: Decimal | None
    """The units to add, or the new price; None when none was said."""
    language: str

    def params(self) -> dict[str, object]:
        """What was understood, as JSON (what the page shows it read)."""
        found: dict[str, object] = {"product": self.product}
        if self.number is not None:
            found["number"] = str(self.number)
        return found


_LEADS = (("por", "favor"), ("porfa",), ("please",))
_RESTOCK_ES = word_set(
    "reponer repon reponga repongan reabastecer reabastece reabastezca reabastezcan pide pida "
    "pidan pedir encarga encargue encarguen encargar ordena ordene ordenen ordenar"
)
_RESTOCK_EN = word_set("restock reorder replenish order")
_PRICE_ES = word_set(
    "sube subir subele subale baja bajar bajale cambia cambiar cambiale pon poner ponle ponga "
    "deja dejar dejale ajusta ajustar ajustale actualiza actualizar"
)
_PRICE_EN = word_set("set change make raise lower drop put update")
_SAYS_PRICE = word_set("sube subir subele subale baja bajar bajale raise lower drop")
"""Verbs that speak of a price by themselves ("sube el casco a 45.000")."""
_PRICE_WORDS = word_set("precio precios price prices")
_TO = word_set("a en to at")
_EDGES = ARTICLES | _PRICE_WORDS | word_set("de del of for nuevo new s")
"""Words around the product's name that are not it: "el precio de las …", "the … price"."""
_BEFORE_PRODUCT = ARTICLES | COUNT_UNITS | word_set("de of x mas more")


def as_decimal(value: float) -> Decimal:
    """A number as written plainly: `40`, not `40.0`; `2.5`."""
    return Decimal(int(value)) if value == int(value) else Decimal(str(value))


def _words(question: str) -> list[str]:
    """The folded words of the question, and the `$` of an amount (other punctuation left out)."""
    return [
        token.text
        for token in scan(fold(nfc(question)))
        if token.is_word or token.text in CURRENCY_WORDS
    ]


def _trim(words: Sequence[str], edges: frozenset[str]) -> str:
    start, end = 0, len(words)
    while start < end and words[start] in edges:
        start += 1
    while end > start and words[end - 1] in edges:
        end -= 1
    return " ".join(words[start:end])


def _count(words: Sequence[str], i: int) -> tuple[Decimal, int] | None:
    """A count of units at `i` ("50", "doscientos") and the index after it; not a size."""
    number = read_number(words, i) if 0 <= i < len(words) else None
    if number is None:
        return None
    after = i + number.length
    if after < len(words) and words[after] in MEASURE_UNITS:
        return None  # "10 lb" is the product's size
    return as_decimal(number.value), after


def _count_last(words: list[str]) -> tuple[Decimal, list[str]] | None:
    """A count said after the product ("… x 30", "… 30 unidades") and the words before it."""
    if len(words) < 2:
        return None
    at = len(words) - 1 if words[-2] == "x" else len(words) - 2
    if words[-2] != "x" and words[-1] not in COUNT_UNITS:
        return None
    counted = _count(words, at)
    return None if counted is None else (counted[0], words[: len(words) - 2])


def _restock(words: list[str], start: int, language: str) -> Request:
    """ "reponer 50 cascos blancos", "restock CO2 extinguishers x 30"."""
    counted = _count(words, start)
    if counted is not None:
        number: Decimal | None = counted[0]
        rest = words[counted[1] :]
    else:
        last = _count_last(words[start:])
        number, rest = (None, words[start:]) if last is None else last
    return Request(RequestName.RESTOCK, _trim(rest, _BEFORE_PRODUCT), number, language)


def _price(words: list[str], start: int, language: str) -> Request | None:
    """ "sube el casco blanco a 45.000", "set the nitrile gloves price to 9,500"."""
    for k in range(len(words) - 2, start - 1, -1):
        if words[k] not in _TO:
            continue
        amount = amount_at(words, k + 1)
        if amount is not None and amount[1] == len(words):
            product = _trim(words[start:k], _EDGES)
            return Request(RequestName.PRICE_CHANGE, product, Decimal(amount[0]), language)
    if not _PRICE_WORDS.intersection(words):
        return None  # "sube el casco" says no price
    return Request(RequestName.PRICE_CHANGE, _trim(words[start:], _EDGES), None, language)


def read_request(question: str, index: ProductIndex) -> Request | None:
    """The restock or price change `question` asks for, or None when it asks for neither (a
    question for the read-only queries)."""
    words = _words(question)
    start = 0
    for lead in _LEADS:
        if tuple(words[: len(lead)]) == lead:
            start = len(lead)
    if start >= len(words):
        return None
    verb = words[start]
    english = verb in _RESTOCK_EN or verb in _PRICE_EN
    language = "en" if english else "es"
    found: Request | None = None
    if verb in _RESTOCK_ES or verb in _RESTOCK_EN:
        found = _restock(words, start + 1, language)
    elif verb in _PRICE_ES or verb in _PRICE_EN:
        said_price = verb in _SAYS_PRICE or _PRICE_WORDS.intersection(words)
        found = _price(words, start + 1, language) if said_price else None
    if found is None:
        return None
    if found.number is None and ("?" in question or not index.search(found.product, limit=1)):
        return None  # "¿reponemos?", "reorder suggestions": a question, not a request
    return found
