"""What every channel adapter speaks: outputs that deliver replies, and a collecting double."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class OutputChannel(Protocol):
    """Delivers replies on one channel; richer sends fall back to `send_text`."""

    name: str

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Deliver `text` to the chat; return the vendor's message id when there is one."""
        ...


@dataclass(frozen=True, slots=True)
class PendingReply:
    """One outbox row to deliver: its id lets an output send a long reply in parts, once each."""

    outbox_id: int
    external_chat_id: str
    text: str


@runtime_checkable
class TrackedOutput(OutputChannel, Protocol):
    """An output that records what the vendor accepted for each outbox row (WhatsApp, Telegram).

    The outbox calls `deliver` instead of `send_text`; raising `RetryableError` retries the row
    later (parts already accepted are not sent again), `UndeliverableError` fails it for good.
    """

    async def deliver(self, reply: PendingReply) -> None:
        """Send the row's text, skipping the parts the vendor already accepted."""
        ...


class CollectingOutput:
    """Keeps delivered replies in memory: the CLI and HTTP API channel, and the test double."""

    def __init__(self, name: str, *, keep: int = 50) -> None:
        self.name = name
        self._keep = keep
        self.sent: defaultdict[str, deque[str]] = defaultdict(lambda: deque(maxlen=self._keep))

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Record the reply under its chat."""
        self.sent[external_chat_id].append(text)
        return None
