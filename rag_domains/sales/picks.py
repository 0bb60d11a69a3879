"""A pick from the numbered list the last reply showed: "el 2", "la segunda", "the second one"."""

from __future__ import annotations

import re

from agent.models import Sale

_ORDINALS = {
    "primero": 1, "primera": 1, "primer": 1, "first": 1, "uno": 1, "una": 1, "one": 1,
    "segundo": 2, "segunda": 2, "second": 2, "dos": 2, "two": 2,
    "tercero": 3, "tercera": 3, "tercer": 3, "third": 3, "tres": 3, "three": 3,
    "cuarto": 4, "cuarta": 4, "fourth": 4, "cuatro": 4, "four": 4,
    "quinto": 5, "quinta": 5, "fifth": 5, "cinco": 5, "five": 5,
}  # fmt: skip
_PICK = re.compile(
    r"^\s*(?:quiero|dame|deme|me llevo|i want|i'?ll take|give me|let'?s go with)?\s*"
    r"(?:(?:el|la|lo|the|opci[oó]n|option|number|n[uú]mero|no\.?|#)\s*)*"
    r"(\d|primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|first|second|third|fourth"
    r"|fifth|uno|una|dos|tres|cuatro|cinco|one|two|three|four|five)"
    r"(?:\s+(?:one|uno|una|opci[oó]n|option|porfa|por favor|please|pls|de la lista|"
    r"of the list|ese|esa|este|esta))*[\s.!]*$",
    re.IGNORECASE,
)
"""A message that is only a pick from the list just shown ("el 2", "la segunda", "the second
one"); anything more ("dos chalecos naranja") is a new request, not a pick."""


def picked(text: str, sale: Sale) -> int | None:
    """The option number the customer picked from the last list, if the message is a pick."""
    return pick_number(text, len(sale.data.get("choices", [])))


_POINTED = re.compile(
    r"(?:\b(?:el|la|the|opci[oó]n|option|number|n[uú]mero|no\.?)\s*|#\s*)\d\b"
    r"|\b(?:primer|segund|tercer|cuart|quint|first|second|third|fourth|fifth)",
    re.IGNORECASE,
)
"""A pick said as one ("el 2", "la segunda"), not a bare count ("dame 2")."""


def pointed_pick(text: str, options: int) -> int | None:
    """The option `text` picks from a list just shown, when it points at one by its place."""
    return pick_number(text, options) if _POINTED.search(text) else None


def pick_number(text: str, options: int) -> int | None:
    """The option number `text` picks from a list of `options`, if the message is a pick."""
    match = _PICK.match(text)
    if match is None:
        return None
    token = match.group(1).lower()
    number = int(token) if token.isdigit() else _ORDINALS.get(token)
    if number is None or not 1 <= number <= options:
        return None
    return number
