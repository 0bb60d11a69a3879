"""What to offer instead of a sold-out product, the way a shop assistant would."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.search import ProductIndex, load_products
from agent.models import Product

_MEASURES = ("size", "capacity", "length", "volume")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def measure(product: Product) -> float | None:
    """The product's size or capacity as a number (talla 43 → 43, 10 lb → 10), if it has one."""
    for key in _MEASURES:
        found = _NUMBER.search(str(product.attributes.get(key) or ""))
        if found:
            return float(found.group().replace(",", "."))
    return None


async def alternatives(
    session: AsyncSession,
    index: ProductIndex,
    product: Product,
    *,
    limit: int = 3,
    exclude: Collection[int] = (),
) -> list[Product]:
    """In-stock, priced products that can replace `product`: its own family first, nearest
    size or capacity first within it (boots 44 → 43), then the most similar of its category."""
    hits = index.search(
        product.name, limit=30, category=product.category, exclude={product.id, *exclude}
    )
    loaded = await load_products(session, [hit.product_id for hit in hits])
    candidates = [p for p in loaded if p.stock > 0 and p.price is not None]
    wanted = measure(product)

    def closeness(ranked: tuple[int, Product]) -> tuple[bool, float, int]:
        rank, candidate = ranked
        same_family = product.family is not None and candidate.family == product.family
        size = measure(candidate)
        distance = abs(size - wanted) if same_family and size is not None and wanted else 0.0
        return not same_family, distance, rank

    return [p for _, p in sorted(enumerate(candidates), key=closeness)][:limit]
