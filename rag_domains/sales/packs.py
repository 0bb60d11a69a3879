"""A pack ("caja x 100") or the single item: the unit the customer counted in decides."""

from __future__ import annotations

from agent.models import Product
from agent.nlu.tokens import fold
from agent.nlu.vocabulary import PACK_UNITS


def _is_pack(product: Product) -> bool:
    return bool(PACK_UNITS & set(fold(product.name).split()))


def by_unit_said(products: list[Product], said: str) -> list[Product]:
    """Of products that fit a request equally, the packs when the customer counted packs ("2
    cajas de guantes de nitrilo"), else the single items ("10 pares de guantes de nitrilo")."""
    packs = [p for p in products if _is_pack(p)]
    if not packs or len(packs) == len(products):
        return products
    if PACK_UNITS & set(fold(said).split()):
        return packs
    return [p for p in products if p not in packs]
