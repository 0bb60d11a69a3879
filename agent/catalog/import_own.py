"""The product's own catalog format: one product per row, the columns of the products table.

`sku,name,category,description,price,currency,stock,synonyms,family,attributes,active`;
only `name` and `category` are required. Spanish headers (nombre, categoría, precio...)
are accepted too, since shops export their spreadsheets as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from agent.catalog.import_prices import parse_price
from agent.catalog.import_types import MAX_LENGTHS, ProductData, RowError, RowResult
from agent.errors import InvalidInputError
from agent.text import normalize, strip_accents

COLUMNS = (
    "sku",
    "name",
    "category",
    "description",
    "price",
    "currency",
    "stock",
    "synonyms",
    "family",
    "attributes",
    "active",
)
REQUIRED = ("name", "category")
ALIASES = {
    "referencia": "sku",
    "codigo": "sku",
    "nombre": "name",
    "producto": "name",
    "categoria": "category",
    "descripcion": "description",
    "precio": "price",
    "moneda": "currency",
    "existencias": "stock",
    "inventario": "stock",
    "cantidad": "stock",
    "sinonimos": "synonyms",
    "familia": "family",
    "atributos": "attributes",
    "activo": "active",
}

T = TypeVar("T")

_TRUE = frozenset({"", "1", "true", "t", "yes", "y", "si", "sí", "x", "activo"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "inactivo"})
_GROUPED_INT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+")
_SKU_JUNK = re.compile(r"[^A-Z0-9]+")


def column_name(header: str) -> str:
    """The canonical column a header cell stands for (`Categoría` → `category`)."""
    key = normalize(header).replace(" ", "_")
    return ALIASES.get(key, key)


def sku_from_name(name: str) -> str:
    """A readable SKU made from a name: `Guante de nitrilo T9` → `GUANTE-DE-NITRILO-T9`."""
    slug = _SKU_JUNK.sub("-", strip_accents(name).upper().replace("Ñ", "N")).strip("-")
    return slug[: MAX_LENGTHS["sku"]].rstrip("-")


class OwnFormatRows:
    """Converts rows of the product's own format."""

    def __call__(self, line: int, row: dict[str, str]) -> RowResult:
        """One product, or every problem the row has (so a user fixes them in one go)."""
        cell = {column: (row.get(column) or "").strip() for column in COLUMNS}
        errors: list[RowError] = []

        def fail(field: str, message: str) -> None:
            errors.append(RowError(line, field, message))

        def parsed(parse: Callable[[str], T], column: str) -> T | None:
            try:
                return parse(cell[column])
            except InvalidInputError as err:
                fail(column, str(err))
                return None

        for column in REQUIRED:
            if not cell[column]:
                fail(column, f"the {column} is missing")
        price = parsed(parse_price, "price")
        stock = parsed(_parse_stock, "stock")
        attributes = parsed(_parse_attributes, "attributes")
        active = parsed(_parse_active, "active")
        currency = cell["currency"].upper() or "COP"
        if not re.fullmatch(r"[A-Z]{3}", currency):
            fail("currency", f"{cell['currency']!r} is not a three-letter currency code")
        sku = cell["sku"] or sku_from_name(cell["name"])
        if cell["name"] and not sku:
            fail("sku", "no sku given and none can be made from the name")
        if errors:
            return RowResult(line, errors=tuple(errors))
        product = ProductData(
            sku=sku,
            name=_one_line(cell["name"]),
            category=_one_line(cell["category"]),
            description=cell["description"],
            family=_one_line(cell["family"]) or None,
            price=price,
            currency=currency,
            stock=stock,
            synonyms=_parse_synonyms(cell["synonyms"]),
            attributes=attributes or {},
            active=bool(active),
        )
        return RowResult(line, products=(product,))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _parse_stock(text: str) -> int | None:
    """Units on hand; empty means "not given" (new products start at 0, others keep theirs)."""
    if not text:
        return None
    digits = text.replace(".", "") if _GROUPED_INT.fullmatch(text) else text
    try:
        value = Decimal(digits)
    except ArithmeticError as err:
        raise InvalidInputError(f"{text!r} is not a number of units") from err
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidInputError(f"{text!r} is not a whole number of units")
    if value < 0:
        raise InvalidInputError("the stock cannot be negative")
    return int(value)


def _parse_attributes(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInputError(f"not valid JSON ({err.msg})") from err
    if not isinstance(value, dict):
        raise InvalidInputError('must be a JSON object, e.g. {"capacity": "10 lb"}')
    return value


def _parse_active(text: str) -> bool:
    value = text.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInputError(f"{text!r} is not yes/no")


def _parse_synonyms(text: str) -> list[str]:
    """`a | b|a` → `["a", "b"]`: trimmed, empty and repeated ones dropped."""
    seen: dict[str, str] = {}
    for synonym in text.split("|"):
        cleaned = _one_line(synonym)
        if cleaned and normalize(cleaned) not in seen:
            seen[normalize(cleaned)] = cleaned
    return list(seen.values())
