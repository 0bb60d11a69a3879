"""What the channels' routes take of the running product, and the keys the wiring gives it by."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from agent.errors import NotFoundError
from agent.provided import Provided
from channels.intake import Intake
from channels.odoo_livechat.integration import OdooIntegration
from channels.registry import ChannelAdapter
from channels.telegram.adapter import TelegramChannel
from channels.whatsapp.adapter import WhatsAppChannel

INTAKE = Provided("intake", Intake)
"""Where webhook and polling messages go in."""
CHANNELS: Provided[dict[str, ChannelAdapter]] = Provided("channels", dict)
"""The vendors' channels switched on, by name (channels/registry.py)."""
ODOO = Provided("odoo", OdooIntegration)
"""The Odoo integration, when switched on."""

IntakeDep = Annotated[Intake, Depends(INTAKE.get)]
ChannelsDep = Annotated[dict[str, ChannelAdapter], Depends(CHANNELS.get)]


def get_whatsapp(channels: ChannelsDep) -> WhatsAppChannel:
    """The WhatsApp channel; 404 when it is not configured."""
    channel = channels.get(WhatsAppChannel.name)
    if not isinstance(channel, WhatsAppChannel):
        raise NotFoundError("WhatsApp is not configured on this service (TWILIO_* settings)")
    return channel


def get_telegram(channels: ChannelsDep) -> TelegramChannel:
    """The Telegram channel; 404 when it is not configured."""
    channel = channels.get(TelegramChannel.name)
    if not isinstance(channel, TelegramChannel):
        raise NotFoundError("Telegram is not configured on this service (TELEGRAM_* settings)")
    return channel


WhatsAppDep = Annotated[WhatsAppChannel, Depends(get_whatsapp)]
TelegramDep = Annotated[TelegramChannel, Depends(get_telegram)]
