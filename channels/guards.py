"""Bot-loop and abuse guards of the messaging channels.

- Messages from the shop's own numbers and bots are never answered (`IGNORE_SENDERS`, plus
  each channel's own sender): two bots answering each other would never stop.
- A chat that writes faster than a person could (`SENDER_RATE_PER_MINUTE`, `SENDER_BURST`) is
  throttled: its messages are kept in the inbox, marked `ignored`, and not answered.
- The same bot reply is not sent a third time in a row to a chat (`hold_back_loop`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from agent import deliveries
from agent.channel import PendingReply
from agent.errors import UndeliverableError
from agent.ratelimit import RateLimiter, shared_limiter
from agent.settings import Settings

REPEATS_ALLOWED = 2
"""An identical reply may go to a chat twice in a row; the third is held back."""


async def hold_back_loop(
    session: AsyncSession, *, channel: str, reply: PendingReply, done: set[int]
) -> None:
    """Refuse (UndeliverableError) a reply that would repeat the chat's last ones once more.

    A reply some of whose parts the vendor already accepted (`done`) is finished, not held.
    """
    if done:
        return
    chat = reply.external_chat_id
    if await deliveries.repeats_last_replies(
        session,
        channel=channel,
        chat_id=chat,
        outbox_id=reply.outbox_id,
        text=reply.text,
        times=REPEATS_ALLOWED,
    ):
        raise UndeliverableError(
            f"held back: the same reply already went to {chat} "
            f"{REPEATS_ALLOWED} times in a row (bot-loop guard)"
        )


def _normal(sender: str) -> str:
    return sender.strip().lower().removeprefix("whatsapp:")


class SenderGuard:
    """Knows the shop's own senders and how fast each chat writes."""

    def __init__(self, ignore: Iterable[str] = (), *, limiter: RateLimiter | None = None) -> None:
        self._ignore = {_normal(s) for s in ignore if s.strip()}
        self._limiter = limiter

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderGuard:
        """The guard as configured; the shop's WhatsApp sender is always one of its own. The
        chats' allowances are shared by every process (in Redis) when REDIS_URL is set."""
        ignore = [s for s in settings.ignore_senders.split(",") if s.strip()]
        if settings.twilio_whatsapp_from:
            ignore.append(settings.twilio_whatsapp_from)
        limiter = shared_limiter(
            settings, settings.sender_rate_per_minute, settings.sender_burst, name="sender"
        )
        return cls(ignore, limiter=limiter)

    def own(self, sender: str | None) -> bool:
        """True for a sender that is the shop itself (never answered)."""
        return sender is not None and _normal(sender) in self._ignore

    async def too_fast(self, channel: str, chat_id: str) -> bool:
        """Spend one message of the chat's allowance; True when it has none left."""
        if self._limiter is None:
            return False
        return not (await self._limiter.hit(f"{channel}:{chat_id}")).allowed
