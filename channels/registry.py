"""The messaging channels a shop can switch on, by name; each is on when its credentials are set.

The web chat is always on and built by the runtime itself; these adapters are the vendors'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class VendorChannel:
    """A vendor's channel in the registry: its settings (None when off) and its adapter."""

    name: str
    config: Callable[[Settings], object | None]
    build: Callable[[Settings, async_sessionmaker[AsyncSession]], ChannelAdapter | None]


# The vendors' channels, in the order they are checked and built. The web chat (built by the
# runtime) and the Odoo livechat (channels/odoo_livechat/integration.py) are not adapters of
# this kind; every channel's HTTP routes are listed in channels/routes.py.
VENDOR_CHANNELS = (
    VendorChannel(
        WhatsAppChannel.name, WhatsAppConfig.from_settings, WhatsAppChannel.from_settings
    ),
    VendorChannel(
        TelegramChannel.name, TelegramConfig.from_settings, TelegramChannel.from_settings
    ),
)


def check_channels(settings: Settings) -> list[str]:
    """The channels the settings switch on; `ConfigurationError` naming a missing variable."""
    return [vendor.name for vendor in VENDOR_CHANNELS if vendor.config(settings) is not None]


def build_channels(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, ChannelAdapter]:
    """The adapters of the channels switched on."""
    adapters: dict[str, ChannelAdapter] = {}
    for vendor in VENDOR_CHANNELS:
        adapter = vendor.build(settings, sessions)
        if adapter is not None:
            adapters[adapter.name] = adapter
    return adapters
