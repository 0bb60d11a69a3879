"""ORM rows. Alembic (`migrations/`) is the only authority on the schema; keep both in step."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from agent.shops.current import DEFAULT_SHOP_ID, new_row_shop_id

Money = Numeric(14, 2)
Cost = Numeric(14, 6)
"""Model spend in USD: fractions of a cent per call add up."""


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, also on SQLite (which drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; a naive datetime is a bug in the caller."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read UTC, restoring the zone SQLite does not keep."""
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class Owner(enum.StrEnum):
    """Who answers a conversation."""

    BOT = "bot"
    WAITING_HUMAN = "waiting_human"
    HUMAN = "human"


class StaffRole(enum.StrEnum):
    """What a staff member may do in the console: managers also see reports and reassign."""

    AGENT = "agent"
    MANAGER = "manager"


class SaleState(enum.StrEnum):
    """States of the sales state machine (ARCHITECTURE.md)."""

    STARTED = "started"
    CART = "cart"
    COLLECTING_DATA = "collecting_data"
    READY_TO_CONFIRM = "ready_to_confirm"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Direction(enum.StrEnum):
    """Which way a message travelled."""

    INBOUND = "in"
    OUTBOUND = "out"


class InboxStatus(enum.StrEnum):
    """Processing status of a received message."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    IGNORED = "ignored"
    """Kept but never answered (a chat throttled for writing faster than a person)."""


class OutboxStatus(enum.StrEnum):
    """Delivery status of a reply."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    WAITING = "waiting"
    """Nobody was connected to receive it; its channel delivers it when they come back."""


class LeadKind(enum.StrEnum):
    """Why a conversation became a lead (README "Leads")."""

    QUOTE_REQUEST = "quote_request"
    ABANDONED_CART = "abandoned_cart"
    WHOLESALE = "wholesale"
    CALL_REQUEST = "call_request"


class LeadStatus(enum.StrEnum):
    """Where a lead stands with the shop's staff."""

    OPEN = "open"
    ASSIGNED = "assigned"
    WON = "won"
    LOST = "lost"


class ExportStatus(enum.StrEnum):
    """Where an export job is."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"
    """Done, and its file deleted after EXPORT_RETENTION_HOURS."""


class ProposalStatus(enum.StrEnum):
    """Where a proposal of the agent is: waiting for a manager, decided, or expired."""

    PENDING = "pending"
    APPROVED = "approved"
    EDITED = "edited"
    """Approved with a manager's change (e.g. another discount); the effect is the edited one."""
    REJECTED = "rejected"
    EXPIRED = "expired"


class Shop(Base):
    """A shop (tenant) of the deployment. Its settings left empty are the deployment's (.env):
    the default shop (id 1) is the single-shop install, configured as before."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    """A short name for the command line and URLs (`default` for shop 1)."""
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    company_file: Mapped[str | None] = mapped_column(String(500), default=None)
    """Its company facts (YAML, as COMPANY_FILE); None: COMPANY_FILE."""
    words_dir: Mapped[str | None] = mapped_column(String(500), default=None)
    """Its wording of replies (as SHOP_WORDS_DIR); None: SHOP_WORDS_DIR."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopChannel(Base):
    """A channel endpoint that belongs to a shop: what a webhook or socket is addressed to (the
    WhatsApp number, the Telegram bot's id, the widget key, the Odoo database) says whose it is."""

    __tablename__ = "shop_channels"
    __table_args__ = (UniqueConstraint("channel", "endpoint", name="uq_shop_channels_endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(200))
    origins: Mapped[str] = mapped_column(Text, default="")
    """The web widget's allowed sites (comma-separated origins); empty for other channels."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShopOwned:
    """A row of one shop. The session sees only the current shop's rows and stamps new ones
    with it (agent/shops/scoping.py); on PostgreSQL row-level security is the second wall."""

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id"),
        index=True,
        default=new_row_shop_id,
        server_default=str(DEFAULT_SHOP_ID),
    )


def _enum(cls: type[enum.StrEnum]) -> Enum:
    # Stored as plain strings with a CHECK-free VARCHAR so that adding a state is a data change.
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Product(ShopOwned, Base):
    """A sellable item. `price` NULL means "price on request"."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "sku", name="uq_products_shop_sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), index=True)
    family: Mapped[str | None] = mapped_column(String(200), default=None)
    price: Mapped[Decimal | None] = mapped_column(Money, default=None)
    currency: Mapped[str] = mapped_column(String(3), default="COP")
    stock: Mapped[int] = mapped_column(Integer, default=0)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CatalogVersion(Base):
    """One row (id 1) whose `version` changes whenever a product is added, removed or edited
    (not when its stock moves): triggers bump it, made by migration 0021. The catalog's index
    reads it to know whether to rebuild."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class Customer(ShopOwned, Base):
    """A buyer, identified by national id (cédula)."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "national_id", name="uq_customers_shop_national_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    national_id: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    email: Mapped[str | None] = mapped_column(String(200), default=None)
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversation(ShopOwned, Base):
    """One chat on one channel; its current sale is its newest sale not abandoned."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("shop_id", "channel", "external_chat_id", name="uq_conversations_chat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_chat_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    """The name the customer goes by on the channel, newest first (shown to staff)."""
    owner: Mapped[Owner] = mapped_column(_enum(Owner), default=Owner.BOT, index=True)
    language: Mapped[str] = mapped_column(String(5), default="es")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    llm_cost_usd: Mapped[Decimal] = mapped_column(Cost, default=Decimal(0), server_default="0")
    assigned_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"), index=True, default=None
    )
    """The staff member who owns the conversation while its owner is `human`."""
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    """When it went to `waiting_human` (None otherwise)."""
    waiting_notice_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the customer was told that nobody has taken it yet (once per wait)."""

    customer: Mapped[Customer | None] = relationship(lazy="joined")


class Sale(ShopOwned, Base):
    """One run of the sales state machine: a cart, the data collected, the outcome."""

    __tablename__ = "sales"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    state: Mapped[SaleState] = mapped_column(_enum(SaleState), default=SaleState.STARTED)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[SaleLine]] = relationship(
        order_by="SaleLine.id", cascade="all, delete-orphan", lazy="selectin"
    )


class SaleLine(Base):
    """A cart line; the unit price is frozen when the product is added.

    A line a manager quoted (README "Proposals", the `quote` kind) holds the approved unit
    price (`quoted_price`, which the unit price may never go below) and the units approved to
    be short of stock (`backorder`, never more than the quantity).
    """

    __tablename__ = "sale_lines"
    __table_args__ = (
        UniqueConstraint("sale_id", "product_id"),
        CheckConstraint("backorder >= 0 AND backorder <= quantity", name="ck_sale_lines_backorder"),
        CheckConstraint(
            "quoted_price IS NULL OR unit_price >= quoted_price", name="ck_sale_lines_quoted_price"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quoted_price: Mapped[Decimal | None] = mapped_column(Money, default=None)
    backorder: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    product: Mapped[Product] = relationship(lazy="joined")


class Order(ShopOwned, Base):
    """A closed sale. `sale_id` is unique: a sale becomes an order exactly once."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "refunded >= 0 AND refunded <= total", name="ck_orders_refunded_within_total"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="confirmed")
    """confirmed, delivered (the demo's history), cancelled, refunded or partially_refunded."""
    total: Mapped[Decimal] = mapped_column(Money)
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    """What was paid back on an approved return (README "Proposals"); at most `total`, once."""
    currency: Mapped[str] = mapped_column(String(3), default="COP")
    shipping_address: Mapped[str | None] = mapped_column(String(300), default=None)
    shipping_city: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    odoo_status: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    """The quotation pushed to Odoo (README "Odoo"): None (not yet queued), queued or pushed."""
    odoo_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    """The quotation's reference in Odoo (its sale.order name, e.g. S00042)."""
    odoo_id: Mapped[int | None] = mapped_column(Integer, default=None)
    odoo_pushed_at: Mapped[datetime | None] = mapped_column(default=None)

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.id", cascade="all, delete-orphan", lazy="selectin"
    )
    customer: Mapped[Customer] = relationship()


class OrderLine(Base):
    """A line of an order, with the product's sku, name and price copied at order time."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint(
            "backorder >= 0 AND backorder <= quantity", name="ck_order_lines_backorder"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    line_total: Mapped[Decimal] = mapped_column(Money)
    backorder: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Units of the quantity not taken from stock (a quoted line's shortfall), to be supplied."""


class Message(ShopOwned, Base):
    """Every message in or out, kept for history, memory and reports."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(64), default=None)
    confidence: Mapped[float | None] = mapped_column(default=None)
    handler: Mapped[str | None] = mapped_column(String(32), default=None)
    latency_ms: Mapped[float | None] = mapped_column(default=None)
    llm_model: Mapped[str | None] = mapped_column(String(100), default=None)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    llm_cost_usd: Mapped[Decimal | None] = mapped_column(Cost, default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    """The staff member who wrote an outbound message (None: the bot)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InboxItem(ShopOwned, Base):
    """A received message, stored before anything else happens; deduplicated per chat."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint(
            "shop_id",
            "channel",
            "external_chat_id",
            "external_message_id",
            name="uq_inbox_message",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_message_id: Mapped[str] = mapped_column(String(200))
    external_chat_id: Mapped[str] = mapped_column(String(200), index=True)
    sender: Mapped[str | None] = mapped_column(String(200), default=None)
    sender_name: Mapped[str | None] = mapped_column(String(200), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[InboxStatus] = mapped_column(_enum(InboxStatus), default=InboxStatus.PENDING)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class OutboxItem(ShopOwned, Base):
    """A reply waiting to be delivered by its channel (with retries)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), default=None)
    message: Mapped[Message | None] = relationship(lazy="raise")
    """Set with a new message, so that one flush writes both (the message first); not
    loaded."""
    channel: Mapped[str] = mapped_column(String(32))
    external_chat_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    """The process (`Instance.id`) delivering the row now; its lease ends at `next_attempt_at`."""


class Delivery(Base):
    """One message a vendor accepted for an outbox row (a long reply goes in parts), and what
    the vendor reported about it since (Twilio's status callbacks)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("outbox_id", "part"),
        UniqueConstraint("channel", "vendor_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True, default=None)
    """None while a status callback arrived before the send that it reports on was recorded."""
    part: Mapped[int | None] = mapped_column(Integer, default=None)
    channel: Mapped[str] = mapped_column(String(32))
    vendor_message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AttemptOutcome(enum.StrEnum):
    """What became of one send of a reply's part."""

    ACCEPTED = "accepted"
    FAILED = "failed"
    FOUND = "found"
    """Left open by a process that stopped; the vendor had the message: not sent again."""
    ABSENT = "absent"
    """Left open by a process that stopped; the vendor did not have the message: sent again."""
    UNKNOWN = "unknown"
    """Left open by a process that stopped, and the vendor cannot be asked: not sent again."""


class SendAttempt(Base):
    """One part of a reply about to be handed to its vendor, committed before the call, so a
    process that stops mid-send leaves a trace (`outcome` None) instead of nothing."""

    __tablename__ = "send_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    part: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[AttemptOutcome | None] = mapped_column(_enum(AttemptOutcome), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Instance(Base):
    """A running salesagent process: the leases it holds are its own until it is seen dead."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncMark(Base):
    """How far a look at another system for what it did not send got (the Odoo catch-up)."""

    __tablename__ = "sync_marks"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    first_at: Mapped[datetime]
    """The first look: nothing from before it is taken (the agent was not connected yet)."""
    last_at: Mapped[datetime]
    """The last look: the next one starts from it (less an overlap)."""


class Handoff(ShopOwned, Base):
    """A change of a conversation's owner: who, when, why."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    from_owner: Mapped[Owner] = mapped_column(_enum(Owner))
    to_owner: Mapped[Owner] = mapped_column(_enum(Owner))
    reason: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100), default="bot")
    note: Mapped[str | None] = mapped_column(Text, default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    """The staff member who made the change (None: the bot or the system)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(ShopOwned, Base):
    """A key for the shop's REST API; only its SHA-256 is stored, the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class Staff(ShopOwned, Base):
    """A person of the shop who answers customers in the staff console."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole), default=StaffRole.AGENT)
    password_hash: Mapped[str] = mapped_column(String(255))
    """scrypt, with its parameters and salt (`scrypt$n$r$p$salt$hash`)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)


class StaffSession(Base):
    """A console login: only the SHA-256 of its cookie is stored, with its CSRF token."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff: Mapped[Staff] = relationship(lazy="joined")


class StaffNote(ShopOwned, Base):
    """An internal note on a conversation: seen by staff only, never sent to the customer."""

    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportJob(ShopOwned, Base):
    """A report asked for (by the API, the console, the CLI or the schedule) and its file."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        UniqueConstraint("shop_id", "schedule_key", name="uq_export_jobs_schedule_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """A random hex id, shown to whoever asked."""
    kind: Mapped[str] = mapped_column(String(32))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The date range (ISO 8601), channel and state the report was limited to."""
    status: Mapped[ExportStatus] = mapped_column(
        _enum(ExportStatus), default=ExportStatus.PENDING, index=True
    )
    requested_by: Mapped[str] = mapped_column(String(100))
    """Who asked: `staff:<username>`, `api:<key name>`, `cli` or `schedule`."""
    file_name: Mapped[str | None] = mapped_column(String(300), default=None)
    """The file's key in storage, once written."""
    rows: Mapped[int | None] = mapped_column(BigInteger, default=None)
    bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    schedule_key: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    """`<kind>:<day>` for a daily run: unique per shop, so several processes make one job a day."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    """Renewed while a runner works on it: a running job whose beat stops was interrupted."""


class KnowledgeDocument(ShopOwned, Base):
    """A document of the shop's knowledge base (a file or a web page), by where it came from."""

    __tablename__ = "kb_documents"
    __table_args__ = (UniqueConstraint("shop_id", "source", name="uq_kb_documents_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    """The file's name or the page's URL: adding the same source again replaces the document."""
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    """The format it was read as: pdf, docx, html, markdown, csv, text."""
    sha256: Mapped[str] = mapped_column(String(64))
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    characters: Mapped[int] = mapped_column(BigInteger, default=0)
    embedding_model: Mapped[str | None] = mapped_column(String(200), default=None)
    """The model its chunks' vectors come from (None: keyword search only)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeChunk(Base):
    """A passage of a document, with the headings it sits under, indexed for search.

    `terms` is what the keyword index holds (SQLite FTS5 table `kb_chunks_fts`, PostgreSQL GIN
    over `to_tsvector('simple', terms)`, both made by migration 0015): the passage's words
    normalised in Python so both databases match the same way.
    """

    __tablename__ = "kb_chunks"
    __table_args__ = (UniqueConstraint("document_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("kb_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text, default="")
    """The heading path, outermost first, joined by ` › `."""
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """float32 values, little-endian; None without an embedding provider."""


class Lead(ShopOwned, Base):
    """A conversation with buying interest that did not close: one per conversation per episode
    (a stretch of it without SESSION_IDLE_HOURS of silence), filled by rules and kept by staff."""

    __tablename__ = "leads"
    __table_args__ = (UniqueConstraint("conversation_id", "episode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=1)
    """The conversation's episode: 1, then 2 after a silence of SESSION_IDLE_HOURS..."""
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), default=None)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[LeadKind] = mapped_column(_enum(LeadKind), index=True)
    status: Mapped[LeadStatus] = mapped_column(
        _enum(LeadStatus), default=LeadStatus.OPEN, index=True
    )
    contact: Mapped[str | None] = mapped_column(String(200), default=None)
    """Who: the customer's name on file, else the name they go by on the channel."""
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """What and how much: `{"sku", "name", "quantity", "unit_price"}` (quantity or price None
    when not stated or on request)."""
    amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    """The items' total when every one has a quantity and a price."""
    currency: Mapped[str] = mapped_column(String(3), default="COP")
    summary: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    phrased: Mapped[bool] = mapped_column(Boolean, default=False)
    """The configured model answered about the texts since the rules last wrote them (they are
    its words when its answer was grounded, else still the rules')."""
    priority: Mapped[int] = mapped_column(Integer, default=3)
    """1 (highest) to 3."""
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    """What staff still need to ask: `phone`, `company`, `quantity`, `products`."""
    confidence: Mapped[float] = mapped_column(default=0.5)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why it was won or lost (staff's words)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    """The conversation's last activity the lead covers (its episode goes on after it)."""
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    odoo_status: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    """The crm.lead pushed to Odoo: None (not yet queued), queued or pushed."""
    odoo_id: Mapped[int | None] = mapped_column(Integer, default=None)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times what staff and Odoo see of the lead changed (agent/leads/changes.py)."""
    odoo_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The revision last queued for Odoo: a higher `revision` queues an update of the crm.lead."""

    assignee: Mapped[Staff | None] = relationship(lazy="joined")


class Proposal(ShopOwned, Base):
    """Something the agent may not do alone (a discount above the threshold, a reservation...),
    with its exact effect, waiting for a manager's decision (README "Proposals")."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    """A name of the registry `agent/proposals/kinds.py` (discount, reserve_stock...)."""
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus), default=ProposalStatus.PENDING, index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id"), index=True, default=None
    )
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    """The confirmed order it concerns (a return or refund)."""
    effect: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What changes, from → to, with the amounts (the edited effect once a manager edits it)."""
    asked: Mapped[str] = mapped_column(Text, default="")
    """The customer's words that made the proposal."""
    language: Mapped[str] = mapped_column(String(5), default="es")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    """The manager who decided (None while pending, or when it expired)."""
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why it was rejected (told to the customer)."""


class ProposalAudit(Base):
    """One decision on a proposal: who, when, what it changed. Written in the transaction that
    applies an approved effect; applying needs this row (`agent/proposals/kinds.py`)."""

    __tablename__ = "proposal_audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    decision: Mapped[ProposalStatus] = mapped_column(_enum(ProposalStatus))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    """Who decided (None: the expiry job)."""
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What was changed: the effect as proposed and as applied, the rows touched, from → to."""
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
