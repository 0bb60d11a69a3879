"""Greetings, thanks, goodbyes, who answers (a program), and the honest answer when the
message was not understood: a specific question the second time."""

from __future__ import annotations

from agent.catalog.search import ProductIndex
from agent.domain import DomainResult, TurnContext
from agent.handoff_triggers import STREAK_KEY, UNREAD
from agent.knowledge.search import KnowledgeBase
from agent.models import Direction
from agent.words import t
from rag_domains.documents import from_documents

_KINDS = 6
"""How many of the catalog's largest categories the greeting names."""


class SmalltalkHandler:
    """Answers `smalltalk.*` and `other`."""

    name = "smalltalk"

    def __init__(
        self,
        shop_name: str,
        catalog: ProductIndex | None = None,
        knowledge: KnowledgeBase | None = None,
    ) -> None:
        self._shop_name = shop_name
        # The shop's own catalog, whose categories and products the greeting and the hint
        # name; None: the demo shop's, named in the texts.
        self._catalog = catalog
        self._knowledge = knowledge

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Greet (introducing the shop on a first contact), thank, say goodbye, or ask again."""
        lang = ctx.language
        sub = ctx.understanding.sub
        if ctx.understanding.top == "other":
            # A question the reading did not place may be one the shop's documents answer.
            documented = await from_documents(self._knowledge, ctx)
            return documented or DomainResult(reply=self._not_understood(ctx))
        if sub == "thanks":
            return DomainResult(reply=t(lang, "smalltalk.thanks"))
        if sub == "goodbye":
            return DomainResult(reply=t(lang, "smalltalk.goodbye"))
        if sub == "identity":
            return DomainResult(reply=t(lang, "smalltalk.identity", shop_name=self._shop_name))
        name = ctx.conversation.customer.name.split()[0] if ctx.conversation.customer else None
        hello = t(lang, "smalltalk.hello.name", name=name) if name else t(lang, "smalltalk.hello")
        if any(m.direction == Direction.OUTBOUND for m in ctx.history):
            return DomainResult(reply=t(lang, "smalltalk.greeting.again", hello=hello))
        if self._catalog is None:
            kinds = t(lang, "smalltalk.greeting.demo_kinds")
        else:
            await self._catalog.ensure_fresh(ctx.session)
            largest = self._catalog.largest_categories(_KINDS)
            kinds = f" ({', '.join(name.lower() for name in largest)}...)" if largest else ""
        return DomainResult(
            reply=t(
                lang,
                "smalltalk.greeting.first",
                hello=hello,
                shop_name=self._shop_name,
                kinds=kinds,
            )
        )

    def _not_understood(self, ctx: TurnContext) -> str:
        lang = ctx.language
        products = self._catalog.terms() if self._catalog is not None else []
        example = (
            f'"{products[0][0]}"' if products else t(lang, "smalltalk.not_understood.demo_example")
        )
        if not _misunderstood_before(ctx):
            return t(lang, "smalltalk.not_understood", example=example)
        # Instead of a second "no te entendí": a question about what the customer may want.
        if ctx.sale is not None and ctx.sale.lines:
            return t(lang, "smalltalk.not_understood.again.cart")
        return t(lang, "smalltalk.not_understood.again", example=example)


def _misunderstood_before(ctx: TurnContext) -> bool:
    streak = ctx.conversation.context.get(STREAK_KEY) or {}
    return bool(streak.get("key") == UNREAD)
