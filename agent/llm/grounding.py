"""The grounding guard: a phrased reply may only state numbers the code gave it.

Every number in a phrased reply (price, stock, total, quantity, anything) must be one of the
numbers of the handler's facts or of the template reply; an amount of money (`$95.000`,
`95 mil pesos`, `un peso`) must be one of their amounts. Words that change a price
("gratis", "descuento", "free") must already be in the template. The guard works on a stream:
it holds back a piece until the number it ends with is complete (and the word after it, which
may make it money), and stops at the first ungrounded number, so a customer never sees one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from agent.text import normalize

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[a-zñ]+")
_CURRENCY_AFTER = re.compile(
    r"\s*(?:(mil|millon|millones|thousand|million|millions|k)\b\s*(?:de\s+)?)?"
    r"(pesos?|cop|usd|d[oó]lar(?:es)?|dollars?)?\b",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:\$|cop|usd|us\$)\s*$", re.IGNORECASE)
_MULTIPLIERS = {
    "mil": 1000,
    "thousand": 1000,
    "k": 1000,
    "millon": 1_000_000,
    "millones": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
}
NUMBER_WORDS = {
    "cero": 0,
    "zero": 0,
    "un": 1,
    "uno": 1,
    "una": 1,
    "one": 1,
    "dos": 2,
    "two": 2,
    "tres": 3,
    "three": 3,
    "cuatro": 4,
    "four": 4,
    "cinco": 5,
    "five": 5,
    "diez": 10,
    "ten": 10,
    "cien": 100,
    "ciento": 100,
    "hundred": 100,
    "mil": 1000,
    "thousand": 1000,
}
_WORD_MONEY = re.compile(
    r"(?<!\d\s)\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\s+"
    r"(?:mil\s+)?(pesos?|dolares|dolar|dollars?|cop|usd)\b"
)
PRICE_WORDS = frozenset(
    [
        *("gratis", "gratuito", "gratuita", "regalo", "regalamos", "descuento", "descuentos"),
        *("rebaja", "promocion", "free", "discount", "discounts", "giveaway"),
    ]
)
MONEY_KEYS = ("price", "total", "amount", "cost", "subtotal", "precio", "valor")
_HOLD = frozenset(NUMBER_WORDS) | frozenset(_MULTIPLIERS)


def parse_number(token: str) -> Decimal | None:
    """`190.000` → 190000, `1.250.000,50` → 1250000.50, `10,5` → 10.5, `95000.00` → 95000."""
    if "." in token and "," in token:
        decimal_mark = "." if token.rfind(".") > token.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        token = token.replace(thousands, "").replace(decimal_mark, ".")
    elif "." in token or "," in token:
        mark = "." if "." in token else ","
        groups = token.split(mark)
        if len(groups) > 2 or (len(groups) == 2 and len(groups[1]) == 3):
            token = "".join(groups) if all(len(g) == 3 for g in groups[1:]) else token
        token = token.replace(",", ".")
        if token.count(".") > 1:
            return None
    try:
        return Decimal(token)
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class Figure:
    """A number as written in a text, its value, and whether it is an amount of money."""

    text: str
    value: Decimal
    money: bool


def figures(text: str) -> list[Figure]:
    """Every number in `text` (digits, and number words that name an amount of money)."""
    found: list[Figure] = []
    for match in _NUMBER.finditer(text):
        value = parse_number(match.group())
        if value is None:
            continue
        after = _CURRENCY_AFTER.match(text, match.end())
        multiplier = after.group(1) if after else None
        if multiplier:
            value *= _MULTIPLIERS[multiplier.lower()]
        before = _CURRENCY_BEFORE.search(text[max(0, match.start() - 4) : match.start()])
        money = bool(before or (after and after.group(2)))
        found.append(Figure(match.group(), value, money))
    for match in _WORD_MONEY.finditer(normalize(text)):
        value = Decimal(NUMBER_WORDS[match.group(1)])
        if "mil" in match.group().split()[1:]:
            value *= 1000
        found.append(Figure(match.group(), value, True))
    return found


def _walk(value: Any, key: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk(v, str(k).lower())
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


class Grounds:
    """The numbers and amounts a phrased reply may state: those of the facts and the template."""

    def __init__(self, facts: Any, template: str) -> None:
        self.numbers: set[Decimal] = set()
        self.money: set[Decimal] = set()
        for key, value in _walk(facts):
            is_money = any(word in key for word in MONEY_KEYS)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float | Decimal):
                number = Decimal(str(value))
                self.numbers.add(number)
                if is_money:
                    self.money.add(number)
            elif isinstance(value, str):
                for figure in figures(value):
                    self.numbers.add(figure.value)
                    if is_money or figure.money:
                        self.money.add(figure.value)
        for figure in figures(template):
            self.numbers.add(figure.value)
            if figure.money:
                self.money.add(figure.value)
        words = set(_WORD.findall(normalize(template)))
        self.price_words = frozenset(w for w in PRICE_WORDS if w in words)

    def problems(self, text: str) -> list[str]:
        """What in `text` is not grounded (empty when every number is)."""
        found: list[str] = []
        for figure in figures(text):
            if figure.money and figure.value not in self.money:
                found.append(f"amount {figure.text!r} is not in the facts")
            elif not figure.money and figure.value not in self.numbers | self.money:
                found.append(f"number {figure.text!r} is not in the facts")
        words = set(_WORD.findall(normalize(text)))
        unearned = PRICE_WORDS & words - self.price_words
        found += [f"word {w!r} is not in the template" for w in sorted(unearned)]
        return found


class StreamGuard:
    """Checks a phrased reply as it streams; gives only text whose numbers are grounded."""

    def __init__(self, grounds: Grounds, *, max_chars: int = 4000) -> None:
        self._grounds = grounds
        self._max_chars = max_chars
        self._text = ""
        self._given = 0
        self.problems: list[str] = []

    @property
    def tripped(self) -> bool:
        """True once an ungrounded number (or a price word, or a runaway length) was seen."""
        return bool(self.problems)

    @property
    def text(self) -> str:
        """Everything received so far."""
        return self._text

    def feed(self, piece: str) -> str:
        """The part of the text received so far that is complete and grounded, not yet given."""
        if self.tripped:
            return ""
        self._text += piece
        if len(self._text) > self._max_chars:
            self.problems.append(f"the reply runs over {self._max_chars} characters")
            return ""
        return self._give(self._safe_end())

    def finish(self) -> str:
        """The rest of the text once the stream ended, if all of it is grounded."""
        if self.tripped:
            return ""
        return self._give(len(self._text))

    def _give(self, end: int) -> str:
        if end <= self._given:
            return ""
        problems = self._grounds.problems(self._text[:end])
        if problems:
            self.problems = problems
            return ""
        piece = self._text[self._given : end]
        self._given = end
        return piece

    def _safe_end(self) -> int:
        text = self._text
        tokens = list(_TOKEN.finditer(text))
        index = len(tokens)
        if text and not text[-1].isspace():
            index -= 1  # the last word may go on in the next piece
        while index > 0 and _holds(tokens[index - 1].group()):
            index -= 1  # a number waits for the word after it (`mil`, `pesos`)
        return tokens[index].start() if index < len(tokens) else len(text)


def _holds(token: str) -> bool:
    word = normalize(token).strip(".,;:!?¡¿()*\"'")
    return any(c.isdigit() for c in token) or "$" in token or word in _HOLD
