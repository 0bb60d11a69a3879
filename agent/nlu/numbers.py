"""Numbers written with digits or words, in Spanish and English ("treinta y dos", "a dozen")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from agent.quantities import DOZEN, HUNDREDS, ONES, TENS, THOUSAND

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
# "Mil gracias", "mil disculpas": a thousand of nothing.
_NOT_COUNTED_AFTER_MIL = frozenset(["gracias", "disculpas", "perdones", "bendiciones", "besos"])
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")

NUMBER_WORDS = frozenset(
    [*ONES, *TENS, *HUNDREDS, *DOZEN, *THOUSAND, "hundred", "media", "half", "par"]
)
"""Words that can be part of a number."""


# Words after a number that make it a percentage, never a count: "150%", "20 por ciento".
_PERCENT_MARKERS: tuple[tuple[str, ...], ...] = (
    ("%",),
    ("por", "ciento"),
    ("porciento",),
    ("percent",),
    ("per", "cent"),
    ("pct",),
)


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
    if words[i] in THOUSAND and i + 1 < len(words) and words[i + 1] in _NOT_COUNTED_AFTER_MIL:
        return None  # "mil gracias" is many thanks, not a thousand
    first = digits_value(words[i])
    if first is not None:
        number = Number(first, 1)
        if i + 1 < len(words) and words[i + 1] in THOUSAND:
            number = Number(first * 1000, 2)
        return _times_dozen(words, i + number.length, number)
    spelled = _read_words(words, i)
    return None if spelled is None else _times_dozen(words, i + spelled.length, spelled)


def _times_dozen(words: Sequence[str], j: int, number: Number) -> Number:
    # "dos docenas", "3 dozen": the dozen multiplies what came before.
    if j < len(words) and words[j] in DOZEN and number.value < 100:
        return Number(number.value * 12, number.length + 1)
    return number


# "mil gracias", "mil disculpas": a thousand thanks is not a quantity.
_MIL_IDIOMS = frozenset({"gracias", "disculpas", "perdones", "bendiciones"})


def _joins(word: str, current: float, nxt: str) -> bool:
    # "y" and "-" join tens to units; "and" joins hundreds to what follows.
    if word == "and":
        return current >= 100 and current % 100 == 0 and (nxt in ONES or nxt in TENS)
    return current % 100 >= 20 and current % 10 == 0 and nxt in ONES and ONES[nxt] < 10


def _read_words(words: Sequence[str], i: int) -> Number | None:
    total = current = 0.0
    j, seen = i, False
    while j < len(words):
        word = words[j]
        nxt = words[j + 1] if j + 1 < len(words) else ""
        if word in ONES and not (seen and current % 10):
            current += ONES[word]
        elif word in TENS and not current % 100:
            current += TENS[word]
        elif word in HUNDREDS and not current:
            current += HUNDREDS[word]
        elif word == "hundred" and seen and current < 10:
            current *= 100
        elif word in THOUSAND and (seen or (word == "mil" and nxt not in _MIL_IDIOMS)):
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


def _percent_marker(words: Sequence[str], j: int) -> int:
    """How many words from `words[j]` on say that the number before is a percentage (0: none)."""
    for marker in _PERCENT_MARKERS:
        if tuple(words[j : j + len(marker)]) == marker:
            return len(marker)
    return 0


def percentages(words: Sequence[str]) -> set[int]:
    """The indexes of the words that say a percentage, its number and its sign ("150 %",
    "cincuenta por ciento"): a percentage is never a quantity nor a size. `words` keep the
    punctuation tokens, "%" among them."""
    found: set[int] = set()
    i = 0
    while i < len(words):
        number = read_number(words, i)
        if number is None:
            i += 1
            continue
        marker = _percent_marker(words, i + number.length)
        if marker:
            found.update(range(i, i + number.length + marker))
        i += number.length + marker
    return found
