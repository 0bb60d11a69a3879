"""Phase 4, commit (one transaction): the turn's messages, reply, outbox row and inbox rows.

Once committed a turn is never run again: a retried delivery gets the stored result.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import memory, outbox
from agent.domain import DomainHandler, DomainResult
from agent.handoff import HandoffPolicy
from agent.leads.changes import LeadChanged
from agent.leads.policy import lead_policy
from agent.leads.track import TurnSeen, track_turn
from agent.messages import TurnResult
from agent.models import (
    Conversation,
    Direction,
    InboxItem,
    InboxStatus,
    Message,
    OutboxItem,
    Owner,
    utcnow,
)
from agent.nlu.types import Understanding
from agent.settings import Settings
from agent.turn import quoting
from agent.turn.answer import Reply, answer, photo_for_person
from agent.turn.approval import after_answer, ask_approval
from agent.turn.conversation import find_locked, pending_offer
from agent.turn.phrase import PhraseJob, PhrasePolicy, phrasing_facts
from agent.turn.plan import Loaded, Plan
from agent.turn.private_data import entity_values, private_values
from agent.turn.refunds import ask_refund
from agent.turn.results import finish, turn_result
from agent.turn.spend import record_spend
from agent.turn.understand import Understood
from agent.voice import unheard_reply

SETTLE_MARGIN_SECONDS = 15.0
_TOPICS = ("inventory", "purchase", "company", "customer")
"""Intents a follow-up may continue; thanks or a misunderstanding keep the topic before them."""
"""How long past the phrasing timeout a held reply waits before the outbox sends it anyway."""


@dataclass(frozen=True, slots=True)
class Committed:
    """A committed turn, as the staff console and its notifications hear of it."""

    conversation_id: int
    channel: str
    external_chat_id: str
    owner: Owner
    handoff_reason: str | None = None
    """Set when this turn handed the conversation to a person."""
    bot_replied: bool = False
    lead: LeadChanged | None = None
    """The lead this turn made or changed."""


TurnListener = Callable[[Committed], Awaitable[None]]


@dataclass(slots=True)
class Turn:
    """A committed turn: its result, the reply's outbox row, and the phrasing still to do."""

    result: TurnResult
    outbox_id: int | None = None
    phrase: PhraseJob | None = None
    committed: Committed | None = None


class AlreadyDone(Exception):
    """Another worker took the batch between the read and the commit phase."""


async def commit(
    session: AsyncSession,
    plan: Plan,
    understood: Understood,
    *,
    started: float,
    settings: Settings,
    handoff: HandoffPolicy,
    handlers: Mapping[str, DomainHandler],
    phrasing: PhrasePolicy,
    loaded: Loaded | None = None,
) -> Turn:
    """Write the turn: its messages and, in a chat the bot owns, the reply and its outbox row.

    `loaded`: the read phase's rows when it ran in this same transaction (nothing can have
    changed them); otherwise they are read again, the batch checked to be still pending.
    """
    rows = loaded or await _reload(session, plan, settings)
    batch, conversation, history = rows.batch, rows.conversation, rows.history
    now = utcnow()
    sale = memory.expire_if_idle(
        conversation, rows.sale, now=now, idle=timedelta(hours=settings.session_idle_hours)
    )
    understanding = understood.reading.understanding
    previous_activity = conversation.last_activity_at
    await _store_inbound(session, conversation, batch, understood, now=now)
    committed = Committed(
        conversation.id, conversation.channel, conversation.external_chat_id, conversation.owner
    )
    if conversation.owner != Owner.BOT:
        await session.flush()
        result = turn_result(conversation, sale, understanding, None, None)
        finish(batch, InboxStatus.DONE, result)
        return Turn(result, committed=committed)

    if understood.needs_person:
        reply = await photo_for_person(
            session, handoff, conversation, understanding.language, understood.text
        )
    elif plan.unheard is not None:  # a voice note that could not be understood
        said = unheard_reply(
            plan.unheard, plan.state.language, max_seconds=settings.voice_max_seconds
        )
        reply = Reply(DomainResult(reply=said), "voice")
    elif refund := await ask_refund(
        session, conversation, understood, handoff=handoff, settings=settings
    ):
        reply = refund
    elif asked := await ask_approval(
        session, conversation, sale, understood.text, understanding, settings=settings
    ):
        reply = asked
    elif quoted := await quoting.ask_quote(
        session, conversation, sale, understood.text, understanding, settings=settings
    ):
        reply = quoted
    else:
        reply = await answer(
            session,
            conversation,
            sale,
            understood,
            history,
            pending_offer(conversation),
            handoff=handoff,
            handlers=handlers,
        )
        reply = await after_answer(
            session, conversation, reply, understood.text, understanding.language, settings=settings
        )
        reply = await quoting.after_answer(
            session, conversation, reply, understood.text, understanding, settings=settings
        )
    sale = reply.result.sale or sale
    _remember(conversation, reply.result, understanding)
    lead = await track_turn(
        session,
        conversation,
        TurnSeen(
            understood.text,
            understanding,
            sale,
            reply.result.products,
            reply.result.focus,
            reply.result.order_id,
        ),
        previous_activity=previous_activity,
        now=now,
        policy=lead_policy(settings),
    )
    phrase = phrasing.wanted(reply, understood.reading)
    hold = settings.llm_phrasing_timeout + SETTLE_MARGIN_SECONDS if phrase else 0.0
    outbound, outbox_row = await _write_reply(
        session, conversation, reply, understanding, started=started, hold=hold, now=now
    )
    result = turn_result(conversation, sale, understanding, reply.result, reply.result.reply)
    finish(batch, InboxStatus.DONE, result)
    committed = replace(
        committed,
        owner=conversation.owner,
        handoff_reason=reply.handed_off,
        bot_replied=True,
        lead=lead,
    )
    if not phrase:
        return Turn(result, outbox_row.id, committed=committed)
    job = PhraseJob(
        outbound_id=outbound.id,
        outbox_id=outbox_row.id,
        conversation_id=conversation.id,
        batch_ids=plan.batch_ids,
        result=result,
        facts=phrasing_facts(reply.result, result),
        question=understood.text,
        history=plan.history,
        private=private_values(conversation, sale) + entity_values(understanding),
        started=started,
    )
    return Turn(result, outbox_row.id, job, committed)


async def _store_inbound(
    session: AsyncSession,
    conversation: Conversation,
    batch: list[InboxItem],
    understood: Understood,
    *,
    now: datetime,
) -> None:
    """The batch's messages as the conversation's inbound rows, with the turn's reading."""
    understanding = understood.reading.understanding
    inbound = [
        Message(
            conversation_id=conversation.id,
            direction=Direction.INBOUND,
            text=row.text,
            media=row.media,
            intent=understanding.intent,
            confidence=understanding.confidence,
        )
        for row in batch
    ]
    session.add_all(inbound)
    await session.flush()  # the messages first: a handoff or reply they cause comes after
    conversation.last_activity_at = now
    names = [row.sender_name for row in batch if row.sender_name]
    if names:  # a customer may change their profile name: the newest wins
        conversation.contact_name = names[-1]
    conversation.language = understanding.language
    record_spend(conversation, inbound[-1], understood.spend)


def _remember(
    conversation: Conversation, result: DomainResult, understanding: Understanding
) -> None:
    """Keep the reply's offer, the products it showed, the product in focus (and what the
    reply before was about) and the topic answered, for the next turn's reading ("¿y el de
    20?", "¿y el domingo?", "5 de cada uno")."""
    # An offer lasts one turn: the next message either takes it or moves on.
    conversation.context = {
        **{k: v for k, v in conversation.context.items() if k != "offer"},
        **({"offer": asdict(result.offer)} if result.offer else {}),
    }
    if understanding.top in _TOPICS:
        conversation.context = {**conversation.context, "topic": understanding.intent}
    if result.products:
        focus = result.focus or (result.products[0] if len(result.products) == 1 else None)
        shown = [p.sku for p in result.products]
        focused = conversation.context.get("focus_sku")
        before = [focused] if focused else list(conversation.context.get("last_products", []))
        conversation.context = {
            **conversation.context,
            # "and orange?" then "5 of each": what the reply before this one was about.
            "earlier_products": before if before != shown else [],
            "last_products": shown,
            "focus": (focus or result.products[0]).name,
            "focus_sku": focus.sku if focus is not None else None,
        }


async def _write_reply(
    session: AsyncSession,
    conversation: Conversation,
    reply: Reply,
    understanding: Understanding,
    *,
    started: float,
    hold: float,
    now: datetime,
) -> tuple[Message, OutboxItem]:
    """The reply's message row and its outbox row, held back `hold` seconds (for phrasing)."""
    latency_ms = (time.perf_counter() - started) * 1000
    outbound = Message(
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        text=reply.result.reply,
        intent=understanding.intent,
        confidence=understanding.confidence,
        handler=reply.handler,
        latency_ms=round(latency_ms, 2),
    )
    send_at = now + timedelta(seconds=hold)
    return outbound, await outbox.queue(session, conversation, outbound, send_at=send_at)


async def _reload(session: AsyncSession, plan: Plan, settings: Settings) -> Loaded:
    """The read phase's rows again, in the commit's transaction, the conversation locked."""
    batch = await _pending_rows(session, plan.batch_ids)
    first = batch[0]
    conversation = await find_locked(session, first.channel, first.external_chat_id)
    if conversation is None:
        raise LookupError(f"the conversation of {first.channel}/{first.external_chat_id} is gone")
    sale = await memory.current_sale(session, conversation.id)
    history = await memory.recent_messages(session, conversation.id, settings.memory_messages)
    return Loaded(batch, conversation, sale, history)


async def _pending_rows(session: AsyncSession, ids: list[int]) -> list[InboxItem]:
    """The batch's inbox rows, fresh; `AlreadyDone` if any of them is no longer pending."""
    rows = list(
        (
            await session.execute(
                select(InboxItem)
                .where(InboxItem.id.in_(ids))
                .order_by(InboxItem.id)
                .execution_options(populate_existing=True)
            )
        ).scalars()
    )
    if len(rows) != len(ids) or any(r.status != InboxStatus.PENDING for r in rows):
        raise AlreadyDone
    return rows
