"""The sales state machine: cart → customer data → summary → explicit yes → order.

started → cart → collecting_data → ready_to_confirm → closed, and cancelled from any open state.
Money and stock move only here, with database guarantees: the order and the stock decrement
are written together, stock never goes below zero, and a sale becomes an order exactly once.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent import identity, order_fields
from agent.catalog.alternatives import alternatives
from agent.catalog.search import ProductIndex
from agent.domain import DomainResult, Offer, TurnContext
from agent.errors import InvalidInputError, OutOfStockError
from agent.i18n import money, say
from agent.models import Customer, Order, OrderLine, Product, Sale, SaleLine, SaleState
from agent.nlu.consent import explicit_yes

OPEN = (SaleState.STARTED, SaleState.CART, SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)
CLEAR_WINNER = 1.2
"""The best match is taken without asking when it scores this many times the runner-up."""

_ORDINALS = {
    "primero": 1, "primera": 1, "primer": 1, "first": 1, "uno": 1, "una": 1, "one": 1,
    "segundo": 2, "segunda": 2, "second": 2, "dos": 2, "two": 2,
    "tercero": 3, "tercera": 3, "tercer": 3, "third": 3, "tres": 3, "three": 3,
    "cuarto": 4, "cuarta": 4, "fourth": 4, "cuatro": 4, "four": 4,
    "quinto": 5, "quinta": 5, "fifth": 5, "cinco": 5, "five": 5,
}  # fmt: skip
_PICK = re.compile(
    r"^\s*(?:quiero|dame|deme|me llevo|i want|i'?ll take|give me|let'?s go with)?\s*"
    r"(?:(?:el|la|lo|the|opci[oó]n|option|number|n[uú]mero|no\.?|#)\s*)*"
    r"(\d|primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|first|second|third|fourth"
    r"|fifth|uno|una|dos|tres|cuatro|cinco|one|two|three|four|five)"
    r"(?:\s+(?:one|uno|una|opci[oó]n|option|porfa|por favor|please|pls|de la lista|"
    r"of the list|ese|esa|este|esta))*[\s.!]*$",
    re.IGNORECASE,
)
"""A message that is only a pick from the list just shown ("el 2", "la segunda", "the second
one"); anything more ("dos chalecos naranja") is a new request, not a pick."""


class SalesHandler:
    """Answers `purchase.*`, and unclear messages while customer data is being collected."""

    name = "sales"

    def __init__(self, index: ProductIndex, *, currency: str = "COP") -> None:
        self._index = index
        self._currency = currency

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Move the conversation's sale one step and say where it stands."""
        sub = ctx.understanding.sub
        sale = ctx.sale if ctx.sale is not None and ctx.sale.state in OPEN else None
        if sale is not None and sale.data.get("choices") and _picked(ctx.text, sale) is not None:
            return await self._pick(ctx, sale)
        collecting = sale is not None and sale.state == SaleState.COLLECTING_DATA
        if sub == "add" and collecting and not ctx.understanding.entities.products:
            sub = "data"  # a bare number while a field is asked for answers the question
        if sub == "add":
            return await self._add(ctx, sale)
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

    # -- cart ------------------------------------------------------------------------------

    async def _add(self, ctx: TurnContext, sale: Sale | None) -> DomainResult:
        lang = ctx.language
        mentions = ctx.understanding.entities.products
        quantity = ctx.understanding.entities.quantity
        if not mentions:
            products, quantity = await self._unnamed(ctx, sale, quantity)
            if not products:
                return DomainResult(
                    reply=say(
                        lang,
                        es='¿Qué producto quieres agregar? Por ejemplo: "2 extintores de 10 '
                        'libras".',
                        en='Which product would you like to add? For example: "2 fire '
                        'extinguishers 10 lb".',
                    )
                )
            if len(products) > 1:
                sale = await self._open_sale(ctx, sale)
                return self._ask_choice(ctx, sale, products, quantity or 1)
            chosen: list[tuple[Product, int]] = [(products[0], quantity or 1)]
        else:
            chosen = []
            for mention in mentions:
                candidates = await self._candidates(ctx.session, mention.text)
                qty = mention.quantity or (quantity if len(mentions) == 1 else None) or 1
                if not candidates:
                    return DomainResult(
                        reply=say(
                            lang,
                            es=f'No encontré "{mention.text}" en nuestro catálogo. ¿Lo '
                            "describes de otra forma?",
                            en=f'I couldn\'t find "{mention.text}" in our catalog. Could you '
                            "describe it another way?",
                        ),
                        sale=sale,
                    )
                if len(candidates) > 1:
                    sale = await self._open_sale(ctx, sale)
                    return self._ask_choice(ctx, sale, candidates, qty)
                chosen.append((candidates[0], qty))
        sale = await self._open_sale(ctx, sale)
        notes: list[str] = []
        added: list[Product] = []
        for product, qty in chosen:
            problem = await self._take(ctx, sale, product, qty)
            if problem is not None:
                return problem
            added.append(product)
            notes.append(_added(lang, qty, product))
        return self._after_edit(ctx, sale, " ".join(notes), added)

    async def _unnamed(
        self, ctx: TurnContext, sale: Sale | None, quantity: int | None
    ) -> tuple[list[Product], int | None]:
        """What "agrégame 2", "los blancos" or a plain "sí" refers to: the offer the last reply
        made (with its quantity), else the products it showed, narrowed by the words used."""
        offer = ctx.offer
        if offer is not None and offer.intent == "purchase.add" and offer.sku:
            return await _by_skus(ctx.session, [offer.sku]), quantity or offer.quantity
        if quantity is None and sale is not None:
            quantity = sale.data.get("choice_quantity")
        shown = await _by_skus(ctx.session, list(ctx.conversation.context.get("last_products", [])))
        by_id = {p.id: p for p in shown}
        for hit in self._index.search(ctx.text, limit=100):
            if hit.product_id in by_id:
                return [by_id[hit.product_id]], quantity
        return shown[:4], quantity

    async def _pick(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        number = _picked(ctx.text, sale)
        skus: list[str] = sale.data["choices"]
        assert number is not None
        product = (await _by_skus(ctx.session, [skus[number - 1]]))[0]
        qty = int(sale.data.get("choice_quantity", 1))
        sale.data = {k: v for k, v in sale.data.items() if k not in ("choices", "choice_quantity")}
        problem = await self._take(ctx, sale, product, qty)
        if problem is not None:
            return problem
        return self._after_edit(ctx, sale, _added(ctx.language, qty, product), [product])

    async def _change(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        quantity = ctx.understanding.entities.quantity
        mentions = ctx.understanding.entities.products
        if quantity is None and mentions:
            quantity = mentions[0].quantity
        line = await self._line_for(ctx, sale)
        if line is None or quantity is None:
            return self._ask_with_cart(
                ctx,
                sale,
                es='¿De cuál producto y a qué cantidad? Por ejemplo: "que sean 3 cascos".',
                en='Which product, and what quantity? For example: "make it 3 helmets".',
            )
        if quantity <= 0:
            return self._drop(ctx, sale, line)
        problem = await self._cannot_add(ctx, line.product, quantity - line.quantity, sale)
        if problem is not None:
            return problem
        line.quantity = quantity
        note = say(
            ctx.language,
            es=f"Listo, ahora son {quantity} × {line.product.name}.",
            en=f"Done, it's now {quantity} × {line.product.name}.",
        )
        return self._after_edit(ctx, sale, note, [line.product])

    async def _remove(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        line = await self._line_for(ctx, sale)
        if line is None:
            return self._ask_with_cart(
                ctx, sale, es="¿Cuál producto quito?", en="Which product should I remove?"
            )
        return self._drop(ctx, sale, line)

    def _drop(self, ctx: TurnContext, sale: Sale, line: SaleLine) -> DomainResult:
        sale.lines.remove(line)
        note = say(
            ctx.language,
            es=f"Quité {line.product.name} del carrito.",
            en=f"Removed {line.product.name} from the cart.",
        )
        return self._after_edit(ctx, sale, note, [])

    def _ask_with_cart(self, ctx: TurnContext, sale: Sale, *, es: str, en: str) -> DomainResult:
        question = say(ctx.language, es=es, en=en)
        return DomainResult(reply=f"{question}\n\n{self._cart_text(sale, ctx.language)}", sale=sale)

    async def _take(
        self, ctx: TurnContext, sale: Sale, product: Product, quantity: int
    ) -> DomainResult | None:
        """Put `quantity` units in the cart, or say why they cannot go in."""
        problem = await self._cannot_add(ctx, product, quantity, sale)
        if problem is None:
            await self._put(ctx.session, sale, product, quantity)
        return problem

    async def _line_for(self, ctx: TurnContext, sale: Sale) -> SaleLine | None:
        """The cart line the customer means: by product words, else the only (or last) line."""
        if not sale.lines:
            return None
        mentions = ctx.understanding.entities.products
        if mentions:
            in_cart = {line.product_id: line for line in sale.lines}
            for hit in self._index.search(mentions[0].text, limit=50):
                if hit.product_id in in_cart:
                    return in_cart[hit.product_id]
            return None
        return sale.lines[-1]

    async def _cannot_add(
        self, ctx: TurnContext, product: Product, extra: int, sale: Sale
    ) -> DomainResult | None:
        """Why `extra` more units of `product` cannot go into the cart, if they cannot."""
        lang = ctx.language
        if product.price is None:
            return DomainResult(
                reply=say(
                    lang,
                    es=f"{product.name} tiene precio a consultar, así que un asesor te lo cotiza.",
                    en=f"{product.name} is priced on request, so a sales advisor will quote it.",
                ),
                products=[product],
                sale=sale,
                handoff_reason="price_on_request",
            )
        in_cart = sum(line.quantity for line in sale.lines if line.product_id == product.id)
        if extra <= 0 or in_cart + extra <= product.stock:
            return None
        if product.stock <= 0:
            sold_out = say(
                lang,
                es=f"Lo siento, {product.name} está agotado.",
                en=f"Sorry, {product.name} is out of stock.",
            )
            instead = await alternatives(ctx.session, self._index, product)
            if not instead:
                return DomainResult(reply=sold_out, sale=sale)
            prompt = say(
                lang,
                es=" Te puedo ofrecer (respóndeme con el número):",
                en=" I can offer (reply with the number):",
            )
            return self._ask_choice(ctx, sale, instead, extra, intro=sold_out + prompt)
        available = product.stock - in_cart
        have = say(
            lang,
            es=f"Solo tenemos {_units(product.stock, lang)} de {product.name}",
            en=f"We only have {_units(product.stock, lang)} of {product.name}",
        )
        if available <= 0:
            return DomainResult(
                reply=have
                + say(lang, es=" y ya están en tu carrito.", en=" and they are all in your cart."),
                products=[product],
                sale=sale,
            )
        return DomainResult(
            reply=have
            + say(
                lang,
                es=(f" y ya tienes {in_cart} en el carrito." if in_cart else ".")
                + f" ¿Te agrego {available}?",
                en=(f" and you already have {in_cart} in the cart." if in_cart else ".")
                + f" Shall I add {available}?",
            ),
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
            empty = say(lang, es="Tu carrito quedó vacío.", en="Your cart is now empty.")
            return DomainResult(reply=f"{note} {empty}", products=products, sale=sale)
        if sale.state == SaleState.STARTED:
            sale.state = SaleState.CART
        cart = self._cart_text(sale, lang)
        if sale.state == SaleState.READY_TO_CONFIRM:
            return DomainResult(
                reply=f"{note}\n\n{self._summary(sale, lang)}", products=products, sale=sale
            )
        if sale.state == SaleState.COLLECTING_DATA:
            pending = sale.data.get("pending_field")
            question = order_fields.ask(pending, lang) if pending else ""
            return DomainResult(
                reply=f"{note}\n\n{cart}\n\n{question}".strip(), products=products, sale=sale
            )
        more = say(
            lang,
            es="¿Algo más, o finalizamos la compra?",
            en="Anything else, or shall we check out?",
        )
        return DomainResult(reply=f"{note}\n\n{cart}\n\n{more}", products=products, sale=sale)

    # -- customer data and confirmation ----------------------------------------------------

    async def _checkout(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if not sale.lines:
            return self._empty_cart(ctx, sale)
        if sale.state in (SaleState.STARTED, SaleState.CART):
            sale.state = SaleState.COLLECTING_DATA
            # Only a verified chat gets its data on file filled in (agent/identity.py).
            customer = await identity.verified_customer(ctx.session, ctx.conversation)
            if customer is not None and not sale.data.get("customer"):
                sale.data = {**sale.data, "customer": _known_fields(customer)}
        return await self._collect(ctx, sale)

    async def _collect(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        lang = ctx.language
        if not sale.lines:
            return self._empty_cart(ctx, sale)
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
                known = await _customer_by_national_id(ctx.session, fields["national_id"])
                if known is not None and _proves(ctx, known, fields, field):
                    # The chat is this customer: their data on file fills what is missing.
                    identity.mark_verified(ctx.conversation, known)
                    fields = {**_known_fields(known), **fields}
                    first = known.name.split()[0]
                    greeting = say(
                        lang,
                        es=f"¡Qué bueno tenerte de nuevo, {first}! Ya tengo tus datos.",
                        en=f"Great to have you back, {first}! I have your details.",
                    )
        missing = [f for f in order_fields.REQUIRED if not fields.get(f)]
        if sale.state in (SaleState.STARTED, SaleState.CART) and not given:
            return self._show(ctx, sale)
        if missing:
            sale.state = SaleState.COLLECTING_DATA
            sale.data = {**sale.data, "customer": fields, "pending_field": missing[0]}
            intro = ""
            if not given and pending is None:
                intro = say(
                    lang,
                    es="¡Perfecto! Para el pedido necesito unos datos.",
                    en="Great! I need a few details for the order.",
                )
            elif not given:
                intro = order_fields.invalid(missing[0], lang)
            question = order_fields.ask(missing[0], lang)
            return DomainResult(
                reply=" ".join(p for p in (greeting, intro, question) if p), sale=sale
            )
        sale.state = SaleState.READY_TO_CONFIRM
        sale.data = {**sale.data, "customer": fields, "pending_field": None}
        reply = "\n\n".join(p for p in (greeting, self._summary(sale, lang)) if p)
        return DomainResult(reply=reply, sale=sale)

    async def _confirm(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if sale.state != SaleState.READY_TO_CONFIRM:
            return await self._checkout(ctx, sale)
        if not explicit_yes(ctx.text):
            # Whoever read the message as a yes (a rule or a model), the words decide.
            return self._still_open(ctx, sale)
        fields = sale.data.get("customer", {})
        known = await _customer_by_national_id(ctx.session, fields["national_id"])
        try:
            async with ctx.session.begin_nested():
                order = await self._close(ctx, sale)
        except OutOfStockError as err:
            return await self._sold_out_meanwhile(ctx, sale, err)
        except IntegrityError:
            # Another process closed this very sale first: answer with its order.
            existing = await ctx.session.scalar(select(Order).where(Order.sale_id == sale.id))
            if existing is None:
                raise
            order = existing
        # Set outside the savepoint: a rolled-back savepoint expires what it modified.
        ctx.conversation.customer_id = order.customer_id  # staff see whose order it is
        if known is None:
            # A new record holds only what this chat gave: the chat is that customer.
            created = await ctx.session.get(Customer, order.customer_id)
            assert created is not None
            identity.mark_verified(ctx.conversation, created)
        sale.state = SaleState.CLOSED
        sale.data = {**sale.data, "pending_field": None}
        lang = ctx.language
        reply = say(
            lang,
            es=f"¡Listo! Tu pedido *#{order.id}* quedó confirmado por "
            f"{money(order.total, self._currency)}. Te contactaremos al {fields.get('phone')} "
            "para coordinar el pago y la entrega. ¡Gracias por tu compra!",
            en=f"Done! Your order *#{order.id}* is confirmed for "
            f"{money(order.total, self._currency, 'en')}. We'll contact you at "
            f"{fields.get('phone')} to arrange payment and delivery. Thank you!",
        )
        facts = {"order_id": order.id, "total": str(order.total)}
        return DomainResult(reply=reply, facts=facts, sale=sale, order_id=order.id)

    async def _close(self, ctx: TurnContext, sale: Sale) -> Order:
        """Write the order and take the stock, all or nothing (the caller holds a savepoint)."""
        session = ctx.session
        fields: dict[str, str] = sale.data["customer"]
        customer = await _customer_by_national_id(session, fields["national_id"])
        if customer is None:
            customer = await _new_customer(session, fields)
        elif identity.is_verified(ctx.conversation, customer):
            _update_customer(customer, fields)
        # Otherwise the record is left as it is: a chat that knows a cédula does not change
        # the phone or address on file (the order keeps what this chat gave).
        await session.flush()
        for line in sorted(sale.lines, key=lambda line: line.product_id):
            # The WHERE clause is the guarantee: the row lock serialises buyers of the same
            # product, and a buyer who finds too few units updates nothing. `updated_at` is kept
            # because it marks catalog (text) changes, which stock is not.
            taken = await session.execute(
                update(Product)
                .where(Product.id == line.product_id, Product.stock >= line.quantity)
                .values(stock=Product.stock - line.quantity, updated_at=Product.updated_at)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                available = await session.scalar(
                    select(Product.stock).where(Product.id == line.product_id)
                )
                raise OutOfStockError(line.product.sku, int(available or 0))
        order = Order(
            sale_id=sale.id,
            customer_id=customer.id,
            conversation_id=ctx.conversation.id,
            channel=ctx.conversation.channel,
            status="confirmed",
            total=_total(sale),
            currency=self._currency,
            shipping_address=fields.get("address"),
            shipping_city=fields.get("city"),
            lines=[
                OrderLine(
                    product_id=line.product_id,
                    sku=line.product.sku,
                    name=line.product.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    line_total=line.unit_price * line.quantity,
                )
                for line in sale.lines
            ],
        )
        session.add(order)
        await session.flush()
        return order

    async def _sold_out_meanwhile(
        self, ctx: TurnContext, sale: Sale, err: OutOfStockError
    ) -> DomainResult:
        lang = ctx.language
        line = next(line for line in sale.lines if line.product.sku == err.sku)
        await ctx.session.refresh(line.product)
        name = line.product.name
        if err.available > 0:
            line.quantity = err.available
            note = say(
                lang,
                es=f"Lo siento, mientras confirmabas se vendieron unidades de {name}: quedan "
                f"{err.available}. Ajusté tu carrito.",
                en=f"Sorry, some units of {name} sold while you were confirming: "
                f"{err.available} left. I adjusted your cart.",
            )
        else:
            sale.lines.remove(line)
            note = say(
                lang,
                es=f"Lo siento, {name} se agotó mientras confirmabas y lo quité del carrito.",
                en=f"Sorry, {name} sold out while you were confirming; I removed it.",
            )
        if not sale.lines:
            sale.state = SaleState.STARTED
            return DomainResult(reply=note, sale=sale)
        return DomainResult(reply=f"{note}\n\n{self._summary(sale, lang)}", sale=sale)

    def _still_open(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        """The summary again, unconfirmed: only a plain yes closes the sale."""
        lang = ctx.language
        note = say(
            lang,
            es="Tu pedido aún no está confirmado, lo dejo pendiente.",
            en="Your order is not confirmed yet; I'll keep it open.",
        )
        return DomainResult(reply=f"{note}\n\n{self._summary(sale, lang)}", sale=sale)

    def _deny(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if sale.state == SaleState.READY_TO_CONFIRM:
            sale.state = SaleState.CART
        return DomainResult(
            reply=say(
                ctx.language,
                es="Sin problema. ¿Qué quieres cambiar? Puedes cambiar cantidades, quitar o "
                "agregar productos, corregir tus datos, o escribir *cancelar*.",
                en="No problem. What would you like to change? You can change quantities, "
                "add or remove products, correct your details, or type *cancel*.",
            ),
            sale=sale,
        )

    def _cancel(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        sale.state = SaleState.CANCELLED
        sale.data = {**sale.data, "pending_field": None}
        return DomainResult(
            reply=say(
                ctx.language,
                es="Listo, cancelé tu pedido. Si quieres empezar de nuevo, dime qué necesitas.",
                en="Done, I cancelled your order. If you want to start again, tell me what "
                "you need.",
            ),
            sale=sale,
        )

    # -- replies ---------------------------------------------------------------------------

    def _show(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        if not sale.lines:
            return self._empty_cart(ctx, sale)
        if sale.state == SaleState.READY_TO_CONFIRM:
            return DomainResult(reply=self._summary(sale, ctx.language), sale=sale)
        more = say(
            ctx.language,
            es="¿Agregamos algo más o finalizamos la compra?",
            en="Shall we add something else or check out?",
        )
        return DomainResult(reply=f"{self._cart_text(sale, ctx.language)}\n\n{more}", sale=sale)

    async def _no_sale(self, ctx: TurnContext) -> DomainResult:
        lang = ctx.language
        closed = ctx.sale if ctx.sale is not None and ctx.sale.state == SaleState.CLOSED else None
        order = None
        if closed is not None:
            order = await ctx.session.scalar(select(Order).where(Order.sale_id == closed.id))
        if order is not None and ctx.understanding.sub == "cancel":
            return DomainResult(
                reply=say(
                    lang,
                    es=f"Tu pedido #{order.id} ya fue confirmado; para cancelarlo te atiende un "
                    "asesor.",
                    en=f"Your order #{order.id} is already confirmed; a sales advisor will help "
                    "you cancel it.",
                ),
                order_id=order.id,
                handoff_reason="cancel_confirmed_order",
            )
        if order is not None and ctx.understanding.sub in ("confirm", "checkout", "data", "cart"):
            # A repeated "sí" (a double tap, or a retry from another process) finds the order.
            return DomainResult(
                reply=say(
                    lang,
                    es=f"Tu pedido #{order.id} ya quedó confirmado por "
                    f"{money(order.total, self._currency)}. ¿Te ayudo con algo más?",
                    en=f"Your order #{order.id} is already confirmed for "
                    f"{money(order.total, self._currency, 'en')}. Anything else?",
                ),
                facts={"order_id": order.id, "total": str(order.total)},
                order_id=order.id,
            )
        return DomainResult(
            reply=say(
                lang,
                es="No tienes un pedido en curso. ¿Qué producto te interesa?",
                en="You don't have an order in progress. Which product are you interested in?",
            )
        )

    def _empty_cart(self, ctx: TurnContext, sale: Sale) -> DomainResult:
        return DomainResult(
            reply=say(
                ctx.language,
                es="Tu carrito está vacío. ¿Qué producto te agrego?",
                en="Your cart is empty. Which product shall I add?",
            ),
            sale=sale,
        )

    def _ask_choice(
        self,
        ctx: TurnContext,
        sale: Sale,
        products: list[Product],
        quantity: int,
        intro: str | None = None,
    ) -> DomainResult:
        """Number the options and remember them, so that "el 2" picks the second."""
        lang = ctx.language
        options = products[:4]
        sale.data = {
            **sale.data,
            "choices": [p.sku for p in options],
            "choice_quantity": quantity,
        }
        lines = "".join(
            f"\n{i}. {p.name}: {money(p.price, language=lang)}"
            + (say(lang, es=" (agotado)", en=" (out of stock)") if p.stock <= 0 else "")
            for i, p in enumerate(options, 1)
        )
        question = intro or say(
            lang,
            es="¿Cuál de estos quieres? Respóndeme con el número.",
            en="Which of these would you like? Reply with the number.",
        )
        return DomainResult(reply=f"{question}{lines}", products=options, sale=sale)

    def _cart_text(self, sale: Sale, lang: str) -> str:
        lines = "".join(
            f"\n• {line.quantity} × {line.product.name}: "
            f"{money(line.unit_price * line.quantity, self._currency, lang)}"
            for line in sale.lines
        )
        total = money(_total(sale), self._currency, lang)
        return say(lang, es="*Tu carrito*", en="*Your cart*") + f"{lines}\n*Total: {total}*"

    def _summary(self, sale: Sale, lang: str) -> str:
        fields: dict[str, str] = sale.data.get("customer", {})
        data = "".join(
            f"\n{order_fields.label(f, lang)}: {fields[f]}"
            for f in (*order_fields.REQUIRED, *order_fields.OPTIONAL)
            if fields.get(f)
        )
        heading = say(lang, es="*Resumen de tu pedido*", en="*Your order summary*")
        question = say(
            lang,
            es="¿Confirmas el pedido? Responde *sí* para confirmar o *no* para cambiar algo.",
            en="Do you confirm the order? Reply *yes* to confirm or *no* to change something.",
        )
        cart = self._cart_text(sale, lang).split("\n", 1)[1]
        return f"{heading}\n{cart}\n{data.strip()}\n\n{question}"

    # -- lookups ---------------------------------------------------------------------------

    async def _candidates(self, session: AsyncSession, text: str) -> list[Product]:
        """The product meant by `text`: one when it is clear, the top few when it is not."""
        hits = self._index.search(text, limit=4)
        if not hits:
            return []
        if len(hits) == 1 or hits[0].score >= CLEAR_WINNER * hits[1].score:
            hits = hits[:1]
        rows = await session.execute(
            select(Product).where(Product.id.in_([h.product_id for h in hits]), Product.active)
        )
        by_id = {p.id: p for p in rows.scalars()}
        return [by_id[h.product_id] for h in hits if h.product_id in by_id]

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


def _units(count: int, language: str) -> str:
    if language == "en":
        return f"{count} unit" if count == 1 else f"{count} units"
    return f"{count} unidad" if count == 1 else f"{count} unidades"


def _added(language: str, quantity: int, product: Product) -> str:
    return say(
        language,
        es=f"Agregué {quantity} × {product.name} ({money(product.price)} c/u).",
        en=f"Added {quantity} × {product.name} ({money(product.price, language='en')} each).",
    )


def _picked(text: str, sale: Sale) -> int | None:
    """The option number the customer picked from the last list, if the message is a pick."""
    match = _PICK.match(text)
    if match is None:
        return None
    token = match.group(1).lower()
    number = int(token) if token.isdigit() else _ORDINALS.get(token)
    if number is None or not 1 <= number <= len(sale.data.get("choices", [])):
        return None
    return number


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


def _total(sale: Sale) -> Decimal:
    return sum((line.unit_price * line.quantity for line in sale.lines), Decimal(0))


async def _by_skus(session: AsyncSession, skus: list[str]) -> list[Product]:
    rows = await session.execute(select(Product).where(Product.sku.in_(skus), Product.active))
    by_sku = {p.sku: p for p in rows.scalars()}
    return [by_sku[s] for s in skus if s in by_sku]


async def _customer_by_national_id(session: AsyncSession, national_id: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.national_id == national_id))


async def _new_customer(session: AsyncSession, fields: dict[str, str]) -> Customer:
    """A customer record made of the data given in this conversation."""
    customer = Customer(national_id=fields["national_id"], name=fields["name"])
    _update_customer(customer, fields)
    session.add(customer)
    await session.flush()
    return customer


def _update_customer(customer: Customer, fields: dict[str, str]) -> None:
    """The record updated with the data just given (by the verified customer)."""
    for field in ("name", "phone", "email", "city", "address"):
        if fields.get(field):
            setattr(customer, field, fields[field])


def _proves(ctx: TurnContext, known: Customer, fields: dict[str, str], field: str) -> bool:
    """Whether this chat is `known`: its own identity, or the phone on file typed in full."""
    if identity.is_verified(ctx.conversation, known):
        return True
    return field == "phone" and identity.same_phone(fields.get("phone"), known.phone)
