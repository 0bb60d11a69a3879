"""`salesagent shop ...`: the shops of the deployment and their channels (README "Shops")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from agent.db import create_engine, create_sessionmaker, transaction
from agent.errors import InvalidInputError
from agent.migrate import upgrade_async
from agent.models import Shop
from agent.settings import Settings, get_settings
from agent.shops.directory import (
    Endpoint,
    connect,
    create_shop,
    endpoints,
    find_shop,
    list_shops,
    whatsapp_endpoint,
)

shop_app = typer.Typer(
    help="Shops (tenants) of this deployment, and which channel endpoints are each shop's.",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Coroutine[Any, Any, T]]) -> T:
    """Run `work` in one transaction on the migrated database."""
    settings = get_settings()

    async def migrated() -> T:
        await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url)
        try:
            async with transaction(create_sessionmaker(db)) as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(migrated())


def _setting(value: str | None, default: object) -> str:
    return value if value else f"{default} (deployment)"


@shop_app.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="A short name: lower-case letters, digits, -.")],
    name: Annotated[str, typer.Option(help="The shop's name, as customers see it.")],
    currency: Annotated[str | None, typer.Option(help="ISO 4217 (default: CURRENCY).")] = None,
    language: Annotated[
        str | None, typer.Option(help="es or en (default: DEFAULT_LANGUAGE).")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="Default: SHOP_TIMEZONE.")] = None,
    company_file: Annotated[
        str | None, typer.Option(help="Its company facts (YAML; default: COMPANY_FILE).")
    ] = None,
) -> None:
    """Create a shop; the settings not given are the deployment's."""
    if language not in (None, "es", "en"):
        raise InvalidInputError("--language is es or en")
    shop = _run(
        lambda s: create_shop(
            s,
            slug=slug,
            name=name,
            currency=currency,
            language=language,
            timezone=timezone,
            company_file=company_file,
        )
    )
    console.print(f"shop {shop.id} {shop.slug!r} ({shop.name}) created", highlight=False)


@shop_app.command("list")
def list_all() -> None:
    """List the shops: id, slug, name, currency, language."""
    settings = get_settings()
    table = Table("id", "slug", "name", "currency", "language")
    for shop in _run(list_shops):
        table.add_row(
            str(shop.id),
            shop.slug,
            shop.name,
            shop.currency or settings.currency,
            shop.language or settings.default_language,
        )
    console.print(table)


@shop_app.command("show")
def show(shop: Annotated[str, typer.Argument(help="The shop's slug or id.")]) -> None:
    """Show a shop's settings and its channel endpoints."""

    async def work(session: AsyncSession) -> tuple[Shop, list[tuple[str, str, str]]]:
        found = await find_shop(session, shop)
        rows = [(c.channel, c.endpoint, c.origins) for c in await endpoints(session, found)]
        return found, rows

    found, rows = _run(work)
    _print_shop(found, rows, get_settings())


def _print_shop(shop: Shop, rows: list[tuple[str, str, str]], settings: Settings) -> None:
    lines = [
        f"shop {shop.id} {shop.slug!r}: {shop.name}",
        f"currency: {_setting(shop.currency, settings.currency)}",
        f"language: {_setting(shop.language, settings.default_language)}",
        f"timezone: {_setting(shop.timezone, settings.shop_timezone)}",
        f"company file: {_setting(shop.company_file, settings.company_file)}",
    ]
    for line in lines:
        console.print(line, highlight=False, markup=False)
    if not rows:
        console.print("channels: none connected", highlight=False)
    for channel, endpoint, origins in rows:
        sites = f" (sites: {origins})" if origins else ""
        console.print(f"{channel}: {endpoint}{sites}", highlight=False, markup=False)


@shop_app.command("connect")
def connect_channel(
    shop: Annotated[str, typer.Argument(help="The shop's slug or id.")],
    whatsapp: Annotated[
        str | None, typer.Option(help="Its WhatsApp number (Twilio's To), e.g. +573001234567.")
    ] = None,
    telegram_bot: Annotated[
        str | None, typer.Option(help="Its Telegram bot's id (the token's part before ':').")
    ] = None,
    widget_key: Annotated[
        str | None, typer.Option(help="The key its web widget is embedded with.")
    ] = None,
    widget_origin: Annotated[
        list[str] | None,
        typer.Option(help="A site that may embed its widget (repeat for several)."),
    ] = None,
    odoo_db: Annotated[str | None, typer.Option(help="Its Odoo database.")] = None,
) -> None:
    """Make channel endpoints the shop's: messages to them are the shop's from now on."""
    chosen: list[Endpoint] = []
    if whatsapp:
        chosen.append(Endpoint("whatsapp", whatsapp_endpoint(whatsapp)))
    if telegram_bot:
        chosen.append(Endpoint("telegram", telegram_bot.split(":", 1)[0]))
    if widget_key:
        chosen.append(Endpoint("web", widget_key, tuple(widget_origin or ())))
    elif widget_origin:
        raise InvalidInputError("--widget-origin goes with --widget-key")
    if odoo_db:
        chosen.append(Endpoint("odoo", odoo_db))
    if not chosen:
        raise InvalidInputError("say what to connect: --whatsapp, --telegram-bot, --widget-key...")

    async def work(session: AsyncSession) -> Shop:
        found = await find_shop(session, shop)
        for endpoint in chosen:
            await connect(session, found, endpoint)
        return found

    found = _run(work)
    for endpoint in chosen:
        console.print(
            f"{endpoint.channel} {endpoint.endpoint} is shop {found.slug!r}'s", highlight=False
        )
