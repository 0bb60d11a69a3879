"""`salesagent telegram ...`: register the webhook, or take updates by polling."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Annotated, Any

import typer
from rich.console import Console

from agent.errors import ConfigurationError, SalesAgentError
from agent.i18n import count
from agent.settings import Settings, get_settings
from channels.telegram.adapter import WEBHOOK_PATH, TelegramConfig, make_bot

telegram_app = typer.Typer(help="The Telegram bot: webhook or polling.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _run(work: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(work)
    except SalesAgentError as err:
        errors.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err


def _config(settings: Settings, *, webhook: bool) -> TelegramConfig:
    config = TelegramConfig.from_settings(settings, webhook=webhook)
    if config is None:
        raise ConfigurationError("Telegram is not configured: set TELEGRAM_BOT_TOKEN")
    return config


@telegram_app.command("set-webhook")
def set_webhook(
    url: Annotated[
        str | None,
        typer.Option(help="The webhook's address (default: PUBLIC_BASE_URL + /webhooks/telegram)."),
    ] = None,
) -> None:
    """Tell Telegram to send the bot's updates to this service, with the webhook secret."""
    settings = get_settings()

    async def work() -> None:
        config = _config(settings, webhook=True)
        if url is None and not settings.public_base_url:
            raise ConfigurationError(
                "set PUBLIC_BASE_URL (the https address Telegram reaches this service at) "
                "or pass --url"
            )
        target = url or f"{str(settings.public_base_url).rstrip('/')}{WEBHOOK_PATH}"
        async with make_bot(config) as bot:
            await bot.set_webhook(target, secret_token=config.secret, allowed_updates=["message"])
            info = await bot.get_webhook_info()
        console.print(f"webhook set: {info.url or target}", highlight=False)

    _run(work())


@telegram_app.command("delete-webhook")
def delete_webhook() -> None:
    """Stop Telegram sending updates to the webhook (polling needs this; `poll` does it too)."""
    settings = get_settings()

    async def work() -> None:
        async with make_bot(_config(settings, webhook=False)) as bot:
            await bot.delete_webhook()
        console.print("webhook deleted")

    _run(work())


@telegram_app.command("poll")
def poll_updates() -> None:
    """Take the bot's updates by polling (no public address needed) and answer them."""
    from channels.telegram.adapter import TelegramChannel
    from channels.telegram.polling import poll
    from salesagent.loops import background_loops
    from salesagent.runtime import Runtime

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )

    async def work() -> None:
        _config(settings, webhook=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sign in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sign, stop.set)
        async with await Runtime.start(settings) as runtime, background_loops() as loops:
            loops.start("outbox", runtime.dispatcher.run)
            telegram = runtime.channels[TelegramChannel.name]
            assert isinstance(telegram, TelegramChannel) and runtime.intake is not None
            await runtime.intake.jobs.resume(runtime.sessions, [TelegramChannel.name])
            console.print("polling Telegram for updates; Ctrl-C stops")
            taken = await poll(telegram, runtime.intake, stop=stop)
            console.print(f"stopped after {count(taken, 'message', 'messages')}")

    _run(work())
