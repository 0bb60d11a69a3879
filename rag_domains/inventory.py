"""Answers product questions (what we have, price, stock, categories) from the live catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.alternatives import alternatives
from agent.catalog.search import ProductIndex, load_products
from agent.domain import DomainResult, Offer, TurnContext
from agent.i18n import money, say
from agent.models import Product
from agent.text import normalize

CLEAR_WINNER = 1.25
"""A top hit scoring this many times the second one is the product the customer means."""

_ALTERNATIVES = 3
_OTHERS_AFTER_CLEAR = 2


@dataclass(slots=True)
class _Found:
    products: list[Product]
    clear: bool  # the first product is plainly the one asked about
    from_context: bool = False
    alternatives: list[Product] = field(default_factory=list)
    unavailable: Product | None = None  # the out-of-stock product the alternatives replace


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _fact(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "price": _amount(product.price),
        "currency": product.currency,
        "stock": product.stock,
    }


def _units(count: int, language: str) -> str:
    if language == "en":
        return f"{count} in stock"
    return f"{count} disponible" if count == 1 else f"{count} disponibles"


def _line(product: Product, language: str) -> str:
    price = money(product.price, product.currency, language)
    stock = (
        _units(product.stock, language)
        if product.stock > 0
        else say(language, es="agotado", en="out of stock")
    )
    return f"• *{product.name}* — {price} · {stock}"


def _buyable(product: Product) -> bool:
    """In stock and priced: the cart takes it (a price on request goes to an advisor)."""
    return product.stock > 0 and product.price is not None


def _named_in_full(product: Product, mentions: list[str]) -> bool:
    """Whether the customer's words are the product's whole name."""
    return normalize(product.name) in {normalize(m) for m in mentions}


def _products_word(count: int, language: str) -> str:
    if language == "en":
        return "1 product" if count == 1 else f"{count} products"
    return "1 producto" if count == 1 else f"{count} productos"


class InventoryHandler:
    """Answers `inventory.*`: product, price, stock, catalog and category questions."""

    name = "inventory"

    def __init__(self, index: ProductIndex, *, limit: int = 5) -> None:
        self._index = index
        self._limit = limit

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Find what the customer asks about and answer with live prices and stock."""
        await self._index.ensure_fresh(ctx.session)
        understanding = ctx.understanding
        mentions = [m.text for m in understanding.entities.products if m.text.strip()]
        named = understanding.entities.category
        category = self._index.match_category(named) if named else None
        if understanding.sub == "catalog" and not mentions:
            return self._catalog(ctx)
        if not mentions and category is None and understanding.sub == "category":
            category = self._index.match_category(ctx.text)
            if category is None:
                return self._catalog(ctx)
        if not mentions and category is not None:
            return await self._category(ctx, category)
        found = await self._search(ctx.session, mentions or [ctx.text])
        if not found.products and not mentions:
            found = await self._last_shown(ctx)
        if not found.products:
            return self._not_found(ctx, mentions)
        if found.clear:
            # Sold out: what replaces it is said as such, not as "we also have"; a product
            # named in full (a follow-up says "Cono PVC para Carretera 45 cm") stands alone.
            alone = found.products[0].stock <= 0 or _named_in_full(found.products[0], mentions)
            keep = 1 if alone else 1 + _OTHERS_AFTER_CLEAR
            found.products = found.products[:keep]
        await self._add_alternatives(ctx.session, found)
        return self._answer(ctx, found)

    async def _search(self, session: AsyncSession, queries: list[str]) -> _Found:
        """The products for each query, the best of each first when there are several."""
        per_query = self._limit if len(queries) == 1 else max(2, self._limit // len(queries))
        ids: list[int] = []
        clear = False
        for query in queries:
            hits = self._index.search(query, limit=per_query)
            if len(queries) == 1 and hits:
                clear = len(hits) == 1 or hits[0].score >= CLEAR_WINNER * hits[1].score
            ids.extend(h.product_id for h in hits if h.product_id not in ids)
        products = await load_products(session, ids[: self._limit])
        return _Found(products=products, clear=clear and len(products) > 0)

    async def _last_shown(self, ctx: TurnContext) -> _Found:
        """The products shown last ("¿y cuánto vale?"), as the engine remembers them: the one
        the last reply was about, if it was about one."""
        focus = ctx.conversation.context.get("focus_sku")
        shown = [str(s) for s in ctx.conversation.context.get("last_products", [])]
        skus = [str(focus)] if focus else shown[: self._limit]
        if not skus:
            return _Found(products=[], clear=False)
        rows = await ctx.session.execute(
            select(Product).where(Product.sku.in_(skus), Product.active.is_(True))
        )
        by_sku = {p.sku: p for p in rows.scalars()}
        products = [by_sku[s] for s in skus if s in by_sku]
        return _Found(products=products, clear=len(products) == 1, from_context=True)

    async def _add_alternatives(self, session: AsyncSession, found: _Found) -> None:
        """In-stock products of the same category for an out-of-stock one the customer sees."""
        first_out = next((p for p in found.products if p.stock <= 0), None)
        if first_out is None or (found.clear and first_out is not found.products[0]):
            return
        if any(p.stock > 0 and p.category == first_out.category for p in found.products):
            return  # the list already shows options of that kind that can be bought
        shown = {p.id for p in found.products}
        found.unavailable = first_out
        found.alternatives = await alternatives(
            session, self._index, first_out, limit=_ALTERNATIVES, exclude=shown
        )

    def _answer(self, ctx: TurnContext, found: _Found) -> DomainResult:
        lang = ctx.language
        sub = ctx.understanding.sub
        products = found.products
        parts: list[str] = []
        if found.clear:
            parts.append(self._about_one(ctx, products[0]))
            if products[1:]:
                parts.append(
                    say(lang, es="También tengo:", en="We also have:")
                    + "\n"
                    + "\n".join(_line(p, lang) for p in products[1:])
                )
        else:
            heading = {
                "price": say(lang, es="Estos son los precios:", en="Here are the prices:"),
                "stock": say(lang, es="Esta es la disponibilidad:", en="Here is what we have:"),
            }.get(sub or "", say(lang, es="Esto es lo que tengo:", en="Here is what I found:"))
            parts.append(heading + "\n" + "\n".join(_line(p, lang) for p in products))
        if found.unavailable is not None:
            parts.append(self._alternatives_text(lang, found))
        question, offer = self._call_to_action(ctx, found)
        parts.append(question)
        shown = [*products, *found.alternatives]
        facts: dict[str, Any] = {
            "products": [_fact(p) for p in products],
            "alternatives": [_fact(p) for p in found.alternatives],
            "from_context": found.from_context,
        }
        focus = products[0] if found.clear else None
        return DomainResult(
            reply="\n\n".join(parts), facts=facts, products=shown, offer=offer, focus=focus
        )

    def _about_one(self, ctx: TurnContext, product: Product) -> str:
        """One product, the way a shop assistant says it: price first, then availability."""
        lang = ctx.language
        name = f"*{product.name}*"
        if product.price is None:
            text = say(
                lang,
                es=f"El precio de {name} es a consultar.",
                en=f"{name} is priced on request.",
            )
        else:
            price = f"*{money(product.price, product.currency, lang)}*"
            text = say(lang, es=f"{name} cuesta {price}.", en=f"{name} costs {price}.")
        wanted = self._quantity(ctx)
        if product.price is not None and wanted is not None and 1 < wanted <= product.stock:
            # "precio de 10 chalecos": what the ten cost, from the catalog's price.
            total = money(product.price * wanted, product.currency, lang)
            text += " " + say(
                lang, es=f"Los {wanted} suman *{total}*.", en=f"{wanted} come to *{total}*."
            )
        if product.stock <= 0:
            text += " " + say(
                lang, es="Por ahora está *agotado*.", en="It is *out of stock* right now."
            )
        elif wanted is not None and wanted > product.stock:
            text += " " + say(
                lang,
                es=f"Solo nos quedan *{product.stock}* (pediste {wanted}).",
                en=f"We only have *{product.stock}* left (you asked for {wanted}).",
            )
        else:
            text += " " + say(
                lang,
                es=f"Tenemos {_units(product.stock, lang)}.",
                en=f"We have {product.stock} in stock.",
            )
        return text

    @staticmethod
    def _alternatives_text(lang: str, found: _Found) -> str:
        assert found.unavailable is not None
        name = f"*{found.unavailable.name}*"
        if not found.alternatives:
            return say(
                lang,
                es=f"No tengo otra opción disponible en {found.unavailable.category} para "
                f"reemplazar {name} en este momento.",
                en=f"I have no other {found.unavailable.category} option in stock to replace "
                f"{name} right now.",
            )
        lines = "\n".join(_line(p, lang) for p in found.alternatives)
        return (
            say(
                lang,
                es=f"En lugar de {name} (agotado) te puedo ofrecer:",
                en=f"Instead of {name} (out of stock) I can offer:",
            )
            + "\n"
            + lines
        )

    def _call_to_action(self, ctx: TurnContext, found: _Found) -> tuple[str, Offer | None]:
        """The closing question, and what a plain "yes" to it will do."""
        lang = ctx.language
        main = found.products[0]
        if found.clear and main.price is None:
            question = say(
                lang,
                es="¿Quieres que un asesor te lo cotice?",
                en="Shall I ask a sales advisor to quote it?",
            )
            return question, Offer("handoff", sku=main.sku, reason="price_on_request")
        if not any(_buyable(p) for p in [*found.products, *found.alternatives]):
            return say(
                lang, es="¿Te ayudo a buscar otro producto?", en="Shall I look for another?"
            ), None
        if found.clear and _buyable(main):
            wanted = self._quantity(ctx)
            offer = Offer("purchase.add", sku=main.sku, quantity=wanted or 1)
            if wanted:
                return say(
                    lang,
                    es=f"¿Te agrego {wanted} al carrito?",
                    en=f"Want me to add {wanted} to your cart?",
                ), offer
            return say(
                lang, es="¿Te lo agrego al carrito?", en="Want me to add it to your cart?"
            ), offer
        return say(
            lang, es="¿Te agrego alguno al carrito?", en="Want me to add one to your cart?"
        ), None

    @staticmethod
    def _quantity(ctx: TurnContext) -> int | None:
        entities = ctx.understanding.entities
        first = entities.products[0].quantity if entities.products else None
        return first or entities.quantity

    def _catalog(self, ctx: TurnContext) -> DomainResult:
        lang = ctx.language
        categories = self._index.categories()
        if not categories:
            return DomainResult(
                reply=say(
                    lang,
                    es="Todavía no tenemos productos publicados. Un asesor puede ayudarte.",
                    en="We have no products published yet. A sales advisor can help you.",
                ),
                facts={"categories": []},
            )
        lines = "\n".join(f"• {name} ({count})" for name, count in categories)
        reply = (
            say(lang, es="Estas son nuestras categorías:", en="These are our categories:")
            + "\n"
            + lines
            + "\n\n"
            + say(
                lang,
                es="¿Qué categoría te interesa? También puedes escribirme el producto que buscas.",
                en="Which one interests you? You can also type the product you are looking for.",
            )
        )
        facts = {"categories": [{"name": n, "count": c} for n, c in categories]}
        return DomainResult(reply=reply, facts=facts)

    async def _category(self, ctx: TurnContext, category: str) -> DomainResult:
        lang = ctx.language
        total = dict(self._index.categories()).get(category, 0)
        hits = self._index.search(category, limit=self._limit * 4, category=category)
        products = await load_products(ctx.session, [h.product_id for h in hits])
        # What can be bought today first; the order of relevance otherwise kept.
        products = sorted(products, key=lambda p: p.stock <= 0)[: self._limit]
        if not products:
            return self._not_found(ctx, [category])
        count = _products_word(total, lang)
        heading = (
            say(
                lang, es=f"En *{category}* tenemos {count}:", en=f"In *{category}* we have {count}:"
            )
            if total <= len(products)
            else say(
                lang,
                es=f"En *{category}* tenemos {count}; estos son algunos:",
                en=f"In *{category}* we have {count}; here are some:",
            )
        )
        question, offer = self._call_to_action(ctx, _Found(products=products, clear=False))
        listing = heading + "\n" + "\n".join(_line(p, lang) for p in products)
        facts = {"category": category, "count": total, "products": [_fact(p) for p in products]}
        return DomainResult(
            reply=f"{listing}\n\n{question}", facts=facts, products=products, offer=offer
        )

    def _not_found(self, ctx: TurnContext, mentions: list[str]) -> DomainResult:
        lang = ctx.language
        categories = [name for name, _count in self._index.categories()]
        what = f"*{mentions[0]}*" if len(mentions) == 1 else None
        reply = (
            say(
                lang,
                es=f"No encontré {what} en nuestro catálogo.",
                en=f"I couldn't find {what} in our catalog.",
            )
            if what
            else say(
                lang,
                es="No encontré ese producto en nuestro catálogo.",
                en="I couldn't find that product in our catalog.",
            )
        )
        if categories:
            reply += " " + say(
                lang,
                es=f"Manejamos: {', '.join(categories)}. ¿Te muestro alguna de estas categorías?",
                en=f"We carry: {', '.join(categories)}. Shall I show you one of them?",
            )
        else:
            reply += " " + say(
                lang,
                es="Un asesor puede ayudarte a conseguirlo.",
                en="A sales advisor can help you find it.",
            )
        facts = {"query": mentions or [ctx.text], "products": [], "categories": categories}
        return DomainResult(reply=reply, facts=facts)
