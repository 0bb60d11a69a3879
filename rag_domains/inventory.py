"""Answers product questions (what we have, price, stock, categories) from the live catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.alternatives import alternatives
from agent.catalog.by_price import by_price, nearest_outside, within
from agent.catalog.descriptions import answering_sentence
from agent.catalog.purposes import purpose_query
from agent.catalog.search import ProductIndex, SearchHit, load_products
from agent.domain import DomainResult, Offer, TurnContext
from agent.i18n import money
from agent.models import Product, SaleState
from agent.nlu.prices import DEAREST
from agent.nlu.tokens import fold, scan
from agent.nlu.types import PriceRequest
from agent.text import normalize
from agent.words import t

CLEAR_WINNER = 1.25
"""A top hit scoring this many times the second one is the product the customer means."""

_ALTERNATIVES = 3
_POINTING_BACK = frozenset(
    [
        *("ese", "esa", "esos", "esas", "este", "esta", "estos", "estas", "eso", "esto"),
        *("it", "its", "that", "those", "them", "this"),
    ]
)
"""Words by which a message points back at the product in focus: "la recarga de ese"."""
_OTHERS_AFTER_CLEAR = 2


@dataclass(slots=True)
class _Found:
    products: list[Product]
    clear: bool  # the first product is plainly the one asked about
    from_context: bool = False
    alternatives: list[Product] = field(default_factory=list)
    unavailable: Product | None = None  # the out-of-stock product the alternatives replace
    heading: str | None = None  # what the list is, when it is more than a search's best hits
    detail: str | None = None  # the description's sentence that answers the question


async def _by_skus(session: AsyncSession, skus: list[str]) -> list[Product]:
    """The active products with these SKUs, in the same order."""
    if not skus:
        return []
    rows = await session.execute(
        select(Product).where(Product.sku.in_(skus), Product.active.is_(True))
    )
    by_sku = {p.sku: p for p in rows.scalars()}
    return [by_sku[s] for s in skus if s in by_sku]


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
    if count == 1:
        return t(language, "inventory.units.one", count=count)
    return t(language, "inventory.units.many", count=count)


def _line(product: Product, language: str) -> str:
    price = money(product.price, product.currency, language)
    stock = _units(product.stock, language) if product.stock > 0 else t(language, "inventory.line")
    return f"• *{product.name}* — {price} · {stock}"


def _bounds_text(price: PriceRequest, currency: str, language: str) -> str:
    """ "por debajo de $100.000", "entre $10.000 y $20.000", or "" when only ordered."""

    def amount(value: int) -> str:
        return money(Decimal(value), currency, language)

    if price.low is not None and price.high is not None:
        return t(
            language, "inventory.bounds.between", low=amount(price.low), high=amount(price.high)
        )
    if price.high is not None:
        return t(language, "inventory.bounds.up_to", high=amount(price.high))
    if price.low is not None:
        return t(language, "inventory.bounds.from", low=amount(price.low))
    return ""


def _buyable(product: Product) -> bool:
    """In stock and priced: the cart takes it (a price on request goes to an advisor)."""
    return product.stock > 0 and product.price is not None


def _named_in_full(product: Product, mentions: list[str]) -> bool:
    """Whether the customer's words are the product's whole name."""
    return normalize(product.name) in {normalize(m) for m in mentions}


_ENGLISH_QUALIFIERS = frozenset({"for", "with", "in", "to", "from"})


def head_word(mention: str, *, english: bool) -> str:
    """The word that says what a product is: first in Spanish ("detector de humo"), last
    before what qualifies it in English ("gas detector for the kitchen")."""
    words = mention.split()
    if not english:
        return words[0] if words else ""
    before = next((i for i, w in enumerate(words) if w.lower() in _ENGLISH_QUALIFIERS), None)
    named = words[:before] or words
    return named[-1] if named else ""


def _products_word(count: int, language: str) -> str:
    if count == 1:
        return t(language, "inventory.products.one", count=count)
    return t(language, "inventory.products.many", count=count)


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
        if understanding.entities.price is not None:
            queries = mentions or ([named] if named else [])
            return await self._by_price(ctx, understanding.entities.price, queries)
        if named and category is None and not mentions:
            mentions = [named]  # "detectores": no category of ours, maybe no product either
        if mentions and (unsold := await self.not_sold(ctx, mentions)):
            return unsold
        if understanding.sub == "catalog" and not mentions:
            # "y pa trabajo en alturas q tienen?" names a category; "¿qué tienen?" does not.
            category = self._index.match_category(ctx.text)
            if category is None:
                return self._catalog(ctx)
        if not mentions and category is None and understanding.sub == "category":
            category = self._index.match_category(ctx.text)
            if category is None:
                return self._catalog(ctx)
        if not mentions and category is not None:
            # "¿hacen mantenimiento de extintores?" names a kind and the one product of it.
            named_one = await self._search(ctx.session, [ctx.text])
            if named_one.clear and self._index.names_kind(named_one.products[0].id, ctx.text):
                named_one.products = named_one.products[:1]
                return self._answer(ctx, named_one)
            return await self._category(ctx, category)
        if category is None and understanding.sub == "product" and len(mentions) <= 1:
            # "¿sirve pa fuegos eléctricos?" about the one product just shown; "how long
            # does the refill take?" about the refill in focus.
            answered = await self._from_description(ctx, mentions)
            if answered is not None:
                return self._answer(ctx, answered)
        found = await self._search(ctx.session, mentions or [ctx.text])
        if len(mentions) == 1 and not found.clear:
            # "y la recarga de ese?" after an extinguisher and its refill were shown.
            found = await self._meant_in_context(ctx, mentions[0]) or found
        if not mentions and not found.clear:
            # "¿cuánto el de 20 libras multipropósito?": the one shown that the words fit.
            found = await self._told_among_shown(ctx) or found
        kind = None if mentions else self._index.match_category(ctx.text)
        if kind is not None and not any(p.category == kind for p in found.products[:1]):
            # "necesito algo para las manos": the hands' category, not the one product whose
            # text happens to say "manos" (a torch wound by hand).
            return await self._category(ctx, kind)
        if len(mentions) == 1 and not found.clear:
            # What was said apart from the product ("lo de los extintores pa la oficina, los
            # de 10 libras multipropósito") may single out the one meant.
            whole = await self._search(ctx.session, [ctx.text])
            found = whole if whole.clear else found
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

    async def not_sold(self, ctx: TurnContext, mentions: list[str]) -> DomainResult | None:
        """ "No manejamos X" and the closest things sold, when X has words no product has.

        Closest: what serves the same purpose ("humo" → extinguishers); else products of the
        kind the known words name ("guantes de boxeo" → gloves); else the one product the
        rest of the message plainly points at ("pintura … pa demarcar" → marking tape).
        """
        # Every product named has a word no product has ("rociadores automáticos
        # (sprinklers)"), short words being letters or typos, or a word only products of
        # another kind have ("casco pa moto": an extinguisher is for a motorbike).
        english = ctx.language == "en"
        if not all(
            self._index.at_odds(m, head_word(m, english=english))
            or any(len(w) > 3 for w in self._index.unknown_words(m))
            for m in mentions
        ):
            return None
        mention = mentions[0]
        head = head_word(mention, english=english)
        words = [token.text for token in scan(fold(ctx.text)) if token.is_word]
        known = [w for w in self._known_words(mention) if not self._index.at_odds(w, head)]
        query = purpose_query(words)
        if query is not None:
            hits = self._for_purpose(query, [w for w in words if w not in mention.split()])
        elif known and not self._index.unknown_words(head):
            hits = self._index.search(" ".join(known), limit=_ALTERNATIVES)
        else:
            hits = self._index.search(ctx.text, limit=2)
            plain = len(hits) == 1 or (
                len(hits) > 1 and hits[0].score >= CLEAR_WINNER * hits[1].score
            )
            hits = hits[:1] if plain else []
        products = await load_products(ctx.session, [h.product_id for h in hits])
        lang = ctx.language
        reply = t(lang, "inventory.not_sold", mention=mention)
        if products:
            reply += (
                " "
                + t(lang, "inventory.not_sold.closest")
                + "\n"
                + "\n".join(_line(p, lang) for p in products)
            )
            question, offer = self._call_to_action(
                ctx, _Found(products=products, clear=len(products) == 1)
            )
            reply += "\n\n" + question
        else:
            categories = ", ".join(name for name, _count in self._index.categories())
            reply += " " + t(lang, "inventory.not_sold.categories", categories=categories)
            offer = None
        facts = {"not_sold": mention, "products": [_fact(p) for p in products]}
        return DomainResult(reply=reply, facts=facts, products=products, offer=offer)

    def _for_purpose(self, query: str, rest: list[str]) -> list[SearchHit]:
        """What serves the purpose, the kind the rest of the message says first: "fire
        blankets for a restaurant kitchen" → the kitchen's extinguisher."""
        serving = {h.product_id for h in self._index.matching(query)}
        hits = self._index.search(" ".join([query, *rest]), limit=self._limit * 2)
        fitting = [h for h in hits if h.product_id in serving][:_ALTERNATIVES]
        return fitting or self._index.search(query, limit=_ALTERNATIVES)

    def _known_words(self, mention: str) -> list[str]:
        """The words of a mention some product has: "botas de cuero talla 35" → "botas de
        cuero" when no product comes in size 35."""
        words = mention.split()
        known: list[str] = []
        i = 0
        while i < len(words):
            pair = " ".join(words[i : i + 2])
            if any(":" in w for w in self._index.unknown_words(pair)):
                i += 2  # a designator and its value ("talla 35")
                continue
            if not self._index.unknown_words(words[i]):
                known.append(words[i])
            i += 1
        return known

    async def _by_price(
        self, ctx: TurnContext, price: PriceRequest, queries: list[str]
    ) -> DomainResult:
        """The products asked about within the price bounds, or the cheapest or dearest one.

        Without a product named, "de esos" are the products shown last; after a single one
        ("y el más caro?"), the others of its kind.
        """
        candidates = await self._candidates(ctx, queries)
        if not candidates:
            return self._not_found(ctx, queries)
        lang = ctx.language
        bounds = _bounds_text(price, candidates[0].currency, lang)
        inside = within(candidates, price.low, price.high)
        if not inside:
            nearest = nearest_outside(candidates, price.low, price.high)[: self._limit]
            heading = t(lang, "inventory.bounds.none_within", bounds=bounds)
            return self._answer(ctx, _Found(products=nearest, clear=False, heading=heading))
        if price.order is not None:
            dearest = price.order == DEAREST
            choice = by_price([p for p in inside if _buyable(p)] or inside, dearest_first=dearest)
            heading = (
                t(lang, "inventory.bounds.dearest")
                if dearest
                else t(lang, "inventory.bounds.cheapest")
            )
            return self._answer(ctx, _Found(products=choice[:1], clear=True, heading=heading))
        # What can be bought first, each part cheapest first.
        ordered = sorted(by_price(inside), key=lambda p: not _buyable(p))[: self._limit]
        heading = t(lang, "inventory.bounds.within", bounds=bounds)
        found = _Found(products=ordered, clear=len(ordered) == 1, heading=heading)
        return self._answer(ctx, found)

    async def _candidates(self, ctx: TurnContext, queries: list[str]) -> list[Product]:
        """Every product the queries fit; without any, those shown last or their kind."""
        if not queries:
            shown = (await self._last_shown(ctx)).products
            if len(shown) != 1:
                return shown
            return await load_products(ctx.session, self._index.same_kind(shown[0].id))
        ids: list[int] = []
        for query in queries:
            ids.extend(h.product_id for h in self._index.matching(query) if h.product_id not in ids)
        return await load_products(ctx.session, ids)

    async def _from_description(self, ctx: TurnContext, mentions: list[str]) -> _Found | None:
        """The product in focus with the sentence of its description that answers the
        question; when its own description does not, the product discussed before it, if
        that one's does ("¿sirve pa fuegos eléctricos?" after an extinguisher, then its
        refill, is answered from the extinguisher's). A product named must be the one in
        focus ("how long does the refill take?" with the refill in the cart)."""
        shown = await self._last_shown(ctx)
        if not shown.clear or not all(self._fits(m, shown.products[0]) for m in mentions):
            return None
        earlier = [] if mentions else ctx.conversation.context.get("earlier_products", [])
        candidates = shown.products + await _by_skus(ctx.session, [str(s) for s in earlier[:1]])
        for product in candidates:
            detail = answering_sentence(product.description or "", ctx.text, name=product.name)
            if detail is not None:
                return _Found(products=[product], clear=True, from_context=True, detail=detail)
        return None

    def _fits(self, mention: str, product: Product) -> bool:
        """Whether the product is among the best a mention may mean: "the refill" fits every
        refill alike; "el de 45" does not fit the 70 cm cone."""
        hits = self._index.search(mention, limit=50)
        return any(
            h.product_id == product.id and h.score * CLEAR_WINNER >= hits[0].score for h in hits
        )

    async def _told_among_shown(self, ctx: TurnContext) -> _Found | None:
        """The one product of those just shown that every telling word of the message fits
        (a size, a kind, a colour), when the catalog has more."""
        shown = await _by_skus(
            ctx.session, [str(s) for s in ctx.conversation.context.get("last_products", [])]
        )
        told = self._index.narrow(ctx.text, [p.id for p in shown])
        if len(shown) < 2 or len(told) != 1:
            return None
        return _Found(products=[p for p in shown if p.id == told[0]], clear=True, from_context=True)

    async def _meant_in_context(self, ctx: TurnContext, mention: str) -> _Found | None:
        """The product a mention that fits several means, told by the conversation: the one
        of several just shown that it fits ("la recarga" after an extinguisher and its
        refill); or, when the message points back ("the refill for it", "la recarga de
        ese"), the one it fits best together with the product in focus."""
        context = ctx.conversation.context
        shown = await _by_skus(ctx.session, [str(s) for s in context.get("last_products", [])])
        fitting = {h.product_id for h in self._index.search(mention, limit=50)}
        meant = [p for p in shown if p.id in fitting]
        if len(shown) >= 2 and len(meant) == 1:
            # With one product shown, "¿qué otros cascos tienen?" asks for them all.
            return _Found(products=meant, clear=True, from_context=True)
        focus = context.get("focus")
        words = {token.text for token in scan(fold(ctx.text)) if token.is_word}
        if not focus or not words & _POINTING_BACK:
            return None
        together = [
            hit
            for hit in self._index.search(f"{mention} {focus}", limit=50)
            if hit.product_id in fitting
        ]
        if not together:
            return None
        if len(together) > 1 and together[0].score < CLEAR_WINNER * together[1].score:
            return None
        products = await load_products(ctx.session, [together[0].product_id])
        return _Found(products=products, clear=bool(products), from_context=True)

    async def _last_shown(self, ctx: TurnContext) -> _Found:
        """The products shown last ("¿y cuánto vale?"), as the engine remembers them: the one
        the last reply was about, if it was about one."""
        focus = ctx.conversation.context.get("focus_sku")
        shown = [str(s) for s in ctx.conversation.context.get("last_products", [])]
        skus = [str(focus)] if focus else shown[: self._limit]
        products = await _by_skus(ctx.session, skus)
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
            lead = f"{found.heading} " if found.heading else ""
            if found.detail is not None:
                parts.append(f"*{products[0].name}*: {found.detail}")
            parts.append(lead + self._about_one(ctx, products[0]))
            if products[1:]:
                parts.append(
                    t(lang, "inventory.answer.also_have")
                    + "\n"
                    + "\n".join(_line(p, lang) for p in products[1:])
                )
        else:
            heading = {
                "price": t(lang, "inventory.answer.here_prices"),
                "stock": t(lang, "inventory.answer.here_what_have"),
            }.get(sub or "", t(lang, "inventory.answer.here_what"))
            heading = found.heading or heading
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
            text = t(lang, "inventory.about_one.price_on_request", name=name)
        else:
            price = f"*{money(product.price, product.currency, lang)}*"
            text = t(lang, "inventory.about_one.price", name=name, price=price)
        wanted = self._quantity(ctx)
        if product.price is not None and wanted is not None and 1 < wanted <= product.stock:
            # "precio de 10 chalecos": what the ten cost, from the catalog's price.
            total = money(product.price * wanted, product.currency, lang)
            text += " " + t(lang, "inventory.about_one.total", wanted=wanted, total=total)
        if product.stock <= 0:
            text += " " + t(lang, "inventory.about_one.out_of_stock")
        elif wanted is not None and wanted > product.stock:
            text += " " + t(
                lang, "inventory.about_one.only_have", stock=product.stock, wanted=wanted
            )
        else:
            text += " " + t(
                lang,
                "inventory.about_one.in_stock",
                units=_units(product.stock, lang),
            )
        return text

    @staticmethod
    def _alternatives_text(lang: str, found: _Found) -> str:
        assert found.unavailable is not None
        name = f"*{found.unavailable.name}*"
        if not found.alternatives:
            return t(
                lang,
                "inventory.alternatives.none_in_category",
                category=found.unavailable.category,
                name=name,
            )
        lines = "\n".join(_line(p, lang) for p in found.alternatives)
        return t(lang, "inventory.alternatives.instead", name=name) + "\n" + lines

    def _call_to_action(self, ctx: TurnContext, found: _Found) -> tuple[str, Offer | None]:
        """The closing question, and what a plain "yes" to it will do."""
        lang = ctx.language
        main = found.products[0]
        if found.clear and main.price is None:
            question = t(lang, "inventory.call_to_action.shall_ask")
            return question, Offer("handoff", sku=main.sku, reason="price_on_request")
        if not any(_buyable(p) for p in [*found.products, *found.alternatives]):
            return t(lang, "inventory.call_to_action.shall_look"), None
        if found.clear and _buyable(main):
            wanted = self._quantity(ctx)
            sale = ctx.sale
            in_cart = (
                sale is not None
                and sale.state in (SaleState.STARTED, SaleState.CART)
                and any(line.product_id == main.id for line in sale.lines)
            )
            if in_cart and not wanted:
                # "¿cuánto se demoran en recargarlos?" about what is in the cart: a "listo"
                # next closes the purchase, it does not add one more.
                return t(lang, "sales.anything_else"), None
            offer = Offer("purchase.add", sku=main.sku, quantity=wanted or 1)
            if wanted:
                return t(lang, "inventory.call_to_action.want_me_add_wanted", wanted=wanted), offer
            return t(lang, "inventory.call_to_action.want_me_add"), offer
        return t(lang, "inventory.call_to_action.want_me"), None

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
                reply=t(lang, "inventory.catalog.have_no"),
                facts={"categories": []},
            )
        lines = "\n".join(f"• {name} ({count})" for name, count in categories)
        reply = (
            t(lang, "inventory.catalog.these_categories")
            + "\n"
            + lines
            + "\n\n"
            + t(lang, "inventory.catalog.which_one")
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
            t(lang, "inventory.category.all", category=category, count=count)
            if total <= len(products)
            else t(lang, "inventory.category.some", category=category, count=count)
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
            t(lang, "inventory.not_found.what", what=what)
            if what
            else t(lang, "inventory.not_found.nothing")
        )
        if categories:
            reply += " " + t(
                lang, "inventory.not_found.categories", categories=", ".join(categories)
            )
        else:
            reply += " " + t(lang, "inventory.not_found.advisor")
        facts = {"query": mentions or [ctx.text], "products": [], "categories": categories}
        return DomainResult(reply=reply, facts=facts)
