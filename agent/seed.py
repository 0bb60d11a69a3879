"""The demo shop: its catalog, stock levels, customers and their order history.

Everything goes through the same catalog import a shop uses for its own file. Seeding is
idempotent: products are upserted by SKU, customers found by cédula and past orders by
customer and date, so a second run writes nothing (it restores the demo's stock levels if
they were changed). Past orders are history: delivered, with no sale or conversation, and
they do not take stock.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from functools import partial
from pathlib import Path

import yaml
from pydantic import AwareDatetime, BaseModel, Field, ValidationError
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.importer import ImportReport, import_products
from agent.db import transaction
from agent.errors import InvalidInputError
from agent.i18n import count
from agent.models import Customer, Order, OrderLine, Product
from agent.settings import DEMO_SHOP_DIR

CATALOG_FILES = (
    DEMO_SHOP_DIR / "catalog_extintores_risaralda.csv",
    DEMO_SHOP_DIR / "products.csv",
)
STOCK_FILE = DEMO_SHOP_DIR / "risaralda_stock.csv"
CUSTOMERS_FILE = DEMO_SHOP_DIR / "customers.yaml"
HISTORY_STATUS = "delivered"

# Any constant works; it only has to be the same in every process seeding one database.
_SEED_LOCK_KEY = 7_213_446_001

SeedProgress = Callable[[str, int, int], None]
"""Called with (step, done, total): a catalog file's rows, then the customers."""


@dataclass(slots=True)
class SeedReport:
    """What seeding did: products imported (of which variants), customers and orders added."""

    products: int = 0
    variants: int = 0
    customers: int = 0
    orders: int = 0
    errors: list[str] = field(default_factory=list)
    imports: list[ImportReport] = field(default_factory=list)

    def __str__(self) -> str:
        """One line for a log or a terminal: what was new, what was already there."""
        created = sum(result.created for result in self.imports)
        updated = sum(result.updated for result in self.imports)
        unchanged = sum(result.unchanged for result in self.imports)
        return (
            f"demo shop: {count(self.products, 'product', 'products')} ({created} new, "
            f"{updated} updated, {unchanged} unchanged; {self.variants} from variants), "
            f"{count(self.customers, 'customer', 'customers')} and "
            f"{count(self.orders, 'past order', 'past orders')} added, "
            f"{count(len(self.errors), 'error', 'errors')}"
        )


class _Line(BaseModel):
    sku: str
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class _Order(BaseModel):
    date: AwareDatetime
    channel: str = "whatsapp"
    shipping_address: str | None = None
    shipping_city: str | None = None
    lines: list[_Line] = Field(min_length=1)


class _Customer(BaseModel):
    national_id: str
    name: str
    phone: str | None = None
    email: str | None = None
    city: str | None = None
    address: str | None = None
    orders: list[_Order] = []


class _DemoCustomers(BaseModel):
    customers: list[_Customer]


async def seed_demo(
    sessions: async_sessionmaker[AsyncSession], *, progress: SeedProgress | None = None
) -> SeedReport:
    """Load the demo shop's catalog, stock, customers and past orders (idempotent)."""
    report = SeedReport()
    for path in CATALOG_FILES:
        on_rows = partial(progress, path.name) if progress else None
        async with transaction(sessions) as session:
            result = await import_products(session, path, progress=on_rows)
        report.imports.append(result)
        report.products += result.imported
        report.variants += result.variants
        report.errors.extend(f"{path.name} {error}" for error in result.errors)
    stock = await asyncio.to_thread(_read_stock, STOCK_FILE)
    async with transaction(sessions) as session:
        report.errors.extend(await _apply_stock(session, stock))
    demo = await asyncio.to_thread(_read_customers, CUSTOMERS_FILE)
    async with transaction(sessions) as session:
        await _add_customers(session, demo.customers, report, progress)
    return report


async def seed_demo_if_empty(sessions: async_sessionmaker[AsyncSession]) -> SeedReport | None:
    """Seed the demo shop when the catalog has no products at all (first start); else None."""
    async with _seed_lock(sessions):
        async with sessions() as session:
            has_products = await session.scalar(select(Product.id).limit(1)) is not None
        if has_products:
            return None
        return await seed_demo(sessions)


@asynccontextmanager
async def _seed_lock(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """On PostgreSQL, processes starting together take turns, so only the first one seeds."""
    async with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            yield
            return
        connection = await session.connection()
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SEED_LOCK_KEY})
        try:
            yield
        finally:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": _SEED_LOCK_KEY}
            )


def _read_stock(path: Path) -> dict[str, int]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["sku"].strip(): int(row["stock"]) for row in csv.DictReader(handle)}


async def _apply_stock(session: AsyncSession, stock: dict[str, int]) -> list[str]:
    """Set the demo's stock levels; `updated_at` stays, since stock is not a catalog edit."""
    found = await session.execute(
        select(Product.sku, Product.stock).where(Product.sku.in_(list(stock)))
    )
    current = {sku: units for sku, units in found}
    errors = [
        f"{STOCK_FILE.name}: no product with sku {sku}" for sku in stock if sku not in current
    ]
    for sku, units in stock.items():
        if sku in current and current[sku] != units:
            await session.execute(
                update(Product)
                .where(Product.sku == sku)
                .values(stock=units, updated_at=Product.updated_at)
                .execution_options(synchronize_session=False)
            )
    return errors


def _read_customers(path: Path) -> _DemoCustomers:
    try:
        return _DemoCustomers.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as err:
        raise InvalidInputError(f"{path.name} is not valid: {err}") from err


async def _add_customers(
    session: AsyncSession,
    customers: list[_Customer],
    report: SeedReport,
    progress: SeedProgress | None,
) -> None:
    """Add the customers and past orders that are not there yet."""
    ids = [customer.national_id for customer in customers]
    existing = {
        row.national_id: row
        for row in await session.scalars(select(Customer).where(Customer.national_id.in_(ids)))
    }
    skus = {line.sku for customer in customers for order in customer.orders for line in order.lines}
    products = {
        row.sku: row for row in await session.scalars(select(Product).where(Product.sku.in_(skus)))
    }
    for done, data in enumerate(customers, start=1):
        customer = existing.get(data.national_id)
        if customer is None:
            first_order = min((order.date for order in data.orders), default=None)
            customer = Customer(
                national_id=data.national_id,
                name=data.name,
                phone=data.phone,
                email=data.email,
                city=data.city,
                address=data.address,
                **({"created_at": first_order.astimezone(UTC)} if first_order else {}),
            )
            session.add(customer)
            await session.flush()
            report.customers += 1
        for order in data.orders:
            if await _add_order(session, customer, order, products, report):
                report.orders += 1
        if progress:
            progress("customers", done, len(customers))


async def _add_order(
    session: AsyncSession,
    customer: Customer,
    data: _Order,
    products: dict[str, Product],
    report: SeedReport,
) -> bool:
    """Write one past order unless it is there already; False when skipped."""
    created_at = data.date.astimezone(UTC)
    already = await session.scalar(
        select(Order.id).where(Order.customer_id == customer.id, Order.created_at == created_at)
    )
    if already is not None:
        return False
    missing = [line.sku for line in data.lines if line.sku not in products]
    if missing:
        report.errors.append(
            f"{CUSTOMERS_FILE.name}: order of {customer.national_id} on {data.date:%Y-%m-%d} "
            f"names unknown skus {', '.join(missing)}"
        )
        return False
    lines = [
        OrderLine(
            product_id=products[line.sku].id,
            sku=line.sku,
            name=products[line.sku].name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.unit_price * line.quantity,
        )
        for line in data.lines
    ]
    session.add(
        Order(
            sale_id=None,
            customer_id=customer.id,
            conversation_id=None,
            channel=data.channel,
            status=HISTORY_STATUS,
            total=sum((line.line_total for line in lines), Decimal(0)),
            currency="COP",
            shipping_address=data.shipping_address or customer.address,
            shipping_city=data.shipping_city or customer.city,
            created_at=created_at,
            lines=lines,
        )
    )
    await session.flush()
    return True
