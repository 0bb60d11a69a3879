"""What the understanding layer produces, whichever reader (offline or LLM) produced it."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.models import SaleState

INTENTS = ("inventory", "purchase", "customer", "company", "handoff", "smalltalk", "other")
"""The top-level intent labels; a sub-intent may follow a dot (`purchase.confirm`)."""

INTENT_LABELS = (
    "inventory.product",
    "inventory.price",
    "inventory.stock",
    "inventory.catalog",
    "inventory.category",
    "purchase.add",
    "purchase.change",
    "purchase.remove",
    "purchase.cart",
    "purchase.checkout",
    "purchase.data",
    "purchase.confirm",
    "purchase.deny",
    "purchase.cancel",
    "customer.lookup",
    "customer.history",
    "company.hours",
    "company.location",
    "company.contact",
    "company.payment",
    "company.shipping",
    "company.returns",
    "company.warranty",
    "company.about",
    "handoff",
    "smalltalk.greeting",
    "smalltalk.thanks",
    "smalltalk.goodbye",
    "smalltalk.identity",
    "other",
)
"""Every full intent label a reader may produce."""


@dataclass(slots=True)
class ProductMention:
    """A product the customer named, as the words they used, with a quantity if they said one."""

    text: str
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class PriceRequest:
    """Price bounds and an order the customer asked for: "entre 10 y 20 mil", "el más barato".

    Bounds are amounts of the shop's currency, inclusive; `order` sorts by price, cheapest
    (`"cheapest"`) or dearest (`"dearest"`) first.
    """

    low: int | None = None
    high: int | None = None
    order: str | None = None

    @property
    def bounded(self) -> bool:
        """Whether the request limits prices (not only orders them)."""
        return self.low is not None or self.high is not None


@dataclass(slots=True)
class Entities:
    """Everything the reader pulled out of one message."""

    products: list[ProductMention] = field(default_factory=list)
    quantity: int | None = None
    national_id: str | None = None
    phone: str | None = None
    email: str | None = None
    name: str | None = None
    city: str | None = None
    address: str | None = None
    category: str | None = None
    price: PriceRequest | None = None


@dataclass(slots=True)
class Understanding:
    """Intent (`top.sub`), confidence in [0, 1], entities and the language of the message."""

    intent: str
    confidence: float
    entities: Entities = field(default_factory=Entities)
    language: str = "es"
    before: str | None = None
    """A cart edit the message makes before its intent: "sin las gorras, solo eso" is a
    checkout with `purchase.remove` before it; "quite las gafas y ponga 3 monogafas" is an add
    of the others with the first product named removed before it."""
    parts: list[Part] = field(default_factory=list)
    """The clauses of a message that asks several different things, each read on its own
    (agent/nlu/clauses.py); empty when the message is one ask."""

    @property
    def top(self) -> str:
        """The top-level label (`purchase` for `purchase.confirm`)."""
        return self.intent.split(".", 1)[0]

    @property
    def sub(self) -> str | None:
        """The sub-intent (`confirm` for `purchase.confirm`), if any."""
        parts = self.intent.split(".", 1)
        return parts[1] if len(parts) == 2 else None


@dataclass(slots=True)
class Part:
    """One clause of a message that asks several things, and its own reading."""

    text: str
    understanding: Understanding


@dataclass(slots=True)
class DialogState:
    """What the reader needs to know about the conversation to read a message in context."""

    sale_state: SaleState | None = None
    pending_field: str | None = None
    last_products: list[str] = field(default_factory=list)
    language: str = "es"
    has_cart: bool = False
    offer: str | None = None
    """The intent a plain "yes" now means: the last reply offered it ("¿Te lo agrego?")."""
    topic: str | None = None
    """The intent the last reply answered (`company.hours`), for a follow-up ("¿y el domingo?")."""
    focus: str | None = None
    """The name of the product the last replies were about, for "¿y el de 20?" or "and in blue?"."""
