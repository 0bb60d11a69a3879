"""Understanding a message: the offline reader over a lexicon kept in step with the catalog."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.search import ProductIndex
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState, Understanding


class Understander:
    """Reads messages with the offline reader, rebuilt whenever the catalog index is."""

    def __init__(self, index: ProductIndex) -> None:
        self._index = index
        self._generation = -1
        self._reader = OfflineReader(Lexicon())

    async def prepare(self, session: AsyncSession) -> None:
        """Refresh the catalog index if the catalog changed, and the lexicon with it."""
        await self._index.ensure_fresh(session)
        if self._index.generation != self._generation:
            self._reader = OfflineReader(Lexicon.from_products(self._index.terms()))
            self._generation = self._index.generation

    def understand(self, text: str, state: DialogState) -> Understanding:
        """Intent, confidence and entities of `text` in the conversation's state."""
        return self._reader.understand(text, state)
