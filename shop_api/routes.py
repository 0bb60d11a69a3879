"""The `/api/v1` routes: thin, each delegating to a function of its resource's module."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import AfterValidator

from agent.models import Owner
from agent.provided import IndexDep, SessionDep
from shop_api import conversations, customers, orders, products
from shop_api.auth import require_api_key
from shop_api.conversations import ConversationRow
from shop_api.schemas import (
    MAX_ID,
    MAX_OFFSET,
    MAX_PAGE,
    ConversationDetail,
    ConversationOut,
    CustomerCreate,
    CustomerHistory,
    CustomerOut,
    CustomerStatsOut,
    CustomerUpdate,
    MessageOut,
    OrderCancel,
    OrderOut,
    OrderSummary,
    Page,
    Problem,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    RateLimited,
    StockAdjustment,
    StockConflict,
    StockLevel,
    Text,
    ValidationProblem,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ValidationProblem, "description": "The body is not UTF-8 encoded JSON."},
    401: {"model": Problem, "description": "No API key, or one that is not valid or revoked."},
    422: {"model": ValidationProblem, "description": "A parameter or body field is invalid."},
    429: {
        "model": RateLimited,
        "description": "Over the key's rate limit; the `Retry-After` header says when to retry.",
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such record."}
}

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)], responses=ERRORS)
"""Every resource's routes (each tagged by its own router, included at the end)."""


def _utc(value: datetime | None) -> datetime | None:
    """A naive date or time is taken as UTC; one the UTC calendar cannot hold is refused."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as err:
        raise ValueError("date out of range") from err


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]
Since = Annotated[
    datetime | None,
    AfterValidator(_utc),
    Query(description="From this instant (ISO 8601; UTC when no offset is given), inclusive."),
]
Until = Annotated[
    datetime | None,
    AfterValidator(_utc),
    Query(description="Up to this instant (ISO 8601; UTC when no offset is given), exclusive."),
]
Filter = Annotated[Text | None, Query(max_length=100)]
Id = Annotated[int, Path(ge=1, le=MAX_ID, examples=[1])]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Sku = Annotated[str, Path(max_length=64, description="The product's sku.", examples=["EXT-PQS-10"])]


# -- products ------------------------------------------------------------------------------

product_routes = APIRouter(tags=["products"])


@product_routes.get(
    "/products",
    response_model=Page[ProductOut],
    summary="List and search products",
)
async def list_products(
    session: SessionDep,
    index: IndexDep,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Annotated[
        Text | None,
        Query(
            max_length=200,
            description="Search the catalog as the agent does (typos, synonyms, units); "
            "best match first, active products only.",
            examples=["extintor 10 libras"],
        ),
    ] = None,
    category: Annotated[
        Text | None, Query(max_length=100, description="Exact category, any case.")
    ] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones.")] = None,
    in_stock: Annotated[
        bool | None, Query(description="Only those with units (or without any).")
    ] = None,
    min_price: Annotated[Decimal | None, Query(ge=0, max_digits=14, decimal_places=2)] = None,
    max_price: Annotated[Decimal | None, Query(ge=0, max_digits=14, decimal_places=2)] = None,
) -> Page[ProductOut]:
    """Products matching every filter given, paginated; in creation order unless `q` ranks them."""
    rows, total = await products.list_products(
        session,
        index=index,
        limit=limit,
        offset=offset,
        q=q,
        category=category,
        active=active,
        in_stock=in_stock,
        min_price=min_price,
        max_price=max_price,
    )
    items = [ProductOut.model_validate(p) for p in rows]
    return Page[ProductOut](items=items, total=total, limit=limit, offset=offset)


@product_routes.get(
    "/products/{sku}",
    response_model=ProductOut,
    responses=NOT_FOUND,
    summary="Get a product",
)
async def get_product(session: SessionDep, sku: Sku) -> ProductOut:
    """The product with this sku, active or not."""
    return ProductOut.model_validate(await products.get_product(session, sku=sku))


@product_routes.post(
    "/products",
    response_model=ProductOut,
    status_code=201,
    responses={409: {"model": Problem, "description": "The sku is taken."}},
    summary="Create a product",
)
async def create_product(session: SessionDep, body: ProductCreate) -> ProductOut:
    """Add a product to the catalog; the agent can sell it within a second."""
    return ProductOut.model_validate(await products.create_product(session, data=body))


@product_routes.patch(
    "/products/{sku}",
    response_model=ProductOut,
    responses=NOT_FOUND,
    summary="Change a product",
)
async def update_product(session: SessionDep, sku: Sku, body: ProductUpdate) -> ProductOut:
    """Change the fields given; `price: null` makes it "price on request". Stock: see `/stock`."""
    return ProductOut.model_validate(await products.update_product(session, sku=sku, data=body))


@product_routes.delete(
    "/products/{sku}",
    response_model=ProductOut,
    responses=NOT_FOUND,
    summary="Deactivate a product",
)
async def deactivate_product(session: SessionDep, sku: Sku) -> ProductOut:
    """Hide the product from customers (a soft delete: orders keep it; PATCH `active` undoes)."""
    return ProductOut.model_validate(await products.deactivate_product(session, sku=sku))


@product_routes.post(
    "/products/{sku}/stock",
    response_model=StockLevel,
    responses={
        **NOT_FOUND,
        409: {
            "model": StockConflict,
            "description": "The stock would go below zero; nothing changed.",
        },
    },
    summary="Adjust a product's stock",
)
async def adjust_stock(session: SessionDep, sku: Sku, body: StockAdjustment) -> StockLevel:
    """Add or take units atomically: concurrent adjustments all count, and none goes below 0."""
    stock = await products.adjust_stock(session, sku=sku, delta=body.delta, reason=body.reason)
    return StockLevel(sku=sku, stock=stock, delta=body.delta, reason=body.reason)


# -- customers -----------------------------------------------------------------------------

customer_routes = APIRouter(tags=["customers"])


@customer_routes.get(
    "/customers",
    response_model=Page[CustomerOut],
    summary="List and search customers",
)
async def list_customers(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Annotated[
        Text | None,
        Query(
            max_length=200,
            description="Part of the name or e-mail, or 3+ digits of the cédula or phone.",
            examples=["ospina"],
        ),
    ] = None,
    city: Filter = None,
) -> Page[CustomerOut]:
    """Customers, newest first."""
    rows, total = await customers.list_customers(
        session, limit=limit, offset=offset, q=q, city=city
    )
    items = [CustomerOut.model_validate(c) for c in rows]
    return Page[CustomerOut](items=items, total=total, limit=limit, offset=offset)


@customer_routes.get(
    "/customers/by-national-id/{national_id}",
    response_model=CustomerOut,
    responses=NOT_FOUND,
    summary="Look a customer up by cédula",
)
async def customer_by_national_id(
    session: SessionDep,
    national_id: Annotated[str, Path(max_length=30, examples=["1088245671"])],
) -> CustomerOut:
    """The customer with this cédula (dots, spaces and dashes are ignored)."""
    customer = await customers.customer_by_national_id(session, national_id=national_id)
    return CustomerOut.model_validate(customer)


@customer_routes.get(
    "/customers/{customer_id}",
    response_model=CustomerOut,
    responses=NOT_FOUND,
    summary="Get a customer",
)
async def get_customer(session: SessionDep, customer_id: Id) -> CustomerOut:
    """The customer with this id."""
    return CustomerOut.model_validate(
        await customers.get_customer(session, customer_id=customer_id)
    )


@customer_routes.post(
    "/customers",
    response_model=CustomerOut,
    status_code=201,
    responses={409: {"model": Problem, "description": "The cédula is another customer's."}},
    summary="Create a customer",
)
async def create_customer(session: SessionDep, body: CustomerCreate) -> CustomerOut:
    """Add a customer; fields are checked and stored as the sales conversation stores them."""
    return CustomerOut.model_validate(await customers.create_customer(session, data=body))


@customer_routes.patch(
    "/customers/{customer_id}",
    response_model=CustomerOut,
    responses={**NOT_FOUND, 409: {"model": Problem, "description": "The cédula is taken."}},
    summary="Change a customer",
)
async def update_customer(
    session: SessionDep, customer_id: Id, body: CustomerUpdate
) -> CustomerOut:
    """Change the fields given; `null` clears phone, e-mail, city or address."""
    customer = await customers.update_customer(session, customer_id=customer_id, data=body)
    return CustomerOut.model_validate(customer)


@customer_routes.get(
    "/customers/{customer_id}/history",
    response_model=CustomerHistory,
    responses=NOT_FOUND,
    summary="A customer's purchase history",
)
async def customer_history(
    session: SessionDep, customer_id: Id, limit: Limit = 20, offset: Offset = 0
) -> CustomerHistory:
    """The customer, their totals (cancelled orders excluded) and their orders, newest first."""
    customer, stats, rows, total = await customers.customer_history(
        session, customer_id=customer_id, limit=limit, offset=offset
    )
    return CustomerHistory(
        customer=CustomerOut.model_validate(customer),
        stats=CustomerStatsOut(
            orders=stats.orders, total_spent=stats.total_spent, last_purchase=stats.last_purchase
        ),
        orders=Page[OrderSummary](
            items=[OrderSummary.model_validate(o) for o in rows],
            total=total,
            limit=limit,
            offset=offset,
        ),
    )


# -- orders --------------------------------------------------------------------------------

order_routes = APIRouter(tags=["orders"])


@order_routes.get("/orders", response_model=Page[OrderSummary], summary="List orders")
async def list_orders(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    created_from: Since = None,
    created_to: Until = None,
    status: Annotated[
        Text | None, Query(max_length=32, examples=["confirmed"], description="e.g. confirmed")
    ] = None,
    channel: Annotated[Text | None, Query(max_length=32, examples=["whatsapp"])] = None,
    customer_id: IdFilter = None,
) -> Page[OrderSummary]:
    """Orders matching every filter given, newest first."""
    rows, total = await orders.list_orders(
        session,
        limit=limit,
        offset=offset,
        created_from=created_from,
        created_to=created_to,
        status=status,
        channel=channel,
        customer_id=customer_id,
    )
    items = [OrderSummary.model_validate(o) for o in rows]
    return Page[OrderSummary](items=items, total=total, limit=limit, offset=offset)


@order_routes.get(
    "/orders/{order_id}",
    response_model=OrderOut,
    responses=NOT_FOUND,
    summary="Get an order",
)
async def get_order(session: SessionDep, order_id: Id) -> OrderOut:
    """The order with its lines and customer."""
    return OrderOut.model_validate(await orders.get_order(session, order_id=order_id))


@order_routes.post(
    "/orders/{order_id}/cancel",
    response_model=OrderOut,
    responses={
        **NOT_FOUND,
        409: {"model": Problem, "description": "The order is delivered or already cancelled."},
    },
    summary="Cancel an order",
)
async def cancel_order(
    session: SessionDep,
    order_id: Id,
    body: Annotated[OrderCancel | None, Body()] = None,
) -> OrderOut:
    """Cancel a confirmed order and return every line's units to stock, exactly once."""
    order = await orders.cancel_order(
        session, order_id=order_id, reason=body.reason if body else None
    )
    return OrderOut.model_validate(order)


# -- conversations -------------------------------------------------------------------------

conversation_routes = APIRouter(tags=["conversations"])


def _conversation(row: ConversationRow) -> dict[str, Any]:
    c = row.conversation
    return {
        "id": c.id,
        "channel": c.channel,
        "external_chat_id": c.external_chat_id,
        "owner": c.owner,
        "language": c.language,
        "customer_id": c.customer_id,
        "created_at": c.created_at,
        "last_activity_at": c.last_activity_at,
        "message_count": row.message_count,
    }


@conversation_routes.get(
    "/conversations",
    response_model=Page[ConversationOut],
    summary="List conversations",
)
async def list_conversations(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    channel: Annotated[Text | None, Query(max_length=32, examples=["whatsapp"])] = None,
    owner: Annotated[Owner | None, Query(description="Who answers it now.")] = None,
    customer_id: IdFilter = None,
    active_from: Since = None,
    active_to: Until = None,
) -> Page[ConversationOut]:
    """Conversations matching every filter given, most recently active first."""
    rows, total = await conversations.list_conversations(
        session,
        limit=limit,
        offset=offset,
        channel=channel,
        owner=owner,
        customer_id=customer_id,
        active_from=active_from,
        active_to=active_to,
    )
    items = [ConversationOut.model_validate(_conversation(row)) for row in rows]
    return Page[ConversationOut](items=items, total=total, limit=limit, offset=offset)


@conversation_routes.get(
    "/conversations/{conversation_id}",
    response_model=ConversationDetail,
    responses=NOT_FOUND,
    summary="Get a conversation and its messages",
)
async def get_conversation(
    session: SessionDep, conversation_id: Id, limit: Limit = 50, offset: Offset = 0
) -> ConversationDetail:
    """The conversation with a page of its messages, oldest first (`limit`/`offset` page them)."""
    row, messages = await conversations.get_conversation(
        session, conversation_id=conversation_id, limit=limit, offset=offset
    )
    return ConversationDetail.model_validate(
        {
            **_conversation(row),
            "messages": Page[MessageOut](
                items=[MessageOut.model_validate(m) for m in messages],
                total=row.message_count,
                limit=limit,
                offset=offset,
            ),
        }
    )


router.include_router(product_routes)
router.include_router(customer_routes)
router.include_router(order_routes)
router.include_router(conversation_routes)
