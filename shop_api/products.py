"""Products over the API: list and search, create, change, deactivate, and adjust stock."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.search import ProductIndex
from agent.errors import ConflictError, NotFoundError
from agent.models import Product
from shop_api.schemas import MAX_STOCK, ProductCreate, ProductUpdate

log = logging.getLogger(__name__)

SEARCH_HITS = 500
"""The most products a text search (`q`) ranks before the other filters apply."""


async def list_products(
    session: AsyncSession,
    *,
    index: ProductIndex,
    limit: int,
    offset: int,
    q: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    in_stock: bool | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
) -> tuple[Sequence[Product], int]:
    """A page of the products matching every filter, and how many match in all.

    Without `q` they come in the order they were created; with `q`, best match first
    (the search covers active products only).
    """
    conditions: list[ColumnElement[bool]] = []
    if category is not None:
        conditions.append(func.lower(Product.category) == category.strip().lower())
    if active is not None:
        conditions.append(Product.active.is_(active))
    if in_stock is not None:
        conditions.append(Product.stock > 0 if in_stock else Product.stock <= 0)
    if min_price is not None:
        conditions.append(Product.price >= min_price)
    if max_price is not None:
        conditions.append(Product.price <= max_price)
    if q is not None and q.strip():
        await index.ensure_fresh(session)
        ranked = [hit.product_id for hit in index.search(q, limit=SEARCH_HITS)]
        if not ranked:
            return [], 0
        rows = await session.execute(select(Product).where(Product.id.in_(ranked), *conditions))
        by_id = {product.id: product for product in rows.scalars()}
        matches = [by_id[i] for i in ranked if i in by_id]
        return matches[offset : offset + limit], len(matches)
    total = await session.scalar(select(func.count()).select_from(Product).where(*conditions))
    page = await session.execute(
        select(Product).where(*conditions).order_by(Product.id).limit(limit).offset(offset)
    )
    return page.scalars().all(), int(total or 0)


async def get_product(session: AsyncSession, *, sku: str) -> Product:
    """The product with this sku (active or not), or NotFoundError."""
    product = await session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFoundError(f"no product has the sku {sku!r}")
    return product


async def create_product(session: AsyncSession, *, data: ProductCreate) -> Product:
    """Add a product; ConflictError when the sku is taken."""
    if await session.scalar(select(Product.id).where(Product.sku == data.sku)) is not None:
        raise ConflictError(f"a product with the sku {data.sku!r} already exists")
    product = Product(**data.model_dump())
    session.add(product)
    try:
        await session.commit()
    except IntegrityError as err:  # another request created the same sku meanwhile
        await session.rollback()
        raise ConflictError(f"a product with the sku {data.sku!r} already exists") from err
    return product


async def update_product(session: AsyncSession, *, sku: str, data: ProductUpdate) -> Product:
    """Change the fields given (an explicit null clears `family` or `price`)."""
    product = await get_product(session, sku=sku)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "category", "description", "currency", "synonyms", "attributes"):
        if field in changes and changes[field] is None:
            del changes[field]  # these columns cannot be empty; null means "leave it"
    if changes.get("active") is None:
        changes.pop("active", None)
    for field, value in changes.items():
        setattr(product, field, value)
    await session.commit()
    return product


async def deactivate_product(session: AsyncSession, *, sku: str) -> Product:
    """Hide a product from customers (it stays in past orders and can be reactivated)."""
    product = await get_product(session, sku=sku)
    if product.active:
        product.active = False
        await session.commit()
    return product


async def adjust_stock(session: AsyncSession, *, sku: str, delta: int, reason: str) -> int:
    """Add `delta` units (negative takes them) in one conditional UPDATE; the new stock.

    The WHERE clause is the guarantee, as for a sale: concurrent adjustments serialise on the
    row and one that would leave the stock below zero changes nothing (ConflictError).
    `updated_at` is kept: it marks catalog changes, which stock is not.
    """
    new_stock = await session.scalar(
        update(Product)
        .where(
            Product.sku == sku,
            Product.stock + delta >= 0,
            Product.stock + delta <= MAX_STOCK,
        )
        .values(stock=Product.stock + delta, updated_at=Product.updated_at)
        .returning(Product.stock)
        .execution_options(synchronize_session=False)
    )
    if new_stock is None:
        available = await session.scalar(select(Product.stock).where(Product.sku == sku))
        await session.rollback()
        if available is None:
            raise NotFoundError(f"no product has the sku {sku!r}")
        details = {"sku": sku, "available": int(available)}
        if delta > 0:
            raise ConflictError(
                f"the stock of {sku} would exceed {MAX_STOCK} units (it has {available})",
                details=details,
            )
        raise ConflictError(
            f"the stock of {sku} cannot go below zero: it has {available} units, "
            f"{-delta} were to be taken",
            details=details,
        )
    await session.commit()
    log.info("stock of %s changed by %+d to %d: %s", sku, delta, new_stock, reason)
    return int(new_stock)
