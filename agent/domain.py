"""The small protocol every domain handler follows, and what it gets and gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Conversation, Message, Product, Sale
from agent.nlu.types import Understanding


@dataclass(frozen=True, slots=True)
class Offer:
    """What the reply offers, so that a plain "yes" next turn does it.

    `intent` is what the yes means (`purchase.add`, `handoff`, `customer.history`); the
    rest says to what: a product and quantity to add, or why a person should take over.
    """

    intent: str
    sku: str | None = None
    quantity: int | None = None
    reason: str | None = None


@dataclass(slots=True)
class TurnContext:
    """One turn as a handler sees it: inside the turn's transaction, with the recent history."""

    session: AsyncSession
    conversation: Conversation
    sale: Sale | None
    understanding: Understanding
    text: str
    language: str
    history: list[Message] = field(default_factory=list)
    offer: Offer | None = None
    """What the previous reply offered (it lasts one turn)."""


@dataclass(slots=True)
class DomainResult:
    """A handler's answer: the reply text, the facts it rests on, the products it refers to."""

    reply: str
    facts: dict[str, Any] = field(default_factory=dict)
    products: list[Product] = field(default_factory=list)
    sale: Sale | None = None
    order_id: int | None = None
    handoff_reason: str | None = None
    offer: Offer | None = None
    focus: Product | None = None
    """The one product the reply is about, when it is about one (a follow-up refers to it)."""


class DomainHandler(Protocol):
    """Answers the intents of one domain (`inventory`, `sales`, `customers`, `company`)."""

    name: str

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """Do the work for this turn against the database and say what to answer."""
        ...
