"""Another colour or size of a product in the cart: "4 cascos azules" then "ay no, mejor
blancos" swaps the line for the white helmet, same quantity."""

from __future__ import annotations

from agent.catalog.search import ProductIndex
from agent.models import Product
from agent.nlu.ellipsis import in_other_variant
from agent.nlu.tokens import fold, scan


def _words(text: str) -> list[str]:
    return [token.text for token in scan(fold(text)) if token.is_word]


def other_variant(
    index: ProductIndex, product: Product, text: str, kind: list[Product]
) -> Product | None:
    """The product of `kind` (the products named like `product`) that the message's colour
    or size makes of `product`, when that is another one; None otherwise. Of several that
    fit, the one whose name shares the most words with the name asked for."""
    wanted = in_other_variant(product.name, _words(text))
    if wanted is None:
        return None
    fitting = set(index.narrow(wanted, [p.id for p in kind]))
    asked = set(wanted.split())
    shared = {p.id: len(asked & set(_words(p.name))) for p in kind if p.id in fitting}
    best = [pid for pid, count in shared.items() if count == max(shared.values(), default=0)]
    if len(best) != 1 or best[0] == product.id:
        return None
    return next(p for p in kind if p.id == best[0])
