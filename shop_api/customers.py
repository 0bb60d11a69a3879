"""Customers over the API: list and search, look up by cédula, create, change, history."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import ConflictError, NotFoundError
from agent.models import Customer, Order
from rag_domains.customers import CustomerStats, customer_stats
from shop_api.schemas import CustomerCreate, CustomerUpdate

_NOT_DIGIT = re.compile(r"\D")


async def list_customers(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    city: str | None = None,
) -> tuple[Sequence[Customer], int]:
    """A page of customers, newest first; `q` matches name, e-mail, cédula or phone."""
    conditions: list[ColumnElement[bool]] = []
    if q is not None and q.strip():
        text = q.strip()
        matches = [Customer.name.icontains(text, autoescape=True)]
        matches.append(Customer.email.icontains(text, autoescape=True))
        digits = _NOT_DIGIT.sub("", text)
        if len(digits) >= 3:
            matches.append(Customer.national_id.contains(digits, autoescape=True))
            matches.append(Customer.phone.contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    if city is not None and city.strip():
        conditions.append(func.lower(Customer.city) == city.strip().lower())
    total = await session.scalar(select(func.count()).select_from(Customer).where(*conditions))
    rows = await session.execute(
        select(Customer)
        .where(*conditions)
        .order_by(Customer.created_at.desc(), Customer.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.scalars().all(), int(total or 0)


async def get_customer(session: AsyncSession, *, customer_id: int) -> Customer:
    """The customer with this id, or NotFoundError."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer has the id {customer_id}")
    return customer


async def customer_by_national_id(session: AsyncSession, *, national_id: str) -> Customer:
    """The customer with this cédula (dots, spaces and dashes ignored), or NotFoundError."""
    digits = _NOT_DIGIT.sub("", national_id)
    customer = await session.scalar(select(Customer).where(Customer.national_id == digits))
    if customer is None:
        raise NotFoundError(f"no customer has the cédula {national_id!r}")
    return customer


async def _ensure_free(session: AsyncSession, national_id: str, customer_id: int | None) -> None:
    owner = await session.scalar(select(Customer.id).where(Customer.national_id == national_id))
    if owner is not None and owner != customer_id:
        raise ConflictError(
            f"the cédula {national_id} belongs to customer {owner}", details={"customer_id": owner}
        )


async def _commit(session: AsyncSession, national_id: str | None) -> None:
    try:
        await session.commit()
    except IntegrityError as err:  # another request took the same cédula meanwhile
        await session.rollback()
        raise ConflictError(f"the cédula {national_id} belongs to another customer") from err


async def create_customer(session: AsyncSession, *, data: CustomerCreate) -> Customer:
    """Add a customer; ConflictError when the cédula is already a customer's."""
    await _ensure_free(session, data.national_id, None)
    customer = Customer(**data.model_dump())
    session.add(customer)
    await _commit(session, data.national_id)
    return customer


async def update_customer(
    session: AsyncSession, *, customer_id: int, data: CustomerUpdate
) -> Customer:
    """Change the fields given; an explicit null clears an optional contact field."""
    customer = await get_customer(session, customer_id=customer_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("national_id", "name"):
        if field in changes and changes[field] is None:
            del changes[field]  # required columns: null means "leave it"
    if "national_id" in changes:
        await _ensure_free(session, changes["national_id"], customer.id)
    for field, value in changes.items():
        setattr(customer, field, value)
    await _commit(session, changes.get("national_id"))
    return customer


async def customer_history(
    session: AsyncSession, *, customer_id: int, limit: int, offset: int
) -> tuple[Customer, CustomerStats, Sequence[Order], int]:
    """The customer, their buying stats, a page of their orders (newest first) and the count."""
    customer = await get_customer(session, customer_id=customer_id)
    stats = await customer_stats(session, customer.id)
    total = await session.scalar(
        select(func.count()).select_from(Order).where(Order.customer_id == customer.id)
    )
    orders = await session.execute(
        select(Order)
        .where(Order.customer_id == customer.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return customer, stats, orders.scalars().all(), int(total or 0)
