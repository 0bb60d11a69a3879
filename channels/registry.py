"""The messaging channels a shop can switch on, by name; each is on when its credentials are set.

The web chat is always on and built by the runtime itself; these adapters are the vendors'.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.channel import TrackedOutput
from agent.settings import Settings
from channels.telegram.adapter import TelegramChannel, TelegramConfig
from channels.whatsapp.adapter import WhatsAppChannel, WhatsAppConfig


class ChannelAdapter(Protocol):
    """A vendor channel: its output for the outbox, its media with its credentials."""

    name: str

    @property
    def output(self) -> TrackedOutput:
        """Delivers the outbox's replies."""
        ...

    async def fetch_media(self, url: str, *, max_bytes: int) -> bytes:
        """A media file the vendor keeps for a received message."""
        ...

    async def start(self) -> None:
        """Check what can be checked with the vendor at start-up."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def check_channels(settings: Settings) -> list[str]:
    """The channels the settings switch on; `ConfigurationError` naming a missing variable."""
    enabled = []
    if WhatsAppConfig.from_settings(settings) is not None:
        enabled.append(WhatsAppChannel.name)
    if TelegramConfig.from_settings(settings) is not None:
        enabled.append(TelegramChannel.name)
    return enabled


def build_channels(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, ChannelAdapter]:
    """The adapters of the channels switched on."""
    adapters: dict[str, ChannelAdapter] = {}
    whatsapp = WhatsAppChannel.from_settings(settings, sessions)
    if whatsapp is not None:
        adapters[whatsapp.name] = whatsapp
    telegram = TelegramChannel.from_settings(settings, sessions)
    if telegram is not None:
        adapters[telegram.name] = telegram
    return adapters
