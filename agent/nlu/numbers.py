"""Numbers written with digits or words, in Spanish and English ("treinta y dos", "a dozen")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

_UNITS = {
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veintiuno": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500,
    "quinientas": 500, "seiscientos": 600, "seiscientas": 600, "setecientos": 700,
    "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
    "novecientas": 900,
}  # fmt: skip
# Set phrases that are numbers: the words, then the value.
_PHRASES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("media", "docena"), 6),
    (("half", "a", "dozen"), 6),
    (("un", "par"), 2),
    (("a", "pair"), 2),
    (("a", "couple"), 2),
    (("una", "docena"), 12),
    (("a", "dozen"), 12),
    (("un", "ciento"), 100),
    (("a", "hundred"), 100),
)
_DOZEN = frozenset(["docena", "docenas", "dozen", "dozens"])
_THOUSAND = frozenset(["mil", "thousand"])
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")

NUMBER_WORDS = frozenset(
    [*_UNITS, *_TENS, *_HUNDREDS, *_DOZEN, *_THOUSAND, "hundred", "media", "half", "par"]
)
"""Words that can be part of a number."""


class Number(NamedTuple):
    """A number found at some token: its value and how many tokens it spans."""

    value: float
    length: int


def digits_value(token: str) -> float | None:
    """`10` → 10, `1.000` → 1000 (thousands), `2,5` → 2.5 (decimal); None if not a number."""
    if token.isdigit():
        return float(token)
    if not token[:1].isdigit():
        return None
    if _GROUPED.fullmatch(token):
        return float(token.replace(".", "").replace(",", ""))
    try:
        return float(token.replace(",", "."))
    except ValueError:
        return None


def read_number(words: Sequence[str], i: int) -> Number | None:
    """The number that starts at `words[i]`, if one does."""
    for phrase, value in _PHRASES:
        if tuple(words[i : i + len(phrase)]) == phrase:
            return _times_dozen(words, i + len(phrase), Number(value, len(phrase)))
    first = digits_value(words[i])
    if first is not None:
        number = Number(first, 1)
        if i + 1 < len(words) and words[i + 1] in _THOUSAND:
            number = Number(first * 1000, 2)
        return _times_dozen(words, i + number.length, number)
    spelled = _read_words(words, i)
    return None if spelled is None else _times_dozen(words, i + spelled.length, spelled)


def _times_dozen(words: Sequence[str], j: int, number: Number) -> Number:
    # "dos docenas", "3 dozen": the dozen multiplies what came before.
    if j < len(words) and words[j] in _DOZEN and number.value < 100:
        return Number(number.value * 12, number.length + 1)
    return number


def _joins(word: str, current: float, nxt: str) -> bool:
    # "y" and "-" join tens to units; "and" joins hundreds to what follows.
    if word == "and":
        return current >= 100 and current % 100 == 0 and (nxt in _UNITS or nxt in _TENS)
    return current % 100 >= 20 and current % 10 == 0 and nxt in _UNITS and _UNITS[nxt] < 10


def _read_words(words: Sequence[str], i: int) -> Number | None:
    total = current = 0.0
    j, seen = i, False
    while j < len(words):
        word = words[j]
        nxt = words[j + 1] if j + 1 < len(words) else ""
        if word in _UNITS and not (seen and current % 10):
            current += _UNITS[word]
        elif word in _TENS and not current % 100:
            current += _TENS[word]
        elif word in _HUNDREDS and not current:
            current += _HUNDREDS[word]
        elif word == "hundred" and seen and current < 10:
            current *= 100
        elif word in _THOUSAND and (seen or word == "mil"):
            total += (current or 1) * 1000
            current = 0
        elif word in ("y", "-", "and") and seen and _joins(word, current, nxt):
            pass  # "treinta y dos", "twenty-five", "one hundred and five"
        else:
            break
        seen = True
        j += 1
    if not seen:
        return None
    return Number(total + current, j - i)
