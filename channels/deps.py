"""Dependencies of the messaging channels' webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from agent.errors import ConfigurationError, NotFoundError
from channels.intake import Intake
from channels.telegram.adapter import TelegramChannel
from channels.whatsapp.adapter import WhatsAppChannel
from salesagent.deps import RuntimeDep


def get_intake(runtime: RuntimeDep) -> Intake:
    """Where webhook messages go in."""
    if runtime.intake is None:
        raise ConfigurationError("the runtime has no intake for webhook messages")
    return runtime.intake


def get_whatsapp(runtime: RuntimeDep) -> WhatsAppChannel:
    """The WhatsApp channel; 404 when it is not configured."""
    channel = runtime.channels.get(WhatsAppChannel.name)
    if not isinstance(channel, WhatsAppChannel):
        raise NotFoundError("WhatsApp is not configured on this service (TWILIO_* settings)")
    return channel


def get_telegram(runtime: RuntimeDep) -> TelegramChannel:
    """The Telegram channel; 404 when it is not configured."""
    channel = runtime.channels.get(TelegramChannel.name)
    if not isinstance(channel, TelegramChannel):
        raise NotFoundError("Telegram is not configured on this service (TELEGRAM_* settings)")
    return channel


IntakeDep = Annotated[Intake, Depends(get_intake)]
WhatsAppDep = Annotated[WhatsAppChannel, Depends(get_whatsapp)]
TelegramDep = Annotated[TelegramChannel, Depends(get_telegram)]
