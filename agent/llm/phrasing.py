"""Phrasing: the model rewrites the template reply in the shop's voice, checked as it streams.

The template reply and the facts it rests on are made by code. The model's rewrite streams to
the customer through the grounding guard; if it states a number the facts do not hold, or the
model fails, the stream stops and the template reply is the answer (`Phrasing.text`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.llm.cache import cache_key
from agent.llm.errors import LLMError
from agent.llm.grounding import Grounds, StreamGuard
from agent.llm.privacy import Redactor
from agent.llm.prompts import Shop, phrasing_prompt, top_facts
from agent.llm.service import LLMService, Spend
from agent.llm.types import Prompt
from agent.streaming import word_chunks

log = logging.getLogger(__name__)

PieceSink = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class Phrasing:
    """How a reply was phrased: its final text and what happened on the way."""

    text: str
    phrased: bool
    """True when `text` is the model's rewrite; False when it is the template."""
    given: str = ""
    """What was streamed to the customer (a prefix of `text` unless `cut`)."""
    spend: Spend = field(default_factory=Spend)
    problem: str | None = None
    """Why the template was kept (a guard finding, a model failure), if it was."""
    cached: bool = False

    @property
    def cut(self) -> bool:
        """True when pieces were streamed that the final text does not continue."""
        return bool(self.given) and not self.text.startswith(self.given)


class Phraser:
    """Streams a grounded rewrite of a template reply, or falls back to the template."""

    def __init__(
        self,
        service: LLMService,
        *,
        shop: Shop,
        timeout: float = 20.0,
        temperature: float = 0.3,
        max_output_tokens: int = 700,
        facts_tokens: int = 1200,
        top: int = 5,
    ) -> None:
        self.service = service
        self._shop = shop
        self._timeout = timeout
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens
        self._facts_tokens = facts_tokens
        self._top = top

    async def phrase(
        self,
        *,
        template: str,
        facts: dict[str, Any],
        language: str,
        question: str,
        history: str,
        redactor: Redactor,
        on_piece: PieceSink | None = None,
    ) -> Phrasing:
        """The reply to send: the model's grounded rewrite, or the template."""
        with self.service.stats.product_time():
            return await self._phrase(
                template, facts, language, question, history, redactor, on_piece
            )

    async def _phrase(
        self,
        template: str,
        facts: dict[str, Any],
        language: str,
        question: str,
        history: str,
        redactor: Redactor,
        on_piece: PieceSink | None,
    ) -> Phrasing:
        facts_text = top_facts(facts, top=self._top, budget_tokens=self._facts_tokens)
        sent_question = redactor.redact(question)
        key = cache_key(
            "phrase", self.service.model, sent_question, [language, template, facts_text]
        )
        cached: str | None = self.service.cache.get(key)
        if cached is not None:
            self.service.stats.cache_hits += 1
            given = ""
            for piece in word_chunks(cached):
                given += piece
                if on_piece is not None:
                    await on_piece(piece)
            return Phrasing(cached, True, given, cached=True)
        system, user = phrasing_prompt(
            shop=self._shop,
            language=language,
            text=sent_question,
            template=redactor.redact(template),
            facts=redactor.redact(facts_text),
            history=redactor.redact(history),
        )
        prompt = Prompt(
            system=system,
            user=user,
            temperature=self._temperature,
            max_output_tokens=self._max_output_tokens,
        )
        guard = StreamGuard(Grounds(facts, template), max_chars=max(600, 3 * len(template)))
        restorer = redactor.restorer()
        spend = Spend()
        given = ""

        async def give(text: str) -> None:
            nonlocal given
            if text:
                given += text
                if on_piece is not None:
                    await on_piece(text)

        try:
            pieces = self.service.stream("phrase", prompt, budget=self._timeout, spend=spend)
            try:
                async for piece in pieces:
                    await give(guard.feed(restorer.feed(piece)))
                    if guard.tripped:
                        break
            finally:
                await pieces.aclose()
            if not guard.tripped:
                await give(guard.feed(restorer.finish()))
                await give(guard.finish())
        except LLMError as err:
            log.warning("phrasing failed (%s); the template reply is sent", err)
            return Phrasing(template, False, given, spend, f"{type(err).__name__}: {err}")
        if guard.tripped:
            problem = "; ".join(guard.problems)
            log.warning("grounding guard stopped a phrased reply: %s", problem)
            return Phrasing(template, False, given, spend, f"grounding: {problem}")
        if not given.strip():
            return Phrasing(template, False, given, spend, "the model answered nothing")
        self.service.cache.put(key, given)
        return Phrasing(given, True, given, spend)
