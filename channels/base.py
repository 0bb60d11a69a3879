"""What every channel adapter speaks: outputs that deliver replies, and a collecting double."""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Protocol


class OutputChannel(Protocol):
    """Delivers replies on one channel; richer sends fall back to `send_text`."""

    name: str

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Deliver `text` to the chat; return the vendor's message id when there is one."""
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
