"""Prices as Colombian catalogs write them: `$180.000`, `180.000,50`, `$ 1.250.000`, lists."""

from __future__ import annotations

import re
from decimal import Decimal

from agent.errors import InvalidInputError

MAX_PRICE = Decimal(10) ** 12
"""Prices are stored as NUMERIC(14, 2)."""

_MARKS = re.compile(r"^(?:cop|col\$|\$)\s*|\s*(?:cop|pesos)$", re.IGNORECASE)
_NUMBER = re.compile(r"[0-9][0-9.,]*")
_GROUPED = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*")
# One price in free text, with the note in brackets after it: `$25.000 (100m)`.
_ENTRY = re.compile(r"\$\s?([0-9][0-9.,]*[0-9]|[0-9])(?:\s*\(([^)]*)\))?")
# One line of a markdown price list: `- **10 lb:** $380.000` or `- 20 cm: $40.000`.
_LIST_LINE = re.compile(
    r"^\s*-\s*(?:\*\*)?(?P<label>[^:*$]+?)\s*:?\s*(?:\*\*)?\s*:?\s*\$\s?(?P<amount>[0-9][0-9.,]*)\s*$"
)


def parse_price(text: str) -> Decimal | None:
    """The amount written in `text`; None when it is empty (price on request)."""
    cleaned = text.replace("\u00a0", " ").strip()
    if not cleaned:
        return None
    negative = cleaned.startswith("-")
    cleaned = cleaned.lstrip("-").strip()
    while (stripped := _MARKS.sub("", cleaned, count=1)) != cleaned:
        cleaned = stripped.strip()
    if cleaned.startswith("-"):
        negative, cleaned = True, cleaned[1:]
    cleaned = cleaned.replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        raise InvalidInputError(f"{text.strip()!r} is not a price", field="price")
    amount = _to_decimal(cleaned, text.strip())
    if negative and amount:
        raise InvalidInputError(f"the price cannot be negative ({text.strip()})", field="price")
    if amount >= MAX_PRICE:
        raise InvalidInputError(f"the price {text.strip()} is too large", field="price")
    return amount


def _to_decimal(number: str, original: str) -> Decimal:
    """`1.250.000` and `1,250,000` are thousands; `180.000,50` and `1250.5` have decimals."""
    if "." in number and "," in number:
        decimal_mark = "." if number.rfind(".") > number.rfind(",") else ","
    else:
        decimal_mark = ""
    if decimal_mark:
        whole, _, fraction = number.rpartition(decimal_mark)
    elif _GROUPED.fullmatch(number):
        whole, fraction = number, ""
    elif number.count(".") + number.count(",") == 1:
        whole, _, fraction = number.replace(",", ".").partition(".")
    else:
        whole, fraction = number, ""
    if whole and not (whole.isdigit() or _GROUPED.fullmatch(whole)):
        raise InvalidInputError(f"{original!r} is not a price", field="price")
    if not fraction.isdigit() and fraction:
        raise InvalidInputError(f"{original!r} is not a price", field="price")
    if len(fraction) > 2:
        raise InvalidInputError(f"{original!r} has more than two decimals", field="price")
    digits = re.sub(r"[.,]", "", whole) or "0"
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def price_entries(text: str) -> list[tuple[Decimal, str]]:
    """Every `$amount (note)` in free text, in order; the note is "" when there is none."""
    entries = []
    for match in _ENTRY.finditer(text):
        amount = parse_price(match.group(1))
        if amount is not None:
            entries.append((amount, (match.group(2) or "").strip()))
    return entries


def price_list(text: str) -> list[tuple[str, Decimal]] | None:
    """`- **label:** $price` lines as (label, price) pairs; None unless every line is one."""
    lines = [line for line in text.splitlines() if line.strip()]
    pairs = []
    for line in lines:
        match = _LIST_LINE.match(line)
        if match is None:
            return None
        amount = parse_price(match.group("amount"))
        if amount is None:
            return None
        pairs.append((match.group("label").strip(), amount))
    return pairs or None
