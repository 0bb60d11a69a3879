"""The provider of a shop without a model: the offline path answers every turn."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from agent.llm.errors import LLMUnavailable
from agent.llm.types import Completion, Prompt, StreamPiece


class OfflineProvider:
    """No model: never called by the service, which skips it (`LLMService.enabled`)."""

    name = "offline"
    model = "none"
    multimodal = False
    remote = False

    async def complete(self, prompt: Prompt, *, http_timeout: float) -> Completion:
        """There is no model to ask."""
        raise LLMUnavailable("no model is configured (LLM_PROVIDER=offline)")

    def stream(self, prompt: Prompt, *, http_timeout: float) -> AsyncGenerator[StreamPiece, None]:
        """There is no model to ask."""
        raise LLMUnavailable("no model is configured (LLM_PROVIDER=offline)")

    async def check(self) -> None:
        """Always fine: nothing to reach."""

    async def close(self) -> None:
        """Nothing to release."""
