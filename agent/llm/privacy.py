"""Personal data out of what a cloud model sees: placeholders going out, values coming back.

Cédula, phone, e-mail and address are replaced by `[CEDULA_A]`, `[TELEFONO_A]`, `[EMAIL_A]`,
`[DIRECCION_A]` (letters, never digits, so a placeholder can never pass for a number) in
everything sent, and put back in what the model answers, also while it streams.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\d$])(?:\+?57[\s.-]?)?(?:3\d{2}|60\d)[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_ADDRESS = re.compile(
    r"\b(?:calle|cl|cll|carrera|cra|cr|kr|kra|avenida|av|avda|diagonal|dg|transversal|tv"
    r"|circular|cq)\.?\s*\d+\s*[a-z]?(?:\s*bis)?\s*(?:#|no\.?|n°|nro\.?|número|numero)?\s*"
    r"\d+\s*[a-z]?\s*[-–]\s*\d+\b",
    re.IGNORECASE,
)
# A run of 6 to 10 digits (or 1.088.123.456) that is not money, a decimal or part of a longer
# number: the shape of a cédula.
_CEDULA = re.compile(r"(?<![\d$.,])(?:\d{1,3}(?:\.\d{3}){2,3}|\d{6,10})(?![.,]?\d)")
_MONEY_BEFORE = re.compile(r"(?:\$|cop|usd)\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\[(CEDULA|TELEFONO|EMAIL|DIRECCION)_([A-Z]{1,2})\]", re.IGNORECASE)
_LONGEST_PLACEHOLDER = len("[DIRECCION_AA]")

KINDS = {"national_id": "CEDULA", "phone": "TELEFONO", "email": "EMAIL", "address": "DIRECCION"}
"""Which entity each placeholder kind stands for."""


def _label(index: int) -> str:
    letters = string.ascii_uppercase
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]


def _digits_pattern(digits: str) -> re.Pattern[str]:
    """The digits in order with any separators between them, not inside a longer number."""
    body = r"[\s.\-]?".join(digits)
    return re.compile(rf"(?<!\d)(?:\+?57[\s.-]?)?{body}(?!\d)")


class Redactor:
    """Replaces personal data by placeholders and restores them; one per conversation turn."""

    def __init__(self, known: Iterable[tuple[str, str]] = (), *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._values: dict[str, str] = {}
        self._placeholders: dict[tuple[str, str], str] = {}
        self._known: list[tuple[str, re.Pattern[str]]] = []
        for field, value in known:
            kind = KINDS.get(field)
            if kind is None or not value or not value.strip():
                continue
            digits = re.sub(r"\D", "", value)
            if kind in ("CEDULA", "TELEFONO") and len(digits) >= 6:
                pattern = _digits_pattern(digits)
            else:
                pattern = re.compile(re.escape(value.strip()), re.IGNORECASE)
            self._known.append((kind, pattern))

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, re.sub(r"\W", "", value).lower())
        found = self._placeholders.get(key)
        if found is None:
            count = sum(1 for k in self._placeholders if k[0] == kind)
            found = f"[{kind}_{_label(count)}]"
            self._placeholders[key] = found
            self._values[found] = value
        return found

    def redact(self, text: str) -> str:
        """`text` with every personal datum it holds replaced by its placeholder."""
        if not self.enabled or not text:
            return text
        for kind, pattern in self._known:
            text = pattern.sub(lambda m, k=kind: self._placeholder(k, m.group()), text)  # type: ignore[misc]
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group()), text)
        text = _ADDRESS.sub(lambda m: self._placeholder("DIRECCION", m.group()), text)
        text = _PHONE.sub(lambda m: self._placeholder("TELEFONO", m.group()), text)
        return _CEDULA.sub(self._cedula, text)

    def _cedula(self, match: re.Match[str]) -> str:
        if _MONEY_BEFORE.search(match.string[max(0, match.start() - 5) : match.start()]):
            return match.group()
        return self._placeholder("CEDULA", match.group())

    def restore(self, text: str) -> str:
        """`text` with the placeholders this redactor made put back to their values."""
        if not self._values:
            return text

        def value(match: re.Match[str]) -> str:
            key = f"[{match.group(1).upper()}_{match.group(2).upper()}]"
            return self._values.get(key, match.group())

        return _PLACEHOLDER.sub(value, text)

    @property
    def sent_placeholders(self) -> dict[str, str]:
        """Placeholder → value, for what was redacted so far."""
        return dict(self._values)

    def restorer(self) -> StreamRestorer:
        """A restorer for a streamed answer, where a placeholder may arrive in two pieces."""
        return StreamRestorer(self)


class StreamRestorer:
    """Restores placeholders in a stream, holding back a piece that may be half a placeholder."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held = ""

    def feed(self, piece: str) -> str:
        """The text that can be given now, placeholders restored."""
        text = self._held + piece
        start = text.rfind("[")
        if start != -1 and "]" not in text[start:] and len(text) - start < _LONGEST_PLACEHOLDER:
            self._held = text[start:]
            text = text[:start]
        else:
            self._held = ""
        return self._redactor.restore(text)

    def finish(self) -> str:
        """Whatever was held back at the end of the stream."""
        text, self._held = self._held, ""
        return self._redactor.restore(text)
