"""Greetings, thanks, goodbyes, and the honest answer when the message was not understood."""

from __future__ import annotations

from agent.domain import DomainResult, TurnContext
from agent.models import Direction
from agent.words import t


class SmalltalkHandler:
    """Answers `smalltalk.*` and `other`."""

    name = "smalltalk"

    def __init__(self, shop_name: str) -> None:
        self._shop_name = shop_name

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Greet (introducing the shop on a first contact), thank, say goodbye, or ask again."""
        lang = ctx.language
        sub = ctx.understanding.sub
        if ctx.understanding.top == "other":
            return DomainResult(reply=self._not_understood(ctx))
        if sub == "thanks":
            return DomainResult(reply=t(lang, "smalltalk.thanks"))
        if sub == "goodbye":
            return DomainResult(reply=t(lang, "smalltalk.goodbye"))
        name = ctx.conversation.customer.name.split()[0] if ctx.conversation.customer else None
        hello = t(lang, "smalltalk.hello.name", name=name) if name else t(lang, "smalltalk.hello")
        if any(m.direction == Direction.OUTBOUND for m in ctx.history):
            return DomainResult(reply=t(lang, "smalltalk.greeting.again", hello=hello))
        return DomainResult(
            reply=t(lang, "smalltalk.greeting.first", hello=hello, shop_name=self._shop_name)
        )

    def _not_understood(self, ctx: TurnContext) -> str:
        lang = ctx.language
        misunderstood_before = bool(ctx.history) and ctx.history[-1].intent == "other"
        text = t(lang, "smalltalk.not_understood")
        if misunderstood_before:
            text += t(lang, "smalltalk.not_understood.or_advisor")
        return text
