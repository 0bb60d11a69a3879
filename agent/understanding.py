"""Understanding a message: the offline reader over a lexicon kept in step with the catalog."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.search import ProductIndex
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState, Understanding


class Understander:
    """Reads messages with the offline reader, rebuilt whenever the catalog index is."""

    def __init__(self, index: ProductIndex, *, refresh_seconds: float = 1.0) -> None:
        self._index = index
        self._refresh_seconds = refresh_seconds
        self._checked_at = float("-inf")
        self._generation = -1
        self._reader = OfflineReader(Lexicon())

    async def prepare(self, session: AsyncSession) -> None:
        """Refresh the catalog index if the catalog changed, and the lexicon with it.

        The check (a query over the products table) runs at most once per `refresh_seconds`:
        a catalog change made by another process is seen within that time.
        """
        now = time.monotonic()
        if now - self._checked_at < self._refresh_seconds:
            return
        self._checked_at = now
        await self._index.ensure_fresh(session)
        if self._index.generation != self._generation:
            self._reader = OfflineReader(Lexicon.from_products(self._index.terms()))
            self._generation = self._index.generation

    def understand(self, text: str, state: DialogState) -> Understanding:
        """Intent, confidence and entities of `text` in the conversation's state."""
        return self._reader.understand(text, state)
