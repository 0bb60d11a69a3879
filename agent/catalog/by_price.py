"""Price bounds and order over real prices: the code, never a model, says what costs what."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from agent.models import Product


def within(products: Sequence[Product], low: int | None, high: int | None) -> list[Product]:
    """The priced products whose price is within [low, high] (a bound of None is open)."""
    return [
        p
        for p in products
        if p.price is not None
        and (low is None or p.price >= Decimal(low))
        and (high is None or p.price <= Decimal(high))
    ]


def by_price(products: Sequence[Product], *, dearest_first: bool = False) -> list[Product]:
    """The priced products sorted by price; ties keep the order they came in (relevance)."""
    priced = [p for p in products if p.price is not None]
    return sorted(priced, key=lambda p: p.price or Decimal(0), reverse=dearest_first)


def nearest_outside(
    products: Sequence[Product], low: int | None, high: int | None
) -> list[Product]:
    """The priced products outside [low, high], the closest price to the range first."""

    def distance(product: Product) -> Decimal:
        price = product.price or Decimal(0)
        if high is not None and price > high:
            return price - high
        return Decimal(low or 0) - price

    outside = [p for p in products if p.price is not None and p not in within([p], low, high)]
    return sorted(outside, key=distance)
