"""Greetings, thanks, goodbyes, and the honest answer when the message was not understood."""

from __future__ import annotations

from agent.catalog.search import ProductIndex
from agent.domain import DomainResult, TurnContext
from agent.i18n import say
from agent.models import Direction

_KINDS = 6
"""How many of the catalog's largest categories the greeting names."""


class SmalltalkHandler:
    """Answers `smalltalk.*` and `other`."""

    name = "smalltalk"

    def __init__(self, shop_name: str, catalog: ProductIndex | None = None) -> None:
        self._shop_name = shop_name
        # The shop's own catalog, whose categories and products the greeting and the hint
        # name; None: the demo shop's, named in the texts.
        self._catalog = catalog

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Greet (introducing the shop on a first contact), thank, say goodbye, or ask again."""
        lang = ctx.language
        sub = ctx.understanding.sub
        if ctx.understanding.top == "other":
            return DomainResult(reply=self._not_understood(ctx))
        if sub == "thanks":
            return DomainResult(
                reply=say(
                    lang,
                    es="¡Con mucho gusto! ¿Te ayudo con algo más?",
                    en="You're welcome! Anything else I can help with?",
                )
            )
        if sub == "goodbye":
            return DomainResult(
                reply=say(
                    lang,
                    es="¡Gracias por escribirnos! Aquí estaremos cuando nos necesites.",
                    en="Thanks for writing to us! We're here whenever you need us.",
                )
            )
        name = ctx.conversation.customer.name.split()[0] if ctx.conversation.customer else None
        hello = (
            say(lang, es=f"¡Hola, {name}!", en=f"Hi {name}!")
            if name
            else say(lang, es="¡Hola!", en="Hi!")
        )
        if any(m.direction == Direction.OUTBOUND for m in ctx.history):
            return DomainResult(
                reply=say(
                    lang,
                    es=f"{hello} ¿En qué te puedo ayudar?",
                    en=f"{hello} How can I help?",
                )
            )
        if self._catalog is None:
            kinds = say(
                lang,
                es=" (extintores, cascos, guantes, botas, arneses, señalización, botiquines...)",
                en=" (extinguishers, helmets, gloves, boots, harnesses, signs, first-aid kits...)",
            )
        else:
            await self._catalog.ensure_fresh(ctx.session)
            largest = sorted(self._catalog.categories(), key=lambda item: -item[1])[:_KINDS]
            kinds = f" ({', '.join(name.lower() for name, _ in largest)}...)" if largest else ""
        return DomainResult(
            reply=say(
                lang,
                es=f"{hello} Soy el asistente virtual de *{self._shop_name}*. Puedo contarte de "
                f"nuestros productos{kinds}, sus precios y disponibilidad, tomar tu pedido y darte "
                "información de horarios, envíos y pagos. ¿Qué necesitas?",
                en=f"{hello} I'm the virtual assistant of *{self._shop_name}*. I can tell you "
                f"about our products{kinds}, their prices and stock, take your order, and answer "
                "questions about hours, shipping and payment. What do you need?",
            )
        )

    def _not_understood(self, ctx: TurnContext) -> str:
        lang = ctx.language
        misunderstood_before = bool(ctx.history) and ctx.history[-1].intent == "other"
        products = self._catalog.terms() if self._catalog is not None else []
        example = (
            f'"{products[0][0]}"'
            if products
            else say(lang, es='"extintor de 10 libras"', en='"10 lb fire extinguisher"')
        )
        text = say(
            lang,
            es="Disculpa, no te entendí bien. Puedes preguntarme por un producto (por ejemplo "
            f"{example}), pedirme que lo agregue al carrito, o preguntar por horarios, envíos y "
            "formas de pago.",
            en="Sorry, I didn't quite get that. You can ask me about a product (for example "
            f"{example}), ask me to add it to your cart, or ask about hours, shipping and "
            "payment.",
        )
        if misunderstood_before:
            text += say(
                lang,
                es=" Si prefieres, escribe *asesor* y te atiende una persona.",
                en=" If you prefer, type *agent* and a person will help you.",
            )
        return text
