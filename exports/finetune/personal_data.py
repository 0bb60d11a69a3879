"""Personal data in a conversation's text replaced by typed placeholders (<NAME>, <PHONE>…).

Two sources: the records the conversation is tied to (its customer, the customers of its
orders, the data its sales collected, the chat's profile name and id), matched however they
are written (spaces, dots or dashes between digits, accents, case); and patterns for what no
record holds (any email, a Colombian mobile or landline, a cédula after its label or written
as a long number, a street address, a name after "me llamo" / "my name is").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

CEDULA = "<CEDULA>"
PHONE = "<PHONE>"
EMAIL = "<EMAIL>"
ADDRESS = "<ADDRESS>"
NAME = "<NAME>"

_SEPARATOR = r"[\s.\-]*"
"""What people put between the digits of a phone or a cédula."""
_NO_DIGIT_BEFORE = r"(?<![\d$])(?<!\$\s)"
_NO_DIGIT_AFTER = r"(?!\d)"
_STREET = (
    r"(?:avenida\s+calle|avenida\s+carrera|calle|cll?|carrera|cra|kra|kr|cr|avenida|av|"
    r"diagonal|dg|transversal|tv|trans|autopista|street|st|avenue|ave)"
)
_PLACE = r"(?:oficina|of|apto|apartamento|apt|local|casa|torre|interior|int|bloque|piso)"

_NAME_WORDS = (
    r"[^\W\d_]+(?:\s+(?!(?:y|e|and|mi|my|con|para|que|por|pero|es|soy|i|am|is)\b)[^\W\d_]+){0,3}"
)
"""Up to four words of a name, stopping at the words that start the rest of the sentence."""

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (EMAIL, re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.IGNORECASE)),
    (
        ADDRESS,
        re.compile(
            rf"\b{_STREET}\.?\s*\d+\s*[a-z]?(?:\s*bis)?\s*(?:#|n[o°º]\.?|num(?:ero)?\.?)?\s*"
            rf"\d+\s*[a-z]?\s*-\s*\d+(?:\s*[a-z]\b)?"
            rf"(?:\s*,?\s*{_PLACE}\.?\s*\d+[a-z]?)*",
            re.IGNORECASE,
        ),
    ),
    (
        PHONE,
        re.compile(
            rf"{_NO_DIGIT_BEFORE}(?:\+?57{_SEPARATOR})?(?:3\d{{2}}|60\d){_SEPARATOR}\d{{3}}"
            rf"{_SEPARATOR}\d{{2}}{_SEPARATOR}\d{{2}}{_NO_DIGIT_AFTER}"
        ),
    ),
    (
        CEDULA,
        re.compile(
            r"(?P<keep>\b(?:c\.?\s?c\.?|c[eé]dula|documento|nit|id)\b[\s:#.no°]*)\d[\d.\s]{4,12}\d"
            rf"{_NO_DIGIT_AFTER}",
            re.IGNORECASE,
        ),
    ),
    (
        CEDULA,
        re.compile(
            rf"{_NO_DIGIT_BEFORE}(?:\d{{1,3}}(?:\.\d{{3}}){{2}}|\d{{7,10}}){_NO_DIGIT_AFTER}"
        ),
    ),
    (
        NAME,
        re.compile(
            rf"(?:(?<=\bme llamo )|(?<=\bmi nombre es )|(?<=\bmy name is )){_NAME_WORDS}",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What is on file about one person tied to a conversation (any field may be missing)."""

    name: str | None = None
    national_id: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass(slots=True)
class Redactor:
    """Replaces the personal data of one conversation; counts what it replaced, by type."""

    records: list[PersonRecord]
    replaced: Counter[str] = field(default_factory=Counter)
    _known: list[tuple[str, re.Pattern[str]]] = field(init=False)

    def __post_init__(self) -> None:
        self._known = _known_patterns(self.records)

    def clean(self, text: str) -> str:
        """`text` with the records' values and anything that looks personal replaced."""
        text = unicodedata.normalize("NFC", text)
        for placeholder, pattern in (*self._known, *_PATTERNS):
            # A pattern's `keep` group (a label such as "cc") stays before the placeholder.
            replacement = rf"\g<keep>{placeholder}" if "keep" in pattern.groupindex else placeholder
            text, count = pattern.subn(replacement, text)
            self.replaced[placeholder] += count
        return text


def _known_patterns(records: Iterable[PersonRecord]) -> list[tuple[str, re.Pattern[str]]]:
    """Patterns of the records' own values, longest first (a full name before its parts)."""
    found: dict[str, set[str]] = {EMAIL: set(), ADDRESS: set(), PHONE: set(), CEDULA: set()}
    names: set[str] = set()
    for record in records:
        if record.email:
            found[EMAIL].add(re.escape(record.email.strip()))
        if record.address and record.address.strip():
            found[ADDRESS].add(_loose_words(record.address))
        if record.phone and (digits := re.sub(r"\D", "", record.phone)[-10:]):
            found[PHONE].add(rf"(?:\+?57{_SEPARATOR})?" + _SEPARATOR.join(digits))
        if record.national_id and (digits := re.sub(r"\D", "", record.national_id)):
            found[CEDULA].add(_SEPARATOR.join(digits))
        if record.name and record.name.strip():
            names.add(record.name.strip())
            names.update(part for part in record.name.split() if len(part) >= 3)
    patterns = [
        (placeholder, _alternatives(values, digits=placeholder in (PHONE, CEDULA)))
        for placeholder, values in found.items()
        if values
    ]
    if names:
        ordered = sorted(names, key=len, reverse=True)
        patterns.append((NAME, _alternatives([_loose_words(n) for n in ordered], digits=False)))
    return patterns


def _alternatives(values: Iterable[str], *, digits: bool) -> re.Pattern[str]:
    body = "|".join(sorted(values, key=len, reverse=True))
    if digits:
        return re.compile(rf"{_NO_DIGIT_BEFORE}(?:{body}){_NO_DIGIT_AFTER}")
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _loose_words(value: str) -> str:
    """A pattern of `value` whatever its accents, case and spacing."""
    return r"\s*".join("".join(_loose_letter(letter) for letter in word) for word in value.split())


_ACCENTED = {
    "a": "aáàä",
    "e": "eéèë",
    "i": "iíìï",
    "o": "oóòö",
    "u": "uúùü",
    "n": "nñ",
}


def _loose_letter(letter: str) -> str:
    base = unicodedata.normalize("NFD", letter.lower())[0]
    variants = _ACCENTED.get(base)
    return f"[{variants}]" if variants else re.escape(letter)
