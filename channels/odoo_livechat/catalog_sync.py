"""Odoo as the catalog's source: `product.product` imported through the catalog's own upsert.

Each sellable product (`sale_ok`) becomes a product of the agent's catalog by SKU: the internal
reference (`default_code`), or `ODOO-<id>` for a product without one. Name, sale price
(`list_price`; 0 means price on request), on-hand quantity (`qty_available`, when the stock app
is installed), category (`categ_id`, its last level) and sales description are Odoo's; the
shop's own synonyms, family and attributes in the agent are kept. An archived product is
deactivated. Products that exist only in the agent are left alone.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.import_types import ProductData
from agent.catalog.importer import ImportReport, upsert_products
from agent.db import transaction
from channels.odoo_livechat.client import OdooClient

log = logging.getLogger(__name__)

MODEL = "product.product"
WANTED = ("name", "default_code", "list_price", "qty_available", "categ_id", "description_sale")
ALWAYS = ("active",)
PAGE = 500
SKU_PREFIX = "ODOO-"
"""The SKU of an Odoo product without an internal reference: `ODOO-<product.product id>`."""
KEEP = frozenset({"synonyms", "family", "attributes"})
"""What a sync never overwrites: the shop curates it in the agent."""
DEFAULT_CATEGORY = "General"


def odoo_sku(record: dict[str, Any]) -> str:
    """The agent's SKU for an Odoo product."""
    code = record.get("default_code")
    return code.strip() if isinstance(code, str) and code.strip() else f"{SKU_PREFIX}{record['id']}"


def to_product(record: dict[str, Any], *, currency: str) -> ProductData:
    """One `product.product` as the catalog's product."""
    price = _decimal(record.get("list_price"))
    stock = record.get("qty_available")
    category = record.get("categ_id")
    category_name = category[1] if isinstance(category, list | tuple) and len(category) > 1 else ""
    description = record.get("description_sale")
    return ProductData(
        sku=odoo_sku(record),
        name=str(record.get("name") or odoo_sku(record)).strip(),
        category=str(category_name).split(" / ")[-1].strip() or DEFAULT_CATEGORY,
        description=description.strip() if isinstance(description, str) else "",
        price=price if price else None,
        currency=currency,
        stock=max(0, int(stock)) if isinstance(stock, int | float) else None,
        active=bool(record.get("active", True)),
    )


async def fetch_products(client: OdooClient) -> list[dict[str, Any]]:
    """Every sellable product, archived ones included, page by page."""
    known = await client.call(MODEL, "fields_get", attributes=["type"])
    fields = [name for name in WANTED if name in known] + list(ALWAYS)
    if "qty_available" not in known:
        log.info("Odoo has no stock app: the sync leaves the agent's stock counts alone")
    records: list[dict[str, Any]] = []
    while True:
        page = await client.call(
            MODEL,
            "search_read",
            domain=[["sale_ok", "=", True]],
            fields=fields,
            offset=len(records),
            limit=PAGE,
            order="id",
            context={"active_test": False},
        )
        records.extend(page)
        if len(page) < PAGE:
            return records


async def sync_products(
    client: OdooClient, sessions: async_sessionmaker[AsyncSession], *, currency: str
) -> ImportReport:
    """Import Odoo's products into the catalog in one transaction; what changed."""
    records = await fetch_products(client)
    report = ImportReport(format="odoo", rows=len(records))
    products = [(number, to_product(r, currency=currency)) for number, r in enumerate(records, 1)]
    async with transaction(sessions) as session:
        await upsert_products(session, products, report, keep=KEEP)
    log.info("Odoo product sync: %s", report)
    return report


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
