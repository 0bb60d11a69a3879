"""Phases 5 and 6: the model rephrases a committed template reply, then the reply is settled.

A failure in either leaves the committed template reply, which the held outbox row delivers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.domain import DomainResult
from agent.llm.factory import LLM
from agent.llm.privacy import Redactor
from agent.llm.service import Spend
from agent.messages import TurnResult
from agent.models import Conversation, InboxItem, Message, OutboxItem, utcnow
from agent.settings import Settings
from agent.streaming import ChunkSink, word_chunks
from agent.turn.answer import Reply
from agent.turn.spend import record_spend
from agent.understanding import Reading

# Every phase of a turn logs under the engine's name, so one logger setting covers the turn.
log = logging.getLogger("agent.engine")


@dataclass(slots=True)
class PhraseJob:
    """A committed template reply that the model may rephrase before it is released."""

    outbound_id: int
    outbox_id: int
    conversation_id: int
    batch_ids: list[int]
    result: TurnResult
    facts: dict[str, Any]
    question: str
    history: str
    private: list[tuple[str, str]]
    started: float


@dataclass(frozen=True, slots=True)
class PhrasePolicy:
    """Which committed replies the model rephrases (`LLM_PHRASING`, `LLM_PHRASE_HANDLERS`)."""

    llm: LLM | None
    mode: Literal["off", "unsure", "always"]
    handlers: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings, llm: LLM | None) -> PhrasePolicy:
        """The policy the settings describe, for the model parts the runtime built."""
        handlers = frozenset(
            name.strip() for name in settings.llm_phrase_handlers.split(",") if name.strip()
        )
        return cls(llm=llm, mode=settings.llm_phrasing, handlers=handlers)

    def wanted(self, reply: Reply, reading: Reading) -> bool:
        """Whether this reply is given to the model to rephrase."""
        llm = self.llm
        if llm is None or self.mode == "off" or not llm.service.available():
            return False
        if reply.handler not in self.handlers or not reply.result.reply:
            return False
        if reply.result.handoff_reason or reply.result.order_id is not None:
            return False  # fixed wording: what happens next, or an order's confirmation
        return self.mode == "always" or reading.unsure


def phrasing_facts(domain: DomainResult, result: TurnResult) -> dict[str, Any]:
    """The handler's facts plus the products and cart the reply shows: all made by code."""
    facts: dict[str, Any] = dict(domain.facts)
    if result.products and "products" not in facts:
        facts["products"] = [p.model_dump(mode="json") for p in result.products]
    if result.cart:
        facts["cart"] = [line.model_dump(mode="json") for line in result.cart]
        facts["cart_total"] = str(result.cart_total)
    return facts


async def phrase(
    sessions: async_sessionmaker[AsyncSession],
    job: PhraseJob,
    on_chunk: ChunkSink | None,
    *,
    llm: LLM,
) -> tuple[TurnResult, bool]:
    """Rephrase and settle the job's reply; the result, and whether pieces were streamed."""
    assert job.result.reply is not None
    template = job.result.reply
    phrasing = await llm.phraser.phrase(
        template=template,
        facts=job.facts,
        language=job.result.language,
        question=job.question,
        history=job.history,
        redactor=Redactor(job.private, enabled=llm.privacy),
        on_piece=on_chunk,
    )
    streamed = bool(phrasing.given)
    if phrasing.problem:
        log.info("reply %s stays the template: %s", job.outbound_id, phrasing.problem)
    if on_chunk is not None and not streamed:
        for chunk in word_chunks(template):
            await on_chunk(chunk)
        streamed = True
    result = job.result.model_copy(update={"reply": phrasing.text})
    try:
        async with transaction(sessions) as session:
            await _settle(session, job, result, phrasing.spend)
    except Exception:  # the template is committed and its outbox row releases itself
        log.exception("settling reply %s failed; the template reply stands", job.outbound_id)
        return job.result, streamed
    return result, streamed


async def _settle(session: AsyncSession, job: PhraseJob, result: TurnResult, spend: Spend) -> None:
    outbound = await session.get(Message, job.outbound_id)
    outbox_row = await session.get(OutboxItem, job.outbox_id)
    conversation = await session.get(Conversation, job.conversation_id)
    assert outbound is not None and outbox_row is not None and conversation is not None
    outbound.text = result.reply or ""
    outbound.latency_ms = round((time.perf_counter() - job.started) * 1000, 2)
    record_spend(conversation, outbound, spend)
    outbox_row.text = result.reply or ""
    outbox_row.next_attempt_at = utcnow()
    rows = (
        await session.execute(select(InboxItem).where(InboxItem.id.in_(job.batch_ids)))
    ).scalars()
    payload = result.model_dump(mode="json")
    for row in rows:
        row.result = payload


def safe_sink(on_chunk: ChunkSink | None) -> ChunkSink | None:
    """`on_chunk` that cannot break a turn: a channel gone mid-stream stops getting pieces."""
    if on_chunk is None:
        return None
    broken = False

    async def sink(piece: str) -> None:
        nonlocal broken
        if broken:
            return
        try:
            await on_chunk(piece)
        except Exception:  # the channel's edge: the turn is committed, the outbox still delivers
            broken = True
            log.warning("a streaming channel failed mid-reply; its pieces stop", exc_info=True)

    return sink
