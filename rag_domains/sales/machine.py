"""The sales state machine: cart → customer data → summary → explicit yes → order.

A sale is `started` → `cart` → `collecting_data` → `ready_to_confirm` → `closed`, or
`cancelled` from any open state. What each customer act (`purchase.*`) does:

- add (or a pick from the list just shown): opens a sale (`started`); a product in it makes
  it `cart`. Change and remove edit the cart the same way, and an emptied cart is `started`
  again. In `collecting_data` and `ready_to_confirm` the state stays and the pending question
  or the summary is shown again.
- checkout: `started` or `cart` → `collecting_data`; once every required field is known and
  valid (given in this chat, or on file for a verified customer) → `ready_to_confirm`.
- data, or any message while `collecting_data`: fills and checks the fields, as above.
- confirm: in `ready_to_confirm`, and only on a plain yes (`explicit_yes`), the order is
  placed and the sale is `closed`; stock sold meanwhile adjusts the cart and shows the summary
  again. In another state a confirm is a checkout.
- deny: `ready_to_confirm` → `cart`; elsewhere (a "not now" to an offer) nothing changes.
  cancel: any open state → `cancelled`.
- with no open sale: a repeated yes finds the order just placed; cancelling a confirmed order
  goes to an advisor.

Money and stock move only in `order_placement`; the words the customer reads are in `replies`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import identity, order_fields
from agent.catalog.alternatives import alternatives
from agent.catalog.by_price import by_price, within
from agent.catalog.search import ProductIndex, load_products
from agent.company import Shipping
from agent.domain import DomainResult, Offer, TurnContext
from agent.errors import InvalidInputError, OutOfStockError
from agent.models import Customer, Order, Product, Sale, SaleLine, SaleState
from agent.nlu.consent import explicit_yes
from agent.nlu.cues import Cue, find_cues
from agent.nlu.prices import DEAREST, said_amounts
from agent.nlu.tokens import fold, scan
from agent.nlu.types import PriceRequest
from agent.quantities import NUMBER_VALUES
from rag_domains.inventory import head_word
from rag_domains.sales import replies
from rag_domains.sales.described import counted_items
from rag_domains.sales.order_placement import customer_by_national_id, place_order, sale_total
from rag_domains.sales.packs import by_unit_said
from rag_domains.sales.picks import picked, pointed_pick
from rag_domains.sales.shipping_quote import shipping_note, with_shipping
from rag_domains.sales.variants import other_variant

OPEN = (SaleState.STARTED, SaleState.CART, SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)
CLEAR_WINNER = 1.2
"""The best match is taken without asking when it scores this many times the runner-up."""
_ALSO = frozenset(["tambien", "ademas", "also", "too", "plus"])
_EACH = frozenset(["cada", "each"])
"""Words that add to what was offered rather than replace it ("sí, y también 10 soportes")."""


_POINTING_BACK = (("de", "esos"), ("de", "esas"), ("de", "ese"), ("de", "esa"), ("of", "those"))
"""What may follow a count that is of the product offered: "2 *de esos* y 2 soportes"."""


def _count_before_and(words: list[str], count: int | None) -> tuple[int | None, bool]:
    """The count said alone before "y"/"and" ("mándeme *3* y 2 de …", "*2 de esos* y 2 …"),
    if it is `count`; and whether words pointing back at the offer follow it ("de esos")."""
    if count is None:
        return None, False
    for i, word in enumerate(words):
        if word != str(count) and NUMBER_VALUES.get(word) != count:
            continue
        after = words[i + 1 : i + 4]
        if after[:1] in (["y"], ["and"]):
            return count, False
        if len(after) == 3 and tuple(after[:2]) in _POINTING_BACK and after[2] in ("y", "and"):
            return count, True
    return None, False


NotSold = Callable[[TurnContext, list[str]], Awaitable[DomainResult | None]]
"""The "no manejamos X" answer, with the closest things sold, when no product is X."""
Browse = Callable[[TurnContext], Awaitable[DomainResult]]
"""The inventory's answer to the message as a product question ("lo que tengo" for its words)."""


class SalesHandler:
    """Answers `purchase.*`, and unclear messages while customer data is being collected."""

    name = "sales"

    def __init__(
        self,
        index: ProductIndex,
        *,
        currency: str = "COP",
        shipping: Shipping | None = None,
        not_sold: NotSold | None = None,
        browse: Browse | None = None,
    ) -> None:
        self._index = index
        self._currency = currency
        self._shipping = shipping
        self._not_sold = not_sold
        self._browse = browse

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Move the conversation's sale one step and say where it stands."""
        sub = ctx.understanding.sub
        sale = ctx.sale if ctx.sale is not None and ctx.sale.state in OPEN else None
        if sale is not None and sale.data.get("choices") and picked(ctx.text, sale) is not None:
            return await self._pick(ctx, sale)
        collecting = sale is not None and sale.state == SaleState.COLLECTING_DATA
        if sub == "add" and collecting and not ctx.understanding.entities.products:
            sub = "data"  # a bare number while a field is asked for answers the question
        if ctx.understanding.before is not None:
            return await self._two_acts(ctx, sale, ctx.understanding.before)
        if sub == "add":
            return await self._add(ctx, sale)
        if sub == "deny" and (sale is None or sale.state != SaleState.READY_TO_CONFIRM):
            # "por ahora no" to an offer: nothing changes, and nothing more is asked.
            return DomainResult(reply=replies.nothing_added(ctx.language), sale=sale)
        if sale is None:
            return await self._no_sale(ctx)
        if sub == "change":
            return await self._change(ctx, sale)
        if sub == "remove":
            return await self._remove(ctx, sale)
        if sub == "checkout":
            return await self._checkout(ctx, sale)
        if sub == "confirm":
            return await self._confirm(ctx, sale)
        if sub == "deny":
            return self._deny(ctx, sale)
        if sub == "cancel":
            return self._cancel(ctx, sale)
        if sub == "data" or sale.state == SaleState.COLLECTING_DATA:
            return await self._collect(ctx, sale)
        if sub is None and sale.state == SaleState.READY_TO_CONFIRM:
            return self._still_open(ctx, sale)  # "espera", "déjame pensarlo"
        return self._show(ctx, sale)

    async def _two_acts(self, ctx: TurnContext, sale: Sale | None, before: str) -> DomainResult:
        """An edit and what comes after it in one message: "sin las gorras, solo eso" removes
        and checks out; "quite las gafas y ponga 3 monogafas" removes and adds."""
        understanding = ctx.understanding
        first = replace(understanding, intent=before, before=None)
        mentions = understanding.entities.products
        if understanding.intent == "purchase.add" and sale is not None:
            first.entities = replace(understanding.entities, products=mentions[:1], quantity=None)
            removed = await self.handle(replace(ctx, understanding=first))
            rest = replace(understanding.entities, products=mentions[1:], quantity=None)
            adding = replace(understanding, entities=rest, before=None)
            added = await self._add(replace(ctx, understanding=adding), removed.sale or sale)
            note = removed.reply.split("\n\n")[0]
            added.reply = f"{note} {added.reply}"
            return added
        edited = await self.handle(replace(ctx, understanding=first))
        after = edited.sale or sale
        if after is None or after.state not in (SaleState.CART, SaleState.STARTED):
            return edited
        checkout = await self._checkout(ctx, after)
        if not after.lines:
            return edited
        note = edited.reply.split("\n\n")[0]
        checkout.reply = f"{note}\n\n{checkout.reply}"
        checkout.products = edited.products
        return checkout

    # -- cart ------------------------------------------------------------------------------

    async def _add(self, ctx: TurnContext, sale: Sale | None) -> DomainResult:
        lang = ctx.language
        mentions = ctx.understanding.entities.products
        quantity = ctx.understanding.entities.quantity
        queued: list[tuple[str, int]] = []
        every = await self._each_of(ctx) if quantity is not None and not mentions else []
        if quantity is not None and len(every) > 1:
            sale = await self._open_sale(ctx, sale)
            return await self._add_each(ctx, sale, [(p, quantity) for p in every], [])
        if not mentions and (several := await self._described(ctx)):
            sale = await self._open_sale(ctx, sale)
            return await self._add_each(ctx, sale, several, [])
        if not mentions:
            products, quantity = await self._unnamed(ctx, sale, quantity)
            if not products and self._browse and self._index.match_category(ctx.text):
                # "necesito algo para proteger la cabeza" names a need, not a product: what
                # serves it; "quisiera hacer un pedido" is asked which product.
                shown = await self._browse(ctx)
                shown.sale = sale
                return shown
            if not products:
                return DomainResult(reply=replies.which_product(lang))
            if len(products) > 1:
                sale = await self._open_sale(ctx, sale)
                return self._ask_choice(ctx, sale, products, quantity or 1)
            if sale is not None and products[0].sku in sale.data.get("choices", []):
                # "los de ratchet" picked from the options; the words that told it apart say
                # the same of the items waiting behind it ("multipropósito": all refills).
                telling = [t.text for t in scan(fold(ctx.text)) if t.is_word and t.text.isalpha()]
                queued = [
                    (f"{text} {' '.join(telling)}", qty) for text, qty in _settle_choice(sale)
                ]
            chosen: list[tuple[Product, int]] = [(products[0], quantity or 1)]
        else:
            unsold = await self._unsold(ctx, [m.text for m in mentions])
            if unsold is not None:
                unsold.sale = sale  # "necesito un detector de humo": nothing goes in the cart
                return unsold
            if len(mentions) == 1:
                candidates = await self._candidates(ctx, mentions[0].text)
                if not candidates:
                    return DomainResult(reply=replies.not_found(lang, mentions[0].text), sale=sale)
            chosen = await self._offer_taken(ctx)
            queued = [
                (m.text, m.quantity or (quantity if len(mentions) == 1 else None) or 1)
                for m in mentions
            ]
        sale = await self._open_sale(ctx, sale)
        return await self._add_each(ctx, sale, chosen, queued)

    async def _described(self, ctx: TurnContext) -> list[tuple[Product, int]]:
        """Each counted piece of the message ("24 de los de hilaza y 12 de carnaza") as the
        one product of those just shown its words fit; empty unless every piece fits one."""
        items = counted_items(ctx.text)
        shown = await _by_skus(ctx.session, list(ctx.conversation.context.get("last_products", [])))
        if not items or len(shown) < 2:
            return []
        by_id = {p.id: p for p in shown}
        chosen: list[tuple[Product, int]] = []
        for piece, count in items:
            fitting = self._index.narrow(piece, list(by_id))
            if len(fitting) != 1:
                return []
            chosen.append((by_id[fitting[0]], count))
        return chosen

    async def _each_of(self, ctx: TurnContext) -> list[Product]:
        """What "5 de cada uno" / "5 of each" counts over, naming no product: the products the
        last reply showed; after a reply about one, the one in focus before and that one
        ("and orange?" after the lime green vests)."""
        words = {token.text for token in scan(fold(ctx.text)) if token.is_word}
        if not words & _EACH:
            return []
        context = ctx.conversation.context
        shown = [str(sku) for sku in context.get("last_products", [])]
        focus, earlier = context.get("focus_sku"), context.get("earlier_products", [])
        if focus and len(earlier) == 1 and earlier[0] != focus:
            shown = [str(earlier[0]), str(focus)]
        return await _by_skus(ctx.session, shown)

    async def _unsold(self, ctx: TurnContext, mentions: list[str]) -> DomainResult | None:
        """ "No manejamos X" when every product asked for is a thing no product is: its head
        word is unknown ("detector de humo", "gas detector"), not just a word that qualifies
        it ("chalecos verde lima", "free dielectric helmets" heard for "three")."""
        english = ctx.language == "en"
        if self._not_sold is None or any(
            not self._index.unknown_words(head_word(m, english=english)) for m in mentions
        ):
            return None
        return await self._not_sold(ctx, mentions)

    async def _offer_taken(self, ctx: TurnContext) -> list[tuple[Product, int]]:
        """The product the last reply offered, when the message takes the offer before it
        names more: "sí, agréguelos, y también 10 soportes de pared"; "mándeme 3 y 2 de
        salida de emergencia" takes 3 of it, a count said apart from every product named, and
        so does "bueno, 2 de esos y 2 soportes", pointing back at it."""
        offer = ctx.offer
        if offer is None or offer.intent != "purchase.add" or not offer.sku:
            return []
        words = [token.text for token in scan(fold(ctx.text)) if token.is_word]
        apart, pointing = _count_before_and(words, ctx.understanding.entities.quantity)
        opening = find_cues(words[:2])
        taken = opening & {Cue.YES, Cue.CLITIC} and _ALSO & set(words)
        if not (taken or pointing or (apart and opening & {Cue.YES, Cue.CLITIC, Cue.ADD})):
            return []  # "listo, 2 del de 5" takes another product instead of the offered one
        offered = await _by_skus(ctx.session, [offer.sku])
        named = {
            hit.product_id
            for mention in ctx.understanding.entities.products
            for hit in self._index.search(mention.text, limit=1)
        }
        if not offered or offered[0].id in named:
            return []  # "sí, deme 3 extintores" says how many of the offered one
        return [(offered[0], apart or offer.quantity or 1)]

    async def _add_each(
        self,
        ctx: TurnContext,
        sale: Sale,
        chosen: list[tuple[Product, int]],
        queued: list[tuple[str, int]],
    ) -> DomainResult:
        """Put the chosen products and every clearly named one in the cart; then ask about
        the first one that fits several products, keeping the rest for after the answer."""
        lang = ctx.language
        notes: list[str] = []
        added: list[Product] = []
        unclear: tuple[list[Product], int] | None = None
        later: list[tuple[str, int]] = []
        for text, qty in queued:
            candidates = await self._candidates(ctx, text)
            if len(queued) == 1:
                # What was said apart from the product ("6 chalecos, verde limón", "a kitchen
                # extinguisher, the 6 liter one") settles it among all the products it fits;
                # the quantity is no size ("2 pares de guantes dieléctricos" fits every class).
                said_qty = {str(qty)} | {w for w, v in NUMBER_VALUES.items() if v == qty}
                rest = " ".join(w for w in ctx.text.split() if fold(w).strip(",.") not in said_qty)
                fits = [hit.product_id for hit in self._index.matching(text)]
                pool = candidates + [
                    p for p in await load_products(ctx.session, fits) if p not in candidates
                ]
                said = self._index.narrow(rest, [p.id for p in pool])
                if len(said) == 1:
                    candidates = [p for p in pool if p.id in said]
            if not candidates:
                notes.append(replies.not_found(lang, text))
            elif len(candidates) == 1:
                chosen.append((candidates[0], qty))
            elif unclear is None:
                unclear = (candidates, qty)
            else:
                later.append((text, qty))
        for product, qty in chosen:
            problem = await self._take(ctx, sale, product, qty)
            if problem is not None:
                if len(chosen) == 1 and unclear is None:
                    return problem
                notes.append(problem.reply.split("\n\n")[0])
                continue
            added.append(product)
            notes.append(replies.added(lang, qty, product))
        if unclear is None:
            edited = self._after_edit(ctx, sale, " ".join(notes), added)
            waiting = await _by_skus(ctx.session, list(sale.data.get("choices", [])))
            if waiting and sale.state == SaleState.CART:
                # "también el mantenimiento pa otros 6" while asked which refill: added, and
                # the question still open is asked again instead of "¿algo más?".
                cart = replies.cart(ctx.language, sale, self._currency)
                question = replies.choices(ctx.language, waiting, None)
                edited.reply = f"{' '.join(notes)}\n\n{cart}\n\n{question}"
            return edited
        if sale.lines and sale.state == SaleState.STARTED:
            sale.state = SaleState.CART
        if later:
            sale.data = {**sale.data, "queued": [list(item) for item in later]}
        asked = self._ask_choice(ctx, sale, *unclear)
        asked.reply = "\n\n".join([" ".join(notes), asked.reply]).strip()
        return asked

    async def _unnamed(
        self, ctx: TurnContext, sale: Sale | None, quantity: int | None
    ) -> tuple[list[Product], int | None]:
        """What "agrégame 2", "los blancos", "el 2" or a plain "sí" refers to: the offer the
        last reply made (with its quantity), else the products it showed, picked by number or
        narrowed by the words used (or the one discussed before them, when only its words
        fit), else the one product the last replies were about."""
        context = ctx.conversation.context
        shown = await _by_skus(ctx.session, list(context.get("last_products", [])))
        price = ctx.understanding.entities.price
        if price is not None and price.order is not None and shown:
            # "deme 3 del más barato" says which, whatever the last reply offered.
            return await self._by_price(ctx, shown, price), quantity
        offer = ctx.offer
        if offer is not None and offer.intent == "purchase.add" and offer.sku:
            return await _by_skus(ctx.session, [offer.sku]), quantity or offer.quantity
        if quantity is None and sale is not None:
            quantity = sale.data.get("choice_quantity")
        number = pointed_pick(ctx.text, len(shown))
        if number is not None:
            # "el 2" of the list just shown is that product, not two of something.
            chosen = ctx.understanding.entities.quantity == number
            return [shown[number - 1]], None if chosen else quantity
        earlier = [
            p
            for p in await _by_skus(ctx.session, list(context.get("earlier_products", [])))
            if p not in shown
        ]
        told = self._index.narrow(ctx.text, [p.id for p in shown + earlier])
        if len(told) == 1 and told[0] in {p.id for p in earlier}:
            # "and one of the CO2 20 lb": a product discussed before the last reply.
            return [p for p in earlier if p.id == told[0]], quantity
        by_id = {p.id: p for p in shown}
        for hit in self._index.search(ctx.text, limit=100):
            if hit.product_id in by_id:
                return [by_id[hit.product_id]], quantity
        # "el de 20 libras", "la de 135 mil": a size or a price only one of them has.
        sized = self._index.narrow(ctx.text, list(by_id))
        if len(sized) == 1:
            return [by_id[sized[0]]], quantity
        amounts = said_amounts([t.text for t in scan(fold(ctx.text))])
        priced = [p for p in shown if p.price is not None and int(p.price) in amounts]
        if len(priced) == 1:
            return priced, quantity
        focus = context.get("focus_sku")
        if focus:
            return await _by_skus(ctx.session, [str(focus)]), quantity
        return shown[:4], quantity

    async def _by_price(
        self, ctx: TurnContext, shown: list[Product], price: PriceRequest
    ) -> list[Product]:
        """ "el más barato, 20 pares": the cheapest (or dearest) that can be sold of those
        shown, or of their kind after a single one; a tie goes to the words ("en amarillo")."""
        pool = shown
        if len(shown) == 1:
            pool = await load_products(ctx.session, self._index.same_kind(shown[0].id))
        fitting = within(pool, price.low, price.high)
        ordered = by_price(
            [p for p in fitting if p.stock > 0] or fitting, dearest_first=price.order == DEAREST
        )
        ties = [p for p in ordered if p.price == ordered[0].price] if ordered else shown[:1]
        ties.sort(key=lambda p: p not in shown)  # the one shown, unless the words say another
        said = set(self._index.narrow(ctx.text, [p.id for p in ties]))
        return [next((p for p in ties if p.id in said), ties[0])]

    async def _pick(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        number = picked(ctx.text, sale)
        skus: list[str] = sale.data["choices"]
        assert number is not None
        product = (await _by_skus(ctx.session, [skus[number - 1]]))[0]
        qty = int(sale.data.get("choice_quantity", 1))
        queued = _settle_choice(sale)
        if queued:
            return await self._add_each(ctx, sale, [(product, qty)], queued)
        problem = await self._take(ctx, sale, product, qty)
        if problem is not None:
            return problem
        return self._after_edit(ctx, sale, replies.added(ctx.language, qty, product), [product])

    async def _change(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        quantity = ctx.understanding.entities.quantity
        mentions = ctx.understanding.entities.products
        if quantity is None and mentions:
            quantity = mentions[0].quantity
        line = await self._line_for(ctx, sale)
        if line is not None and quantity is None:
            swapped = await self._swap(ctx, sale, line)
            if swapped is not None:
                return swapped
        if line is None or quantity is None:
            return self._ask_with_cart(ctx, sale, replies.change_what(ctx.language))
        if quantity <= 0:
            return self._drop(ctx, sale, line)
        problem = await self._cannot_add(ctx, line.product, quantity - line.quantity, sale)
        if problem is not None:
            return problem
        line.quantity = quantity
        note = replies.changed(ctx.language, quantity, line.product)
        return self._after_edit(ctx, sale, note, [line.product])

    async def _swap(self, ctx: TurnContext, sale: Sale, line: SaleLine) -> DomainResult | None:
        """The line in the colour or size the message names ("mejor blancos"), same quantity;
        None when it names no other product of the line's kind."""
        kind = await load_products(ctx.session, self._index.same_kind(line.product_id))
        product = other_variant(self._index, line.product, ctx.text, kind)
        if product is None:
            return None
        problem = await self._cannot_add(ctx, product, line.quantity, sale)
        if problem is not None:
            return problem
        sale.lines.remove(line)
        await self._put(ctx.session, sale, product, line.quantity)
        note = replies.swapped(ctx.language, line.product, line.quantity, product)
        return self._after_edit(ctx, sale, note, [product])

    async def _remove(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        line = await self._line_for(ctx, sale)
        if line is None:
            return self._ask_with_cart(ctx, sale, replies.remove_what(ctx.language))
        return self._drop(ctx, sale, line)

    def _drop(self, ctx: TurnContext, sale: Sale, line: SaleLine) -> DomainResult:
        sale.lines.remove(line)
        return self._after_edit(ctx, sale, replies.removed(ctx.language, line.product), [])

    def _ask_with_cart(self, ctx: TurnContext, sale: Sale, question: str) -> DomainResult:
        cart = replies.cart(ctx.language, sale, self._currency)
        return DomainResult(reply=f"{question}\n\n{cart}", sale=sale)

    async def _take(
        self, ctx: TurnContext, sale: Sale, product: Product, quantity: int
    ) -> DomainResult | None:
        """Put `quantity` units in the cart, or say why they cannot go in."""
        problem = await self._cannot_add(ctx, product, quantity, sale)
        if problem is None:
            await self._put(ctx.session, sale, product, quantity)
        return problem

    async def _line_for(self, ctx: TurnContext, sale: Sale) -> SaleLine | None:
        """The cart line the customer means: by product words, else by the words that
        describe only it ("que los de carnaza sean 24"), else the only (or last) line."""
        if not sale.lines:
            return None
        mentions = ctx.understanding.entities.products
        in_cart = {line.product_id: line for line in sale.lines}
        if mentions:
            for hit in self._index.search(mentions[0].text, limit=50):
                if hit.product_id in in_cart:
                    return in_cart[hit.product_id]
            return None
        # A number here is the new quantity, not a size that tells one line from another.
        words = [token.text for token in scan(fold(ctx.text)) if token.is_word]
        said = self._index.narrow(" ".join(w for w in words if not w[0].isdigit()), list(in_cart))
        return in_cart[said[0]] if len(said) == 1 else sale.lines[-1]

    async def _cannot_add(
        self, ctx: TurnContext, product: Product, extra: int, sale: Sale
    ) -> DomainResult | None:
        """Why `extra` more units of `product` cannot go into the cart, if they cannot."""
        lang = ctx.language
        if product.price is None:
            return DomainResult(
                reply=replies.price_on_request(lang, product),
                products=[product],
                sale=sale,
                handoff_reason="price_on_request",
            )
        quoted = next(
            (x for x in sale.lines if x.product_id == product.id and x.quoted_price is not None),
            None,
        )
        if quoted is not None and extra != 0:
            return self._ask_with_cart(ctx, sale, replies.quoted_line(lang, quoted))
        in_cart = sum(line.quantity for line in sale.lines if line.product_id == product.id)
        if extra <= 0 or in_cart + extra <= product.stock:
            return None
        if product.stock <= 0:
            sold_out = replies.sold_out(lang, product)
            instead = await alternatives(ctx.session, self._index, product)
            if not instead:
                return DomainResult(reply=sold_out, sale=sale)
            intro = sold_out + replies.can_offer(lang)
            return self._ask_choice(ctx, sale, instead, extra, intro=intro)
        available = product.stock - in_cart
        have = replies.only_have(lang, product)
        if available <= 0:
            return DomainResult(
                reply=have + replies.all_in_cart(lang),
                products=[product],
                sale=sale,
            )
        # The full count can still be quoted by a manager: remembered for "cotizar 40".
        wanted = in_cart + extra
        sale.data = {**sale.data, "short": {"sku": product.sku, "quantity": wanted}}
        return DomainResult(
            reply=have
            + replies.add_the_rest(lang, in_cart, available)
            + replies.quote_possible(lang, wanted),
            products=[product],
            sale=sale,
            offer=Offer("purchase.add", sku=product.sku, quantity=available),
        )

    def _after_edit(
        self, ctx: TurnContext, sale: Sale, note: str, products: list[Product]
    ) -> DomainResult:
        """After the cart changed: where the sale goes next and what the customer reads."""
        lang = ctx.language
        if not sale.lines:
            sale.state = SaleState.STARTED
            empty = replies.now_empty(lang)
            return DomainResult(reply=f"{note} {empty}", products=products, sale=sale)
        if sale.state == SaleState.STARTED:
            sale.state = SaleState.CART
        cart = replies.cart(lang, sale, self._currency)
        if sale.state == SaleState.READY_TO_CONFIRM:
            summary = self._summary(lang, sale)
            return DomainResult(reply=f"{note}\n\n{summary}", products=products, sale=sale)
        if sale.state == SaleState.COLLECTING_DATA:
            pending = sale.data.get("pending_field")
            question = order_fields.ask(pending, lang) if pending else ""
            return DomainResult(
                reply=f"{note}\n\n{cart}\n\n{question}".strip(), products=products, sale=sale
            )
        more = replies.anything_else(lang)
        return DomainResult(reply=f"{note}\n\n{cart}\n\n{more}", products=products, sale=sale)

    # -- customer data and confirmation ----------------------------------------------------

    async def _checkout(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if not sale.lines:
            return self._empty_cart(ctx, sale)
        if sale.state in (SaleState.STARTED, SaleState.CART):
            sale.state = SaleState.COLLECTING_DATA
            # Only a verified chat gets its data on file filled in (agent/identity.py).
            customer = await identity.verified_customer(ctx.session, ctx.conversation)
            if customer is not None:
                typed = sale.data.get("customer", {})
                sale.data = {**sale.data, "customer": {**_known_fields(customer), **typed}}
        return await self._collect(ctx, sale)

    async def _collect(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        lang = ctx.language
        if not sale.lines:
            return await self._keep_for_later(ctx, sale)
        fields: dict[str, str] = dict(sale.data.get("customer", {}))
        pending: str | None = sale.data.get("pending_field")
        given = _given_fields(ctx, pending)
        greeting = ""
        for field, value in given.items():
            try:
                fields[field] = order_fields.validate(field, value)
            except InvalidInputError:
                sale.data = {**sale.data, "customer": fields, "pending_field": field}
                reply = f"{order_fields.invalid(field, lang)} {order_fields.ask(field, lang)}"
                return DomainResult(reply=reply, sale=sale)
            if field in ("national_id", "phone") and fields.get("national_id"):
                known = await customer_by_national_id(ctx.session, fields["national_id"])
                if known is not None and _proves(ctx, known, fields, field):
                    # The chat is this customer: their data on file fills what is missing.
                    identity.mark_verified(ctx.conversation, known)
                    fields = {**_known_fields(known), **fields}
                    first = known.name.split()[0]
                    greeting = replies.welcome_back(lang, first)
        missing = [f for f in order_fields.REQUIRED if not fields.get(f)]
        if sale.state in (SaleState.STARTED, SaleState.CART) and not given:
            return self._show(ctx, sale)
        if missing:
            sale.state = SaleState.COLLECTING_DATA
            sale.data = {**sale.data, "customer": fields, "pending_field": missing[0]}
            intro = ""
            if not given and pending is None:
                intro = replies.need_details(lang)
            elif not given:
                intro = order_fields.invalid(missing[0], lang)
            question = order_fields.ask(missing[0], lang)
            return DomainResult(
                reply=" ".join(p for p in (greeting, intro, question) if p), sale=sale
            )
        sale.state = SaleState.READY_TO_CONFIRM
        sale.data = {**sale.data, "customer": fields, "pending_field": None}
        summary = self._summary(lang, sale)
        reply = "\n\n".join(p for p in (greeting, summary) if p)
        return DomainResult(reply=reply, sale=sale)

    async def _confirm(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if sale.state != SaleState.READY_TO_CONFIRM:
            return await self._checkout(ctx, sale)
        if not explicit_yes(ctx.text):
            # Whoever read the message as a yes (a rule or a model), the words decide.
            return self._still_open(ctx, sale)
        fields = sale.data.get("customer", {})
        known = await customer_by_national_id(ctx.session, fields["national_id"])
        try:
            order = await place_order(ctx.session, ctx.conversation, sale, currency=self._currency)
        except OutOfStockError as err:
            return await self._sold_out_meanwhile(ctx, sale, err)
        # Set outside the savepoint: a rolled-back savepoint expires what it modified.
        ctx.conversation.customer_id = order.customer_id  # staff see whose order it is
        if known is None:
            # A new record holds only what this chat gave: the chat is that customer.
            created = await ctx.session.get(Customer, order.customer_id)
            assert created is not None
            identity.mark_verified(ctx.conversation, created)
        sale.state = SaleState.CLOSED
        sale.data = {**sale.data, "pending_field": None}
        shipping_note = self._shipping_note(ctx.language, fields.get("city"), order.total)
        reply = replies.confirmed(
            ctx.language, order.id, order.total, self._currency, fields.get("phone"), shipping_note
        )
        facts = {"order_id": order.id, "total": str(order.total)}
        return DomainResult(reply=reply, facts=facts, sale=sale, order_id=order.id)

    async def _sold_out_meanwhile(
        self, ctx: TurnContext, sale: Sale, err: OutOfStockError
    ) -> DomainResult:
        lang = ctx.language
        line = next(line for line in sale.lines if line.product.sku == err.sku)
        await ctx.session.refresh(line.product)
        name = line.product.name
        if err.available > 0:
            line.quantity = err.available
            note = replies.sold_meanwhile(lang, name, err.available)
        else:
            sale.lines.remove(line)
            note = replies.sold_out_meanwhile(lang, name)
        if not sale.lines:
            sale.state = SaleState.STARTED
            return DomainResult(reply=note, sale=sale)
        return DomainResult(reply=f"{note}\n\n{self._summary(lang, sale)}", sale=sale)

    def _still_open(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        """The summary again, unconfirmed: only a plain yes closes the sale."""
        lang = ctx.language
        note = replies.not_confirmed_yet(lang)
        return DomainResult(reply=f"{note}\n\n{self._summary(lang, sale)}", sale=sale)

    def _deny(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if sale.state == SaleState.READY_TO_CONFIRM:
            sale.state = SaleState.CART
        return DomainResult(
            reply=replies.what_to_change(ctx.language),
            sale=sale,
        )

    def _cancel(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        sale.state = SaleState.CANCELLED
        sale.data = {**sale.data, "pending_field": None}
        return DomainResult(
            reply=replies.cancelled(ctx.language),
            sale=sale,
        )

    # -- replies ---------------------------------------------------------------------------

    def _summary(self, language: str, sale: Sale) -> str:
        city = sale.data.get("customer", {}).get("city")
        note = self._shipping_note(language, city, sale_total(sale))
        return replies.summary(language, sale, self._currency, note)

    def _shipping_note(self, language: str, city: str | None, subtotal: Decimal) -> str:
        """What delivery to `city` costs, from the shop's shipping zones; "" without either."""
        return shipping_note(self._shipping, language, city, subtotal, self._currency)

    def _show(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if not sale.lines:
            return self._empty_cart(ctx, sale)
        if sale.state == SaleState.READY_TO_CONFIRM:
            return DomainResult(reply=self._summary(ctx.language, sale), sale=sale)
        cart = replies.cart(ctx.language, sale, self._currency)
        city = ctx.understanding.entities.city
        # "¿cuánto es todo con envío a Pereira?": the cart, its shipping and the total with it.
        if quote := with_shipping(self._shipping, ctx.language, city, sale, self._currency):
            cart = f"{cart}\n{quote}"
        more = replies.add_more_or_check_out(ctx.language)
        return DomainResult(reply=f"{cart}\n\n{more}", sale=sale)

    async def _no_sale(self, ctx: TurnContext) -> DomainResult:
        lang = ctx.language
        closed = ctx.sale if ctx.sale is not None and ctx.sale.state == SaleState.CLOSED else None
        order = None
        if closed is not None:
            order = await ctx.session.scalar(select(Order).where(Order.sale_id == closed.id))
        if order is not None and ctx.understanding.sub == "cancel":
            return DomainResult(
                reply=replies.advisor_cancels(lang, order.id),
                order_id=order.id,
                handoff_reason="cancel_confirmed_order",
            )
        if order is not None and ctx.understanding.sub in ("change", "remove"):
            # "necesito cambiar mi pedido, eran 3 no 2": a placed order is changed by a person.
            return DomainResult(
                reply=replies.advisor_changes(lang, order.id),
                order_id=order.id,
                handoff_reason="change_confirmed_order",
            )
        if order is not None and ctx.understanding.sub in ("confirm", "checkout", "data", "cart"):
            # A repeated "sí" (a double tap, or a retry from another process) finds the order.
            return DomainResult(
                reply=replies.already_confirmed(lang, order.id, order.total, self._currency),
                facts={"order_id": order.id, "total": str(order.total)},
                order_id=order.id,
            )
        if ctx.understanding.sub == "data" and _given_fields(ctx, None):
            # A contact block before any product: an order's data, not a customer lookup.
            return await self._keep_for_later(ctx, await self._open_sale(ctx, None))
        return DomainResult(reply=replies.no_sale(lang))

    async def _keep_for_later(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        """Data given before anything is in the cart: kept for the checkout, a product asked."""
        fields: dict[str, str] = dict(sale.data.get("customer", {}))
        kept = False
        for field, value in _given_fields(ctx, None).items():
            try:
                fields[field] = order_fields.validate(field, value)
            except InvalidInputError:
                continue  # asked for again, with the reason, at the checkout
            kept = True
        if not kept:
            return self._empty_cart(ctx, sale)
        known = None
        if fields.get("national_id") and fields.get("phone"):
            known = await customer_by_national_id(ctx.session, fields["national_id"])
        if known is not None and _proves(ctx, known, fields, "phone"):
            identity.mark_verified(ctx.conversation, known)  # the checkout fills the rest
        sale.data = {**sale.data, "customer": fields}
        return DomainResult(reply=replies.data_kept(ctx.language), sale=sale)

    def _empty_cart(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        return DomainResult(reply=replies.cart_is_empty(ctx.language), sale=sale)

    def _ask_choice(
        self,
        ctx: TurnContext,
        sale: Sale,
        products: list[Product],
        quantity: int,
        intro: str | None = None,
    ) -> DomainResult:
        """Number the options and remember them, so that "el 2" picks the second."""
        options = products[:4]
        sale.data = {
            **sale.data,
            "choices": [p.sku for p in options],
            "choice_quantity": quantity,
        }
        reply = replies.choices(ctx.language, options, intro)
        return DomainResult(reply=reply, products=options, sale=sale)

    # -- lookups ---------------------------------------------------------------------------

    async def _candidates(self, ctx: TurnContext, text: str) -> list[Product]:
        """The product meant by `text` (a mention in the message): one when it is clear, the
        top few when it is not. A mention that fits several products but only one of those
        the last reply showed is that one: "agrégueme el extintor y la bota" after their
        prices were given."""
        hits = self._index.search(text, limit=4)
        rows = await ctx.session.execute(
            select(Product).where(Product.id.in_([h.product_id for h in hits]), Product.active)
        )
        by_id = {p.id: p for p in rows.scalars()}
        found = by_unit_said([by_id[h.product_id] for h in hits if h.product_id in by_id], ctx.text)
        score = {h.product_id: h.score for h in hits}
        if len(found) <= 1 or score[found[0].id] >= CLEAR_WINNER * score[found[1].id]:
            return found[:1]
        context = ctx.conversation.context
        fitting = {h.product_id for h in self._index.search(text, limit=50)}
        for key in ("last_products", "earlier_products"):
            # "agrégueme 2 recargas de esas" after the refill, then a question about the
            # extinguisher it is for: the one discussed the reply before.
            shown = await _by_skus(ctx.session, list(context.get(key, [])))
            meant = [p for p in shown if p.id in fitting]
            if meant:
                return meant if len(meant) == 1 else found
        return found

    async def _open_sale(self, ctx: TurnContext, sale: Sale | None) -> Sale:
        if sale is not None:
            return sale
        sale = Sale(conversation_id=ctx.conversation.id, state=SaleState.STARTED, data={}, lines=[])
        ctx.session.add(sale)
        await ctx.session.flush()
        return sale

    @staticmethod
    async def _put(session: AsyncSession, sale: Sale, product: Product, quantity: int) -> None:
        """Add units to the cart; the unit price is frozen the first time the product is added."""
        for line in sale.lines:
            if line.product_id == product.id:
                line.quantity += quantity
                return
        assert product.price is not None
        sale.lines.append(
            SaleLine(
                product_id=product.id, product=product, quantity=quantity, unit_price=product.price
            )
        )
        await session.flush()


def _given_fields(ctx: TurnContext, pending: str | None) -> dict[str, str]:
    """The customer fields this message carries (the understanding's entities)."""
    entities = ctx.understanding.entities
    given = {
        field: value
        for field in (*order_fields.REQUIRED, *order_fields.OPTIONAL)
        if (value := getattr(entities, field))
    }
    if not given and pending and ctx.understanding.top in ("purchase", "other"):
        # A bare answer to the question just asked ("Pereira", "Cra 7 # 12-30").
        given[pending] = ctx.text
    return given


def _known_fields(customer: Customer) -> dict[str, str]:
    values = {
        "national_id": customer.national_id,
        "name": customer.name,
        "phone": customer.phone,
        "city": customer.city,
        "address": customer.address,
        "email": customer.email,
    }
    return {k: v for k, v in values.items() if v}


def _settle_choice(sale: Sale) -> list[tuple[str, int]]:
    """Close the list of options just answered; the products still to ask about."""
    queued = [(str(text), int(qty)) for text, qty in sale.data.get("queued", [])]
    done = ("choices", "choice_quantity", "queued")
    sale.data = {k: v for k, v in sale.data.items() if k not in done}
    return queued


async def _by_skus(session: AsyncSession, skus: list[str]) -> list[Product]:
    rows = await session.execute(select(Product).where(Product.sku.in_(skus), Product.active))
    by_sku = {p.sku: p for p in rows.scalars()}
    return [by_sku[s] for s in skus if s in by_sku]


def _proves(ctx: TurnContext, known: Customer, fields: dict[str, str], field: str) -> bool:
    """Whether this chat is `known`: its own identity, or the phone on file typed in full."""
    if identity.is_verified(ctx.conversation, known):
        return True
    return field == "phone" and identity.same_phone(fields.get("phone"), known.phone)
