"""What a catalog row becomes before it reaches the database: products, or why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

MAX_LENGTHS = {"sku": 64, "name": 200, "category": 100, "family": 200}
"""Widths of the products table's text columns (PostgreSQL refuses longer values)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be imported: its line in the file, the column at fault, why."""

    row: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.row}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row left out on purpose (a duplicate), with the reason."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.row}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ProductData:
    """One product as a file describes it; `stock` None leaves the stored stock alone."""

    sku: str
    name: str
    category: str
    description: str = ""
    family: str | None = None
    price: Decimal | None = None
    currency: str = "COP"
    stock: int | None = None
    synonyms: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    active: bool = True

    def too_long(self) -> str | None:
        """The first column whose value does not fit the products table, if any."""
        for column, limit in MAX_LENGTHS.items():
            if len(getattr(self, column) or "") > limit:
                return column
        return None

    def catalog_values(self) -> dict[str, Any]:
        """The columns a re-import overwrites (everything but the stock)."""
        return {
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "family": self.family,
            "price": self.price,
            "currency": self.currency,
            "synonyms": self.synonyms,
            "attributes": self.attributes,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class RowResult:
    """The products one row yields (several when it lists variants), or its errors or skip."""

    line: int
    products: tuple[ProductData, ...] = ()
    errors: tuple[RowError, ...] = ()
    skipped: SkippedRow | None = None
    variants: int = 0


class RowConverter(Protocol):
    """Turns one CSV record (header → cell) into products; keeps state across rows."""

    def __call__(self, line: int, row: dict[str, str]) -> RowResult: ...
