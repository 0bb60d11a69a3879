"""Price bounds and order over real product prices."""

from __future__ import annotations

from decimal import Decimal

from agent.catalog.by_price import by_price, nearest_outside, within
from agent.models import Product


def _product(sku: str, price: int | None) -> Product:
    return Product(
        sku=sku, name=sku, category="Guantes", price=None if price is None else Decimal(price)
    )


PRODUCTS = [
    _product("B", 14_000),
    _product("A", 7_500),
    _product("QUOTE", None),
    _product("C", 38_000),
    _product("A2", 7_500),
]


def _skus(products: list[Product]) -> list[str]:
    return [p.sku for p in products]


def test_within_keeps_the_priced_products_inside_the_bounds_inclusive() -> None:
    assert _skus(within(PRODUCTS, 7_500, 14_000)) == ["B", "A", "A2"]
    assert _skus(within(PRODUCTS, None, 10_000)) == ["A", "A2"]
    assert _skus(within(PRODUCTS, 20_000, None)) == ["C"]
    assert within(PRODUCTS, 1_000, 2_000) == []


def test_by_price_sorts_either_way_and_ties_keep_their_order() -> None:
    assert _skus(by_price(PRODUCTS)) == ["A", "A2", "B", "C"]
    assert _skus(by_price(PRODUCTS, dearest_first=True)) == ["C", "B", "A", "A2"]


def test_nearest_outside_puts_the_closest_price_to_the_range_first() -> None:
    assert _skus(nearest_outside(PRODUCTS, None, 10_000)) == ["B", "C"]
    assert _skus(nearest_outside(PRODUCTS, 20_000, 30_000)) == ["B", "C", "A", "A2"]
