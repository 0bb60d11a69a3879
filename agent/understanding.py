"""Understanding a message: the offline reader over a lexicon kept in step with the catalog,
and, when a model is configured, the model's reading of the messages the offline one is not
sure of (or of every message with `LLM_MODE=always`), validated before it is used."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.search import ProductIndex
from agent.llm.privacy import Redactor
from agent.llm.reading import ModelReader
from agent.llm.service import Spend
from agent.nlu.classifier import IntentClassifier
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState, Understanding


@dataclass(slots=True)
class Reading:
    """The understanding a turn goes on with, the offline one, and what the model cost."""

    understanding: Understanding
    offline: Understanding
    spend: Spend = field(default_factory=Spend)
    unsure: bool = False
    """The offline reading was below the confidence threshold."""
    asked_model: bool = False
    used_model: bool = False
    """The model's proposal was valid and is the understanding."""
    model_down: bool = False
    """The model was wanted but could not answer: its breaker was open or the call failed."""


class Understander:
    """Reads messages with the offline reader (the rules, and the intent classifier when there
    is one), rebuilt whenever the catalog index is."""

    def __init__(
        self,
        index: ProductIndex,
        *,
        refresh_seconds: float = 1.0,
        model: ModelReader | None = None,
        mode: Literal["fallback", "always"] = "fallback",
        threshold: float = 0.6,
        classifier: IntentClassifier | None = None,
    ) -> None:
        self._index = index
        self._classifier = classifier
        self._refresh_seconds = refresh_seconds
        self._checked_at = float("-inf")
        self._generation = -1
        self._reader = OfflineReader(Lexicon(), classifier)
        self._model = model
        self._mode = mode
        self._threshold = threshold

    async def prepare(self, session: AsyncSession) -> None:
        """Refresh the catalog index if the catalog changed, and the lexicon with it.

        The check (one read of the catalog's version row) runs at most once per `refresh_seconds`:
        a catalog change made by another process is seen within that time.
        """
        now = time.monotonic()
        if now - self._checked_at < self._refresh_seconds:
            return
        self._checked_at = now
        await self._index.ensure_fresh(session)
        if self._index.generation != self._generation:
            lexicon = Lexicon.from_products(
                self._index.terms(), self._index.kinds(), self._index.language
            )
            self._reader = OfflineReader(lexicon, self._classifier)
            self._generation = self._index.generation

    def understand(self, text: str, state: DialogState) -> Understanding:
        """Intent, confidence and entities of `text` in the conversation's state (offline)."""
        return self._reader.understand(text, state)

    def unsure(self, offline: Understanding) -> bool:
        """Whether the offline reading is below the confidence threshold."""
        return offline.confidence < self._threshold

    def wants_model(self, offline: Understanding) -> bool:
        """Whether this reading would be sent to the model (whatever the breaker says)."""
        enabled = self._model is not None and self._model.service.enabled
        return enabled and (self._mode == "always" or self.unsure(offline))

    def asks_model(self, text: str, offline: Understanding) -> bool:
        """Whether `read` would await the model for `text` read offline as `offline`."""
        return self._model is not None and bool(text.strip()) and self.wants_model(offline)

    async def read(
        self,
        text: str,
        state: DialogState,
        *,
        offline: Understanding | None = None,
        history: str = "",
        redactor: Redactor | None = None,
    ) -> Reading:
        """The understanding of `text`: the offline one, or the model's when it is asked and
        its proposal holds. Never raises for a model failure. No database work: the caller
        must not hold a write transaction open while this awaits the model."""
        offline = offline or self.understand(text, state)
        reading = Reading(offline, offline, unsure=self.unsure(offline))
        if self._model is None or not self.asks_model(text, offline):
            return reading
        reading.asked_model = True
        skipped = not self._model.service.available()  # the breaker is open
        proposal = await self._model.propose(
            text,
            state,
            offline,
            history=history,
            redactor=redactor or Redactor(enabled=False),
            spend=reading.spend,
        )
        if proposal is not None:
            reading.understanding = proposal
            reading.used_model = True
        else:
            reading.model_down = skipped or reading.spend.outages > 0
        return reading
