"""The deployment's shops and the channel endpoints that say which shop a message is for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import ConflictError, InvalidInputError, NotFoundError
from agent.models import Shop, ShopChannel
from agent.shops.current import DEFAULT_SHOP_ID

CHANNELS = ("whatsapp", "telegram", "web", "odoo")
"""The channels whose endpoints can belong to a shop."""

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a channel reaches a shop, and (for the web widget) the sites that may embed it."""

    channel: str
    endpoint: str
    origins: tuple[str, ...] = ()


def whatsapp_endpoint(number: str) -> str:
    """A WhatsApp number as Twilio's `To` carries it, without the `whatsapp:` prefix or spaces."""
    return number.removeprefix("whatsapp:").replace(" ", "").strip()


async def create_shop(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    currency: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
    company_file: str | None = None,
    words_dir: str | None = None,
) -> Shop:
    """A new shop; its settings left None are the deployment's."""
    if not _SLUG.match(slug):
        raise InvalidInputError(f"{slug!r}: a slug is lower-case letters, digits and -")
    shop = Shop(
        slug=slug,
        name=name,
        currency=currency.upper() if currency else None,
        language=language,
        timezone=timezone,
        company_file=company_file,
        words_dir=words_dir,
    )
    session.add(shop)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as err:
        raise ConflictError(f"a shop {slug!r} exists already") from err
    return shop


async def find_shop(session: AsyncSession, key: str) -> Shop:
    """The shop named by its slug or its id."""
    shop = await session.scalar(
        select(Shop).where(Shop.id == int(key))
        if key.isdigit()
        else select(Shop).where(Shop.slug == key)
    )
    if shop is None:
        raise NotFoundError(f"no shop {key!r}")
    return shop


async def list_shops(session: AsyncSession) -> list[Shop]:
    """Every shop, the default one first."""
    return list(await session.scalars(select(Shop).order_by(Shop.id)))


async def connect(session: AsyncSession, shop: Shop, endpoint: Endpoint) -> ShopChannel:
    """Make `endpoint` the shop's: messages to it are the shop's from now on."""
    if endpoint.channel not in CHANNELS:
        raise InvalidInputError(f"{endpoint.channel!r}: a channel is one of {', '.join(CHANNELS)}")
    row = await session.scalar(
        select(ShopChannel).where(
            ShopChannel.channel == endpoint.channel, ShopChannel.endpoint == endpoint.endpoint
        )
    )
    if row is not None and row.shop_id != shop.id:
        raise ConflictError(f"{endpoint.channel} {endpoint.endpoint} belongs to shop {row.shop_id}")
    if row is None:
        row = ShopChannel(shop_id=shop.id, channel=endpoint.channel, endpoint=endpoint.endpoint)
        session.add(row)
    row.origins = ",".join(endpoint.origins)
    await session.flush()
    return row


async def endpoints(session: AsyncSession, shop: Shop) -> list[ShopChannel]:
    """The channel endpoints of a shop."""
    return list(
        await session.scalars(
            select(ShopChannel)
            .where(ShopChannel.shop_id == shop.id)
            .order_by(ShopChannel.channel, ShopChannel.endpoint)
        )
    )


async def shop_for(session: AsyncSession, channel: str, endpoint: str | None) -> int:
    """The shop a message to `endpoint` of `channel` is for: the shop it was connected to, else
    the default shop (a single-shop install connects nothing)."""
    if not endpoint:
        return DEFAULT_SHOP_ID
    shop_id = await session.scalar(
        select(ShopChannel.shop_id).where(
            ShopChannel.channel == channel, ShopChannel.endpoint == endpoint
        )
    )
    return shop_id if shop_id is not None else DEFAULT_SHOP_ID


@dataclass(frozen=True, slots=True)
class WidgetShop:
    """The shop a web widget key is for, and the sites it may be embedded in (none: the
    deployment's WEB_ALLOWED_ORIGINS)."""

    shop_id: int
    origins: frozenset[str]


async def widget_shop(session: AsyncSession, key: str | None) -> WidgetShop:
    """The shop of a web widget's key; no key is the default shop's widget."""
    if not key:
        return WidgetShop(DEFAULT_SHOP_ID, frozenset())
    row = await session.scalar(
        select(ShopChannel).where(ShopChannel.channel == "web", ShopChannel.endpoint == key)
    )
    if row is None:
        raise NotFoundError("no shop has this widget key")
    origins = frozenset(o.strip().rstrip("/").lower() for o in row.origins.split(",") if o.strip())
    return WidgetShop(row.shop_id, origins)
