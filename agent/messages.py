"""Messages as the core sees them, whatever channel they came from or go to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from agent.models import Owner, Sale, SaleState, utcnow
from agent.shops.current import message_shop_id


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An attachment a channel received: where to fetch it and what it is."""

    kind: str
    url: str
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message, translated from the vendor payload by a channel adapter."""

    channel: str
    external_message_id: str
    external_chat_id: str
    text: str
    sender: str | None = None
    sender_name: str | None = None
    """The name the customer goes by on the channel (WhatsApp profile, Telegram, Odoo visitor)."""
    media: tuple[MediaRef, ...] = ()
    timestamp: datetime = field(default_factory=utcnow)
    tone: str | None = None
    """The tone the customer asked the replies to take (the web widget's "amigable"...)."""
    shop_id: int = field(default_factory=message_shop_id)
    """The shop the message was written to, as its channel endpoint says (agent/shops/directory):
    by default the shop of the request that made it."""


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply for a channel to deliver."""

    channel: str
    external_chat_id: str
    text: str


class ProductRef(BaseModel):
    """A product a reply refers to."""

    sku: str
    name: str
    price: Decimal | None
    stock: int


class CartLine(BaseModel):
    """One line of the current cart."""

    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @classmethod
    def of_sale(cls, sale: Sale | None) -> list[CartLine]:
        """The lines of a sale's cart (none without a sale)."""
        return [
            cls(
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.unit_price * line.quantity,
            )
            for line in (sale.lines if sale is not None else [])
        ]


class TurnResult(BaseModel):
    """What one turn produced: the fields of `say --json` and `POST /chat/text`."""

    chat_id: str
    reply: str | None
    intent: str
    confidence: float
    sale_state: SaleState | None
    order_id: int | None = None
    cart: list[CartLine] = []
    cart_total: Decimal = Decimal(0)
    products: list[ProductRef] = []
    owner: Owner = Owner.BOT
    language: str = "es"
