"""Request and response bodies of the REST API (pydantic), separate from the ORM rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from agent import order_fields
from agent.clean_text import text_problem
from agent.errors import InvalidInputError
from agent.models import Direction, Owner

T = TypeVar("T")

MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in PostgreSQL: a larger one is refused, never sent to the database."""
MAX_STOCK = 1_000_000_000
MAX_DELTA = 1_000_000
MAX_PAGE = 200
MAX_OFFSET = 1_000_000_000


def _storable(value: str) -> str:
    # Refused here rather than failing at the database (agent.clean_text says what is storable).
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_storable)]
"""Any text the database can store."""


def _money_text(value: Decimal) -> str:
    return f"{value:.2f}"


MoneyOut = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str),
    Field(description="An amount as a decimal string with two decimals.", examples=["95000.00"]),
]
MoneyIn = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=14,
        decimal_places=2,
        allow_inf_nan=False,
        description="An amount, as a decimal string (preferred) or a number.",
        examples=["95000.00"],
    ),
]

ProductSku = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The product's unique code: letters, digits, `.`, `_` and `-`.",
        examples=["EXT-PQS-10"],
    ),
]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many match in all, and where the page starts."""

    items: list[T]
    total: int = Field(description="How many items match the filters in all.", examples=[42])
    limit: int = Field(description="The largest number of items a page holds.", examples=[50])
    offset: int = Field(description="How many matching items come before this page.")


# -- products ------------------------------------------------------------------------------


class ProductOut(BaseModel):
    """A product of the catalog."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "sku": "EXT-PQS-10",
                    "name": "Extintor multipropósito PQS ABC 10 lb",
                    "description": "Polvo químico seco para fuegos clase A, B y C.",
                    "category": "Extintores",
                    "family": None,
                    "price": "95000.00",
                    "currency": "COP",
                    "stock": 12,
                    "synonyms": ["extinguidor", "extintor abc"],
                    "attributes": {"capacity": "10 lb"},
                    "active": True,
                    "created_at": "2026-01-15T14:03:00Z",
                    "updated_at": "2026-02-01T09:30:00Z",
                }
            ]
        },
    )

    sku: str
    name: str
    description: str
    category: str
    family: str | None
    price: MoneyOut | None = Field(description="NULL means price on request.")
    currency: str
    stock: int = Field(description="Units on hand.")
    synonyms: list[str]
    attributes: dict[str, Any]
    active: bool = Field(description="Inactive products are hidden from customers.")
    created_at: datetime
    updated_at: datetime


class ProductCreate(BaseModel):
    """A new product. Only `sku`, `name` and `category` are required."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sku": "GUA-NIT-9",
                    "name": "Guante de nitrilo talla 9",
                    "category": "Guantes",
                    "price": "8500.00",
                    "stock": 40,
                    "synonyms": ["guante quirúrgico"],
                }
            ]
        },
    )

    sku: ProductSku
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    category: Annotated[Text, Field(min_length=1, max_length=100)]
    description: Annotated[Text, Field(max_length=10_000)] = ""
    family: Annotated[Text, Field(max_length=200)] | None = None
    price: MoneyIn | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["COP"])] = "COP"
    stock: Annotated[int, Field(ge=0, le=MAX_STOCK, description="Units on hand.")] = 0
    synonyms: Annotated[list[Annotated[Text, Field(max_length=200)]], Field(max_length=50)] = []
    attributes: dict[Annotated[Text, Field(max_length=100)], Any] = {}
    active: bool = True

    @field_validator("name", "category")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class ProductUpdate(BaseModel):
    """The fields to change; those left out stay as they are. Stock moves through `/stock`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"price": "99000.00", "description": "Nueva versión"}]},
    )

    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    category: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[Text, Field(max_length=10_000)] | None = None
    family: Annotated[Text, Field(max_length=200)] | None = None
    price: MoneyIn | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    synonyms: (
        Annotated[list[Annotated[Text, Field(max_length=200)]], Field(max_length=50)] | None
    ) = None
    attributes: dict[Annotated[Text, Field(max_length=100)], Any] | None = None
    active: bool | None = None

    @field_validator("name", "category")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None


class StockAdjustment(BaseModel):
    """A change of the units on hand: positive when goods come in, negative when they go out."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"delta": -3, "reason": "rotos en bodega"}]},
    )

    delta: int = Field(
        ge=-MAX_DELTA,
        le=MAX_DELTA,
        description="Units to add (positive) or take (negative); not 0.",
        json_schema_extra={"not": {"const": 0}},
    )
    reason: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Why the stock changes (a delivery, a count, breakage...); kept in the log."
    )

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class StockLevel(BaseModel):
    """The stock of a product after an adjustment."""

    sku: str = Field(examples=["EXT-PQS-10"])
    stock: int = Field(description="Units on hand now.", examples=[9])
    delta: int = Field(description="The change applied.", examples=[-3])
    reason: str = Field(examples=["rotos en bodega"])


# -- customers -----------------------------------------------------------------------------


def _validated(field: str, value: str | None) -> str | None:
    """A customer field as the sales flow stores it; errors as pydantic's ValueError."""
    if value is None:
        return None
    try:
        return order_fields.validate(field, value)
    except InvalidInputError as err:
        raise ValueError(str(err)) from err


class CustomerOut(BaseModel):
    """A customer, with full contact data (the API is for the shop, not for strangers)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "national_id": "1088245671",
                    "name": "María Fernanda Ospina Giraldo",
                    "phone": "3104567821",
                    "email": "maria.ospina@example.com",
                    "city": "Pereira",
                    "address": "Carrera 7 # 19-42",
                    "created_at": "2025-08-12T15:24:00Z",
                }
            ]
        },
    )

    id: int
    national_id: str = Field(description="The cédula (or NIT), digits only.")
    name: str
    phone: str | None
    email: str | None
    city: str | None
    address: str | None
    created_at: datetime


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("national_id", "phone", "email", "city", "address", check_fields=False)
    @classmethod
    def _as_the_sales_flow_stores_it(cls, value: str | None, info: Any) -> str | None:
        return _validated(info.field_name, value)

    @field_validator("name", check_fields=False)
    @classmethod
    def _a_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = " ".join(value.split())
        if not any(c.isalpha() for c in text):
            raise ValueError("a name needs letters")
        return text


class CustomerCreate(_CustomerFields):
    """A new customer; the cédula must not belong to another one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "national_id": "1032456789",
                    "name": "Laura Restrepo",
                    "phone": "3104567890",
                    "city": "Pereira",
                    "address": "Calle 19 # 8-34",
                }
            ]
        }
    )

    national_id: Annotated[Text, Field(max_length=20, description="6 to 10 digits.")]
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    phone: Annotated[Text, Field(max_length=32)] | None = None
    email: Annotated[Text, Field(max_length=200)] | None = None
    city: Annotated[Text, Field(max_length=100)] | None = None
    address: Annotated[Text, Field(max_length=300)] | None = None


class CustomerUpdate(_CustomerFields):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "3157778899"}]})

    national_id: Annotated[Text, Field(max_length=20)] | None = None
    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    phone: Annotated[Text, Field(max_length=32)] | None = None
    email: Annotated[Text, Field(max_length=200)] | None = None
    city: Annotated[Text, Field(max_length=100)] | None = None
    address: Annotated[Text, Field(max_length=300)] | None = None


class CustomerStatsOut(BaseModel):
    """What a customer has bought (cancelled orders do not count)."""

    orders: int = Field(examples=[3])
    total_spent: MoneyOut
    last_purchase: datetime | None


# -- orders --------------------------------------------------------------------------------


class OrderLineOut(BaseModel):
    """A line of an order, with the sku, name and price as they were when it was ordered."""

    model_config = ConfigDict(from_attributes=True)

    sku: str = Field(examples=["EXT-PQS-10"])
    name: str
    quantity: int = Field(examples=[2])
    unit_price: MoneyOut
    line_total: MoneyOut


class OrderSummary(BaseModel):
    """An order without its lines."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[17])
    status: str = Field(
        description="`confirmed` (new), `delivered`, `cancelled`...", examples=["confirmed"]
    )
    channel: str = Field(examples=["whatsapp"])
    customer_id: int
    conversation_id: int | None
    total: MoneyOut
    currency: str = Field(examples=["COP"])
    shipping_address: str | None
    shipping_city: str | None
    created_at: datetime


class OrderOut(OrderSummary):
    """An order with its lines and its customer."""

    customer: CustomerOut
    lines: list[OrderLineOut]


class OrderCancel(BaseModel):
    """Why an order is cancelled (optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "duplicado"}]}
    )

    reason: Annotated[Text, Field(max_length=200)] | None = None


class CustomerHistory(BaseModel):
    """A customer, what they have bought, and a page of their orders (newest first)."""

    customer: CustomerOut
    stats: CustomerStatsOut
    orders: Page[OrderSummary]


# -- conversations -------------------------------------------------------------------------


class ConversationOut(BaseModel):
    """A chat on one channel."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str = Field(examples=["whatsapp"])
    external_chat_id: str = Field(description="The chat's id on its channel.")
    owner: Owner = Field(description="Who answers: the bot, nobody yet (waiting), or a person.")
    language: str = Field(examples=["es"])
    customer_id: int | None
    created_at: datetime
    last_activity_at: datetime
    message_count: int = Field(description="Messages in and out.", examples=[12])


class MessageOut(BaseModel):
    """A message of a conversation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    direction: Direction = Field(description="`in` from the customer, `out` to the customer.")
    text: str
    intent: str | None = Field(examples=["inventory.price"])
    confidence: float | None
    handler: str | None = Field(examples=["inventory"])
    latency_ms: float | None
    created_at: datetime


class ConversationDetail(ConversationOut):
    """A conversation with a page of its messages, oldest first."""

    messages: Page[MessageOut]


class Problem(BaseModel):
    """An error: what went wrong, in words."""

    detail: str = Field(examples=["no product has the sku 'EXT-XYZ'"])


class FieldProblem(BaseModel):
    """The field at fault and why."""

    field: str = Field(examples=["delta"])
    message: str = Field(examples=["must not be 0"])


class ValidationProblem(Problem):
    """Input that cannot be used, with each field at fault."""

    errors: list[FieldProblem]


class StockConflict(Problem):
    """A stock change that would leave the stock below zero (or above the largest count)."""

    sku: str = Field(examples=["EXT-PQS-10"])
    available: int = Field(description="Units on hand now.", examples=[2])


class RateLimited(Problem):
    """Too many requests; try again after `retry_after` seconds (also the Retry-After header)."""

    retry_after: int = Field(examples=[3])
