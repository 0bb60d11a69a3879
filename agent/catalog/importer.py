"""Catalog import: a CSV file into the products table, upserted by SKU, in bounded batches.

Two formats, told apart by the header: the product's own (`sku,name,category,...`, see
`import_own`) and the Extintores del Risaralda catalog the demo shop ships (`import_risaralda`).
A row that cannot be used is reported with its line and column and the rest still import.
Re-importing a file updates products in place; a product not in the file is left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from agent.catalog import import_own, import_risaralda
from agent.catalog.import_csv import Record, inspect_csv, read_batches
from agent.catalog.import_types import (
    MAX_LENGTHS,
    ProductData,
    RowConverter,
    RowError,
    RowResult,
    SkippedRow,
)
from agent.errors import InvalidInputError
from agent.models import Product

__all__ = [
    "BATCH_SIZE",
    "ImportReport",
    "RowError",
    "SkippedRow",
    "import_products",
    "upsert_products",
]

BATCH_SIZE = 500
"""Rows read, converted and written per transaction."""

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class ImportReport:
    """What an import did, product by product and row by row.

    `rows` counts the file's data rows; `created`, `updated` and `unchanged` count products;
    `variants` counts the products split out of rows that offer several (sizes, options,
    recharge services); `skipped` rows were left out on purpose (duplicates).
    """

    format: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    variants: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Products the file now stands for in the catalog (created, updated or unchanged)."""
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        """One line for a log or a terminal."""
        return (
            f"{self.rows} rows ({self.format} format): {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.variants} from variants, "
            f"{len(self.skipped)} skipped, {len(self.errors)} errors"
        )


async def import_products(
    session: AsyncSession, path: Path, *, progress: Progress | None = None
) -> ImportReport:
    """Import a catalog CSV into the session's transaction, calling `progress(done, total)` rows.

    Rows are flushed batch by batch; the caller commits, so an import that fails half-way
    (a lost connection) leaves the catalog as it was.
    """
    layout = await asyncio.to_thread(inspect_csv, path)
    format_name, convert = _converter(layout.header, path)
    report = ImportReport(format=format_name, rows=layout.records)
    first_line_of: dict[str, int] = {}
    done = 0
    if progress:
        progress(0, layout.records)
    batches = read_batches(path, layout, BATCH_SIZE)
    try:
        while (results := await asyncio.to_thread(_convert_next, batches, convert)) is not None:
            products = []
            for result in results:
                report.errors.extend(result.errors)
                if result.skipped:
                    report.skipped.append(result.skipped)
                report.variants += result.variants
                for product in result.products:
                    error = _refusal(product, result.line, first_line_of)
                    if error:
                        report.errors.append(error)
                    else:
                        products.append(product)
            await _upsert(session, products, report)
            done += len(results)
            if progress:
                progress(done, layout.records)
    finally:
        batches.close()
    return report


async def upsert_products(
    session: AsyncSession,
    products: Sequence[tuple[int, ProductData]],
    report: ImportReport,
    *,
    keep: frozenset[str] = frozenset(),
) -> None:
    """Create or update products by SKU as a catalog import does, counting into `report`.

    Each product comes with the line (or record number) its errors are reported under; a
    product whose values do not fit, or whose SKU came earlier, is refused like a file row.
    The `keep` columns of an existing product are left as they are (a shop's own synonyms).
    """
    first_line_of: dict[str, int] = {}
    accepted = []
    for line, product in products:
        error = _refusal(product, line, first_line_of)
        if error:
            report.errors.append(error)
        else:
            accepted.append(product)
    for start in range(0, len(accepted), BATCH_SIZE):
        await _upsert(session, accepted[start : start + BATCH_SIZE], report, keep)


def _converter(header: tuple[str, ...], path: Path) -> tuple[str, RowConverter]:
    columns = set(header)
    if columns >= import_risaralda.SIGNATURE:
        return "risaralda", import_risaralda.RisaraldaRows()
    missing = [column for column in import_own.REQUIRED if column not in columns]
    if missing:
        raise InvalidInputError(
            f"{path.name} is not a catalog this import knows: its header lacks "
            f"{' and '.join(missing)} (expected {','.join(import_own.COLUMNS)})"
        )
    return "products", import_own.OwnFormatRows()


def _refusal(product: ProductData, line: int, first_line_of: dict[str, int]) -> RowError | None:
    """Why a converted product cannot be written: a value too long, or a SKU seen before."""
    column = product.too_long()
    if column:
        limit = MAX_LENGTHS[column]
        return RowError(line, column, f"longer than {limit} characters")
    first = first_line_of.setdefault(product.sku, line)
    if first != line:
        return RowError(line, "sku", f"the sku {product.sku} is already used at line {first}")
    return None


def _convert_next(batches: Iterator[list[Record]], convert: RowConverter) -> list[RowResult] | None:
    """The next batch of rows, converted (runs in a worker thread: file reads and parsing)."""
    batch = next(batches, None)
    return None if batch is None else [convert(line, row) for line, row in batch]


async def _upsert(
    session: AsyncSession,
    products: list[ProductData],
    report: ImportReport,
    keep: frozenset[str] = frozenset(),
) -> None:
    """Insert new SKUs, update changed ones (but the `keep` columns), count the rest, flush."""
    if not products:
        return
    found = await session.scalars(
        select(Product).where(Product.sku.in_([product.sku for product in products]))
    )
    existing = {row.sku: row for row in found}
    for data in products:
        row = existing.get(data.sku)
        if row is None:
            session.add(Product(sku=data.sku, stock=data.stock or 0, **data.catalog_values()))
            report.created += 1
            continue
        changes = {
            k: v for k, v in data.catalog_values().items() if k not in keep and getattr(row, k) != v
        }
        stock_changed = data.stock is not None and data.stock != row.stock
        if changes:
            for key, value in changes.items():
                setattr(row, key, value)
            if stock_changed:
                row.stock = data.stock or 0
            report.updated += 1
        elif stock_changed:
            # A stock count is not a catalog edit: `updated_at` (which tells the search index
            # to rebuild) stays as it is, as it does when a sale takes stock.
            await session.execute(
                update(Product)
                .where(Product.id == row.id)
                .values(stock=data.stock, updated_at=Product.updated_at)
                .execution_options(synchronize_session=False)
            )
            set_committed_value(row, "stock", data.stock)
            report.updated += 1
        else:
            report.unchanged += 1
    await session.flush()
