"""Odoo as the catalog's source: `product.product` imported through the catalog's own upsert.

Each sellable variant (`product.product` with `sale_ok`) becomes a product of the agent's catalog
by SKU: the internal reference (`default_code`), or `ODOO-<id>` for a variant without one or
sharing it with another. Name with the variant's attribute values ("Customizable Desk (Steel,
White)": `display_name` without the reference, in the company's language), the variant's sale
price (`lst_price`: the template's price plus the values' extra; 0 means price on request) in
the company's currency, on-hand quantity of the variant (`qty_available`, when the stock app is
installed), category (`categ_id`, its last level) and sales description are Odoo's; the shop's
own synonyms, family and attributes in the agent are kept. An archived product is deactivated.
Products that exist only in the agent are left alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.import_types import ProductData
from agent.catalog.importer import ImportReport, upsert_products
from agent.db import transaction
from channels.odoo_livechat.client import OdooClient
from channels.odoo_livechat.shop_facts import read_shop

log = logging.getLogger(__name__)

MODEL = "product.product"
WANTED = (
    "display_name",
    "name",
    "default_code",
    "lst_price",
    "list_price",
    "qty_available",
    "categ_id",
    "description_sale",
)
ALWAYS = ("active",)
PAGE = 500
SKU_PREFIX = "ODOO-"
"""The SKU of an Odoo product without an internal reference: `ODOO-<product.product id>`."""
KEEP = frozenset({"synonyms", "family", "attributes"})
"""What a sync never overwrites: the shop curates it in the agent."""
DEFAULT_CATEGORY = "General"


def odoo_sku(record: dict[str, Any], shared: Collection[str] = ()) -> str:
    """The agent's SKU for an Odoo variant: its reference, unless none or `shared` by others."""
    code = record.get("default_code")
    if isinstance(code, str) and code.strip() and code.strip() not in shared:
        return code.strip()
    return f"{SKU_PREFIX}{record['id']}"


def to_product(
    record: dict[str, Any], *, currency: str, shared: Collection[str] = ()
) -> ProductData:
    """One `product.product` (a variant) as the catalog's product."""
    price = _decimal(record.get("lst_price", record.get("list_price")))
    stock = record.get("qty_available")
    category = record.get("categ_id")
    category_name = category[1] if isinstance(category, list | tuple) and len(category) > 1 else ""
    description = record.get("description_sale")
    sku = odoo_sku(record, shared)
    name = record.get("display_name") or record.get("name")
    return ProductData(
        sku=sku,
        name=str(name or sku).strip(),
        category=str(category_name).split(" / ")[-1].strip() or DEFAULT_CATEGORY,
        description=description.strip() if isinstance(description, str) else "",
        price=price if price else None,
        currency=currency,
        stock=max(0, int(stock)) if isinstance(stock, int | float) else None,
        active=bool(record.get("active", True)),
    )


async def fetch_products(client: OdooClient, *, lang: str) -> list[dict[str, Any]]:
    """Every sellable variant, archived ones included, page by page, named in `lang`."""
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
            context={"active_test": False, "display_default_code": False, "lang": lang},
        )
        records.extend(page)
        if len(page) < PAGE:
            return records


async def sync_products(
    client: OdooClient, sessions: async_sessionmaker[AsyncSession]
) -> ImportReport:
    """Import Odoo's products into the catalog in one transaction; what changed."""
    shop = await read_shop(client)
    records = await fetch_products(client, lang=shop.lang)
    report = ImportReport(format="odoo", rows=len(records))
    shared = _shared_codes(records)
    products = [
        (number, to_product(r, currency=shop.currency, shared=shared))
        for number, r in enumerate(records, 1)
    ]
    async with transaction(sessions) as session:
        await upsert_products(session, products, report, keep=KEEP)
    log.info("Odoo product sync: %s", report)
    return report


def _shared_codes(records: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Internal references more than one variant has: none of them can be a SKU."""
    codes = Counter(
        code.strip()
        for record in records
        if isinstance(code := record.get("default_code"), str) and code.strip()
    )
    return frozenset(code for code, times in codes.items() if times > 1)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
