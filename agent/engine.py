"""The turn engine: inbox → ownership gate → understanding → handler → one committed reply.

A turn runs in phases so that no model call ever waits inside a database write transaction
(on SQLite a transaction holds the database's write lock from BEGIN: a model call of seconds
inside one would stall every other conversation):

1. **Store** (its own short transaction): the inbox keeps the message, deduplicated by
   `(channel, external_message_id)`, before anything else happens.
2. **Read** (one short transaction, no model): under the conversation's lock, the pending
   messages of the chat become the turn's batch; the conversation row is created if new; the
   sale, the recent messages and the offline reading are taken. Nothing the turn decides is
   written yet.
3. **Understand** (no transaction): a photo is read by a multimodal model, and the model is
   asked for a reading when the offline one is unsure (`LLM_MODE`). Any failure degrades to
   the offline reading.
4. **Commit** (one transaction): the batch is checked to be still pending, the handler runs,
   and the inbound messages, the sale's new state, the template reply, the outbox row and the
   inbox rows marked done are committed together. This is the turn: once committed it is
   never run again (a retried delivery gets the stored result), and before it nothing was
   written, so a failure anywhere before leaves the batch pending and a later turn takes it.
5. **Phrase** (no transaction, optional, `LLM_PHRASING`): the model rewrites the committed
   template reply from the handler's facts, streamed through the grounding guard. While it
   runs, the reply's outbox row is held back (`next_attempt_at` in the future).
6. **Settle** (one short transaction): the phrased text replaces the template in the same
   message, outbox and inbox rows, the model spend is added, and the outbox row is released.
   If the process dies before this, the held outbox row is released by time and delivers the
   template reply: the customer is answered once, never twice, never not at all.

Per-conversation order is kept because phases 2 to 6 run under the conversation's lock.

Ownership (`agent/handoff.py`): only a conversation the bot owns gets a bot reply; while it
waits for a person or a person has it, the customer's messages are stored (and shown to staff)
and `reply` is None. In a bot turn the handoff triggers (`agent/handoff_triggers.py`) are
checked before the handler (an explicit request, a complaint, frustration, the model down while
the offline reading is unsure) and after it (a request the handler cannot serve, the same
misunderstanding twice in a row, a cart above the set amount); a trigger moves the conversation
to `waiting_human` with its reason and the customer is told what happens. After the commit the
`listener` hears of the turn (the staff console's live list).

Streaming (`on_chunk`): the reply is given in pieces as it is produced; normally the pieces
concatenate to `result.reply`. When the guard stops a phrased stream (an ungrounded number) or
the model fails after some pieces were given, no further pieces come and `result.reply` (the
template reply) is the authoritative reply: a channel that streamed pieces shows
`result.reply` in their place whenever the two differ.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import handoff_triggers, inbox, memory
from agent.db import insert_ignore, transaction
from agent.handoff import HandoffPolicy
from agent.i18n import say
from agent.llm.factory import LLM
from agent.llm.images import as_message
from agent.llm.privacy import Redactor
from agent.llm.prompts import Line, recent
from agent.llm.service import Spend
from agent.llm.types import ImagePart
from agent.locks import KeyedLocks
from agent.messages import CartLine, InboundMessage, ProductRef, TurnResult
from agent.models import (
    Conversation,
    Direction,
    InboxItem,
    InboxStatus,
    Message,
    OutboxItem,
    Owner,
    Sale,
    SaleState,
    utcnow,
)
from agent.nlu.types import DialogState, Understanding
from agent.outbox import OutboxDispatcher
from agent.settings import Settings
from agent.streaming import ChunkSink, word_chunks
from agent.understanding import Reading, Understander
from agent.voice import PendingNote, VoiceNotes, pending_notes, unheard, unheard_reply
from rag_domains.base import DomainHandler, DomainResult, Offer, TurnContext

log = logging.getLogger(__name__)

ROUTES = {
    "inventory": "inventory",
    "purchase": "sales",
    "customer": "customers",
    "company": "company",
    "smalltalk": "smalltalk",
    "other": "smalltalk",
}
"""Which handler answers each top-level intent (`handoff` is the engine's own)."""

IMAGE_HANDOFF_REASON = "image_needs_person"
PRIVATE_FIELDS = ("national_id", "phone", "email", "address")
SETTLE_MARGIN_SECONDS = 15.0
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


TurnListener = Callable[[Committed], Awaitable[None]]


@dataclass(slots=True)
class _Reply:
    result: DomainResult
    handler: str
    handed_off: str | None = None
    """The reason, when this reply handed the conversation to a person."""


@dataclass(slots=True)
class _Plan:
    """What the read phase learned, before any model is asked."""

    batch_ids: list[int]
    text: str
    images: list[dict[str, Any]]
    state: DialogState
    offline: Understanding
    bot_owned: bool
    history: str
    private: list[tuple[str, str]]
    voice: list[PendingNote] = field(default_factory=list)
    """Voice notes of the batch still to be transcribed (agent/voice)."""
    unheard: str | None = None
    """Why a voice note could not be understood, when the batch has no other text."""


@dataclass(slots=True)
class _Understood:
    """The understanding phase's outcome: the reading, and whether a person must look."""

    reading: Reading
    text: str
    needs_person: bool = False
    spend: Spend = field(default_factory=Spend)
    """Model spend of the phase (photo and reading)."""


@dataclass(slots=True)
class _PhraseJob:
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


@dataclass(slots=True)
class _Turn:
    result: TurnResult
    outbox_id: int | None = None
    phrase: _PhraseJob | None = None
    committed: Committed | None = None


class _AlreadyDone(Exception):
    """Another worker took the batch between the read and the commit phase."""


def clean_text(text: str, limit: int) -> str:
    """Drop control characters (keeping line breaks) and cut the text at `limit` characters."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    return kept[:limit]


class TurnEngine:
    """Runs customer messages through the pipeline, one turn at a time per conversation."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        understander: Understander,
        handlers: Mapping[str, DomainHandler],
        dispatcher: OutboxDispatcher | None = None,
        llm: LLM | None = None,
        voice: VoiceNotes | None = None,
        handoff: HandoffPolicy | None = None,
        listener: TurnListener | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._understander = understander
        self._handlers = handlers
        self._dispatcher = dispatcher
        self._llm = llm
        self._voice = voice
        self._handoff = handoff or HandoffPolicy.from_settings(settings)
        self._listener = listener
        self._phrase_handlers = frozenset(
            name.strip() for name in settings.llm_phrase_handlers.split(",") if name.strip()
        )
        self._locks = KeyedLocks()
        # Admission control: a burst of hundreds of chats queues here, in memory, instead of
        # queueing on the connection pool, where a turn would fail after the pool's timeout.
        self._capacity = asyncio.Semaphore(settings.max_parallel_turns)
        self._deliveries: set[asyncio.Task[bool]] = set()

    @property
    def understander(self) -> Understander:
        """The understanding layer the engine reads messages with."""
        return self._understander

    @property
    def llm(self) -> LLM | None:
        """The model parts, when the runtime built them."""
        return self._llm

    async def handle(
        self, message: InboundMessage, *, on_chunk: ChunkSink | None = None
    ) -> TurnResult:
        """Store the message, run its turn (or join the turn that merged it) and return the result.

        The same `(channel, external_message_id)` delivered again returns the first result.
        With `on_chunk`, the reply is also given piece by piece as it is produced; the pieces
        concatenate to `result.reply`, except when a phrased stream was stopped part-way (see
        the module's docstring): `result.reply` is always the authoritative reply.
        """
        result, streamed = await self._handle(message, on_chunk)
        if on_chunk is not None and result.reply and not streamed:
            for chunk in word_chunks(result.reply):
                await on_chunk(chunk)
        return result

    async def _handle(
        self, message: InboundMessage, on_chunk: ChunkSink | None
    ) -> tuple[TurnResult, bool]:
        async with transaction(self._sessions) as session:
            row, _created = await inbox.store(session, message)
        if row.status != InboxStatus.PENDING and row.result is not None:
            return TurnResult.model_validate(row.result), False
        async with (
            self._locks.hold((message.channel, message.external_chat_id)),
            self._capacity,
        ):
            return await self._drain(message, on_chunk)

    async def _drain(
        self, message: InboundMessage, on_chunk: ChunkSink | None
    ) -> tuple[TurnResult, bool]:
        stored = await self._stored_result(message)
        if stored is not None:
            # An earlier turn merged this message into its burst while we waited.
            return stored, False
        started = time.perf_counter()
        try:
            plan = await self._read(message)
            for _ in range(3):
                # Voice notes become text before the turn reads them (agent/voice/notes.py): no
                # transaction is open and the model runs in its worker process, off the loop. A
                # note that arrived meanwhile is heard on the next pass.
                if plan is None or not plan.voice or self._voice is None:
                    break
                await self._voice.transcribe(plan.voice, hint=plan.state.language)
                plan = await self._read(message)
            if plan is None:
                return await self._stored_result_or_fail(message), False
            understood = await self._understand(plan)
            async with transaction(self._sessions) as session:
                turn = await self._commit(session, plan, understood, started)
        except _AlreadyDone:
            return await self._stored_result_or_fail(message), False
        except Exception as err:  # the outer edge of a turn: logged, the customer still answered
            log.exception("turn failed for %s/%s", message.channel, message.external_chat_id)
            return await self._fail(message, err), False
        result, streamed = turn.result, False
        if turn.phrase is not None:
            result, streamed = await self._phrase(turn.phrase, _safe_sink(on_chunk))
        if turn.committed is not None and self._listener is not None:
            try:
                await self._listener(turn.committed)
            except Exception:  # the turn is committed; a listener's failure must not undo it
                log.exception("turn listener failed for %s", message.external_chat_id)
        if turn.outbox_id is not None and self._dispatcher is not None:
            self._deliver_soon(turn.outbox_id)
        return result, streamed

    async def _stored_result(self, message: InboundMessage) -> TurnResult | None:
        async with self._sessions() as session:
            mine = await inbox.find(session, message.channel, message.external_message_id)
        return TurnResult.model_validate(mine.result) if mine.result is not None else None

    async def _stored_result_or_fail(self, message: InboundMessage) -> TurnResult:
        stored = await self._stored_result(message)
        if stored is not None:
            return stored
        return await self._fail(message, RuntimeError("the message's turn was not found"))

    # Phase 2: read, no model.
    async def _read(self, message: InboundMessage) -> _Plan | None:
        settings = self._settings
        async with transaction(self._sessions) as session:
            batch = await inbox.pending_for_chat(session, message.channel, message.external_chat_id)
            if not batch:
                return None
            conversation = await self._conversation(
                session, message.channel, message.external_chat_id
            )
            sale = await memory.current_sale(session, conversation.id)
            idle = utcnow() - conversation.last_activity_at > timedelta(
                hours=settings.session_idle_hours
            )
            history = await memory.recent_messages(
                session, conversation.id, settings.memory_messages
            )
            await self._understander.prepare(session)
            text = clean_text("\n".join(r.text for r in batch), settings.max_message_chars)
            offer = _pending_offer(conversation)
            state = self._dialog_state(conversation, None if idle else sale, offer)
            if idle:
                state.last_products = []
            offline = self._understander.understand(text, state)
            private = _private_values(conversation, sale)
            lines = [
                Line("cliente" if m.direction == Direction.INBOUND else "tienda", m.text)
                for m in history
            ]
        budget = settings.llm_history_tokens
        return _Plan(
            batch_ids=[r.id for r in batch],
            text=text,
            images=[m for r in batch for m in r.media if m.get("kind") == "image"],
            state=state,
            offline=offline,
            bot_owned=conversation.owner == Owner.BOT,
            history=recent(lines, budget) if budget else "",
            private=private,
            voice=pending_notes(batch),
            unheard=unheard(batch, text),
        )

    # Phase 3: understand; the model may be called, no transaction is open.
    async def _understand(self, plan: _Plan) -> _Understood:
        text, offline = plan.text, plan.offline
        spend = Spend()
        needs_person = False
        if plan.images and plan.bot_owned:
            read = await self._read_images(plan, spend)
            if read is None:
                needs_person = True
            else:
                text = clean_text(read, self._settings.max_message_chars)
                offline = self._understander.understand(text, plan.state)
        if not plan.bot_owned or needs_person:
            return _Understood(Reading(offline, offline), text, needs_person, spend)
        redactor = self._redactor(plan.private, offline)
        reading = await self._understander.read(
            text, plan.state, offline=offline, history=plan.history, redactor=redactor
        )
        spend.add(reading.spend)
        return _Understood(reading, text, False, spend)

    async def _read_images(self, plan: _Plan, spend: Spend) -> str | None:
        """The photos as the text a customer would have written, or None: a person must look."""
        llm = self._llm
        if llm is None or not llm.images.available:
            return None
        found = []
        for media in plan.images:
            image = await _load_image(media, self._settings.max_image_bytes)
            if image is None:
                return None
            products = await llm.images.read(image, caption=plan.text, spend=spend)
            if not products:
                return None
            found.extend(products)
        return as_message(found, plan.text, plan.state.language)

    # Phase 4: commit the turn.
    async def _commit(
        self, session: AsyncSession, plan: _Plan, understood: _Understood, started: float
    ) -> _Turn:
        settings = self._settings
        batch = await _pending_rows(session, plan.batch_ids)
        first = batch[0]
        conversation = await self._conversation(session, first.channel, first.external_chat_id)
        now = utcnow()
        sale = memory.expire_if_idle(
            conversation,
            await memory.current_sale(session, conversation.id),
            now=now,
            idle=timedelta(hours=settings.session_idle_hours),
        )
        history = await memory.recent_messages(session, conversation.id, settings.memory_messages)
        inbound = [
            Message(
                conversation_id=conversation.id,
                direction=Direction.INBOUND,
                text=row.text,
                media=row.media,
            )
            for row in batch
        ]
        session.add_all(inbound)
        await session.flush()  # the messages first: a handoff or reply they cause comes after
        conversation.last_activity_at = now
        names = [row.sender_name for row in batch if row.sender_name]
        if names:  # a customer may change their profile name: the newest wins
            conversation.contact_name = names[-1]
        understanding = understood.reading.understanding
        conversation.language = understanding.language
        for message in inbound:
            message.intent = understanding.intent
            message.confidence = understanding.confidence
        _record_spend(conversation, inbound[-1], understood.spend)

        committed = Committed(
            conversation.id, conversation.channel, conversation.external_chat_id, conversation.owner
        )
        if conversation.owner != Owner.BOT:
            await session.flush()
            result = self._result(conversation, sale, understanding, None, None)
            self._finish(batch, InboxStatus.DONE, result)
            return _Turn(result, committed=committed)

        offer = _pending_offer(conversation)
        if understood.needs_person:
            reply = await self._image_for_person(
                session, conversation, understanding.language, understood.text
            )
        elif plan.unheard is not None:  # a voice note that could not be understood
            said = unheard_reply(
                plan.unheard, plan.state.language, max_seconds=settings.voice_max_seconds
            )
            reply = _Reply(DomainResult(reply=said), "voice")
        else:
            reply = await self._answer(session, conversation, sale, understood, history, offer)
        sale = reply.result.sale or sale
        # An offer lasts one turn: the next message either takes it or moves on.
        conversation.context = {
            **{k: v for k, v in conversation.context.items() if k != "offer"},
            **({"offer": asdict(reply.result.offer)} if reply.result.offer else {}),
        }
        if reply.result.products:
            conversation.context = {
                **conversation.context,
                "last_products": [p.sku for p in reply.result.products],
            }
        phrase = self._should_phrase(reply, understood.reading)
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
        session.add(outbound)
        await session.flush()
        hold = settings.llm_phrasing_timeout + SETTLE_MARGIN_SECONDS if phrase else 0.0
        outbox_row = OutboxItem(
            conversation_id=conversation.id,
            message_id=outbound.id,
            channel=conversation.channel,
            external_chat_id=conversation.external_chat_id,
            text=reply.result.reply,
            next_attempt_at=now + timedelta(seconds=hold),
        )
        session.add(outbox_row)
        await session.flush()
        result = self._result(conversation, sale, understanding, reply.result, reply.result.reply)
        self._finish(batch, InboxStatus.DONE, result)
        committed = replace(
            committed, owner=conversation.owner, handoff_reason=reply.handed_off, bot_replied=True
        )
        if not phrase:
            return _Turn(result, outbox_row.id, committed=committed)
        job = _PhraseJob(
            outbound_id=outbound.id,
            outbox_id=outbox_row.id,
            conversation_id=conversation.id,
            batch_ids=plan.batch_ids,
            result=result,
            facts=_phrasing_facts(reply.result, result),
            question=understood.text,
            history=plan.history,
            private=_private_values(conversation, sale) + _entity_values(understanding),
            started=started,
        )
        return _Turn(result, outbox_row.id, job, committed)

    def _should_phrase(self, reply: _Reply, reading: Reading) -> bool:
        policy = self._settings.llm_phrasing
        llm = self._llm
        if llm is None or policy == "off" or not llm.service.available():
            return False
        if reply.handler not in self._phrase_handlers or not reply.result.reply:
            return False
        if reply.result.handoff_reason or reply.result.order_id is not None:
            return False  # fixed wording: what happens next, or an order's confirmation
        return policy == "always" or reading.unsure

    # Phases 5 and 6: phrase outside any transaction, then settle.
    async def _phrase(self, job: _PhraseJob, on_chunk: ChunkSink | None) -> tuple[TurnResult, bool]:
        assert self._llm is not None and job.result.reply is not None
        template = job.result.reply
        phrasing = await self._llm.phraser.phrase(
            template=template,
            facts=job.facts,
            language=job.result.language,
            question=job.question,
            history=job.history,
            redactor=Redactor(job.private, enabled=self._llm.privacy),
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
            async with transaction(self._sessions) as session:
                await self._settle(session, job, result, phrasing.spend)
        except Exception:  # the template is committed and its outbox row releases itself
            log.exception("settling reply %s failed; the template reply stands", job.outbound_id)
            return job.result, streamed
        return result, streamed

    async def _settle(
        self, session: AsyncSession, job: _PhraseJob, result: TurnResult, spend: Spend
    ) -> None:
        outbound = await session.get(Message, job.outbound_id)
        outbox_row = await session.get(OutboxItem, job.outbox_id)
        conversation = await session.get(Conversation, job.conversation_id)
        assert outbound is not None and outbox_row is not None and conversation is not None
        outbound.text = result.reply or ""
        outbound.latency_ms = round((time.perf_counter() - job.started) * 1000, 2)
        _record_spend(conversation, outbound, spend)
        outbox_row.text = result.reply or ""
        outbox_row.next_attempt_at = utcnow()
        rows = (
            await session.execute(select(InboxItem).where(InboxItem.id.in_(job.batch_ids)))
        ).scalars()
        payload = result.model_dump(mode="json")
        for row in rows:
            row.result = payload

    async def _image_for_person(
        self, session: AsyncSession, conversation: Conversation, language: str, text: str
    ) -> _Reply:
        if not self._handoff.triggers.on(handoff_triggers.UNSERVABLE):
            reply = say(
                language,
                es="Recibí tu imagen y quedó guardada, pero no puedo verla. ¿Me cuentas en "
                "palabras qué producto necesitas?",
                en="I got your picture and it is saved, but I can't see it. Could you tell me "
                "in words which product you need?",
            )
            return _Reply(DomainResult(reply=reply), "engine")
        await self._handoff.request(
            session, conversation, reason=IMAGE_HANDOFF_REASON, text=text or "(imagen)"
        )
        reply = say(
            language,
            es="Recibí tu imagen y quedó guardada. Una persona de nuestro equipo la va a revisar "
            "y te escribe por aquí en un momento.",
            en="I got your picture and it is saved. A member of our team will look at it and "
            "write to you here shortly.",
        )
        return _Reply(
            DomainResult(reply=reply, handoff_reason=IMAGE_HANDOFF_REASON),
            "handoff",
            IMAGE_HANDOFF_REASON,
        )

    async def _hand_over(
        self,
        session: AsyncSession,
        conversation: Conversation,
        reason: str,
        understanding: Understanding,
        text: str,
        *,
        sale: Sale | None = None,
    ) -> _Reply:
        """Move the conversation to a person, and tell the customer what happens."""
        await self._handoff.request(session, conversation, reason=reason, text=text)
        conversation.context = {
            k: v for k, v in conversation.context.items() if k != handoff_triggers.STREAK_KEY
        }
        said = self._handoff.transition(understanding.language, reason)
        return _Reply(DomainResult(reply=said, sale=sale, handoff_reason=reason), "handoff", reason)

    def _redactor(self, private: list[tuple[str, str]], offline: Understanding) -> Redactor:
        enabled = self._llm.privacy if self._llm is not None else False
        return Redactor(private + _entity_values(offline), enabled=enabled)

    async def _answer(
        self,
        session: AsyncSession,
        conversation: Conversation,
        sale: Sale | None,
        understood: _Understood,
        history: list[Message],
        offer: Offer | None,
    ) -> _Reply:
        reading, text = understood.reading, understood.text
        understanding = reading.understanding
        language = understanding.language
        triggers = self._handoff.triggers
        if not text:
            reply = say(
                language,
                es="No recibí ningún texto. ¿Me cuentas qué necesitas?",
                en="I didn't get any text. What do you need?",
            )
            return _Reply(DomainResult(reply=reply), "engine")
        if understanding.top == "handoff":
            offered = offer.reason if offer is not None and offer.intent == "handoff" else None
            if offered is None and not triggers.on(handoff_triggers.REQUEST):
                return _Reply(DomainResult(reply=self._no_person(language)), "handoff")
            reason = offered or handoff_triggers.CUSTOMER_REQUEST
            return await self._hand_over(session, conversation, reason, understanding, text)
        early = triggers.before(
            text, understanding, model_down=reading.model_down, unsure=reading.unsure
        )
        if early is not None:
            return await self._hand_over(session, conversation, early, understanding, text)
        name = self._route(understanding, sale)
        before = dict(sale.data) if sale is not None else None
        ctx = TurnContext(
            session=session,
            conversation=conversation,
            sale=sale,
            understanding=understanding,
            text=text,
            language=language,
            history=history,
            offer=offer,
        )
        result = await self._handlers[name].handle(ctx)
        unserved = result.handoff_reason
        if unserved and triggers.on(handoff_triggers.UNSERVABLE):
            await self._handoff.request(session, conversation, reason=unserved, text=text)
            result.reply = f"{result.reply}\n\n{self._handoff.transition(language, unserved)}"
            return _Reply(result, name, unserved)
        after = result.sale or sale
        conversation.context, repeated = triggers.streak(
            conversation.context,
            understanding=understanding,
            handler=name,
            sale_before=before,
            sale_after=after,
        )
        if repeated:
            reason = handoff_triggers.REPEATED_MISUNDERSTANDING
            return await self._hand_over(
                session, conversation, reason, understanding, text, sale=result.sale
            )
        await session.flush()  # a sale the handler just started gets its id
        if triggers.above_amount(conversation.context, after):
            assert after is not None
            reason = handoff_triggers.ORDER_ABOVE_AMOUNT
            conversation.context = {**conversation.context, handoff_triggers.AMOUNT_KEY: after.id}
            await self._handoff.request(session, conversation, reason=reason, text=text)
            result.reply = f"{result.reply}\n\n{self._handoff.transition(language, reason)}"
            result.handoff_reason = reason
            return _Reply(result, name, reason)
        return _Reply(result, name)

    def _no_person(self, language: str) -> str:
        """The answer to a request for a person while that trigger is off."""
        company = self._handoff.company
        phone = company.phone if company is not None else None
        call = (
            say(language, es=f" Si prefieres, llámanos al {phone}.", en=f" Or call us: {phone}.")
            if phone
            else ""
        )
        return say(
            language,
            es="Por este chat te sigo atendiendo yo: puedo mostrarte productos y precios y tomar "
            f"tu pedido.{call}",
            en="I'll keep helping you in this chat: I can show you products and prices and take "
            f"your order.{call}",
        )

    @staticmethod
    def _route(understanding: Understanding, sale: Sale | None) -> str:
        collecting = sale is not None and sale.state in (
            SaleState.COLLECTING_DATA,
            SaleState.READY_TO_CONFIRM,
        )
        if understanding.top == "other" and collecting:
            # Mid-checkout an unclear message is an answer to the sale's question: ask again.
            return "sales"
        if understanding.top == "other" and sale is not None and sale.data.get("choices"):
            return "sales"  # possibly a pick from the list of options just shown
        return ROUTES[understanding.top]

    @staticmethod
    def _dialog_state(
        conversation: Conversation, sale: Sale | None, offer: Offer | None
    ) -> DialogState:
        return DialogState(
            sale_state=sale.state if sale else None,
            pending_field=sale.data.get("pending_field") if sale else None,
            last_products=list(conversation.context.get("last_products", [])),
            language=conversation.language,
            has_cart=bool(sale and sale.lines),
            offer=offer.intent if offer else None,
        )

    async def _conversation(
        self, session: AsyncSession, channel: str, chat_id: str
    ) -> Conversation:
        values = {
            "channel": channel,
            "external_chat_id": chat_id,
            "owner": Owner.BOT,
            "language": self._settings.default_language,
            "context": {},
            "created_at": utcnow(),
            "last_activity_at": utcnow(),
        }
        await insert_ignore(session, Conversation, values, ["channel", "external_chat_id"])
        statement = (
            select(Conversation)
            .where(Conversation.channel == channel, Conversation.external_chat_id == chat_id)
            .with_for_update(of=Conversation)  # a staff take waits for the turn, or the reverse
            .execution_options(populate_existing=True)
        )
        return (await session.execute(statement)).scalar_one()

    @staticmethod
    def _result(
        conversation: Conversation,
        sale: Sale | None,
        understanding: Understanding,
        domain: DomainResult | None,
        reply: str | None,
    ) -> TurnResult:
        lines = [
            CartLine(
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.unit_price * line.quantity,
            )
            for line in (sale.lines if sale else [])
        ]
        products = [
            ProductRef(sku=p.sku, name=p.name, price=p.price, stock=p.stock)
            for p in (domain.products if domain else [])
        ]
        return TurnResult(
            chat_id=conversation.external_chat_id,
            reply=reply,
            intent=understanding.intent,
            confidence=round(understanding.confidence, 3),
            sale_state=sale.state if sale else None,
            order_id=domain.order_id if domain else None,
            cart=lines,
            cart_total=sum((line.line_total for line in lines), Decimal(0)),
            products=products,
            owner=conversation.owner,
            language=conversation.language,
        )

    @staticmethod
    def _finish(batch: list[InboxItem], status: InboxStatus, result: TurnResult) -> None:
        payload = result.model_dump(mode="json")
        for row in batch:
            row.status = status
            row.result = payload
            row.processed_at = utcnow()

    async def _fail(self, message: InboundMessage, err: Exception) -> TurnResult:
        language = self._settings.default_language
        result = TurnResult(
            chat_id=message.external_chat_id,
            reply=say(
                language,
                es="Lo siento, tuve un problema procesando tu mensaje. Ya quedó registrado; "
                "¿me lo repites en un momento?",
                en="Sorry, I had a problem processing your message. It is recorded; "
                "could you repeat it in a moment?",
            ),
            intent="other",
            confidence=0.0,
            sale_state=None,
            language=language,
        )
        async with transaction(self._sessions) as session:
            batch = await inbox.pending_for_chat(session, message.channel, message.external_chat_id)
            self._finish(batch, InboxStatus.FAILED, result)
            for row in batch:
                row.error = f"{type(err).__name__}: {err}"
        return result

    def _deliver_soon(self, outbox_id: int) -> None:
        assert self._dispatcher is not None
        task = asyncio.create_task(self._dispatcher.deliver(outbox_id))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def drain_deliveries(self) -> None:
        """Wait for the deliveries started by recent turns (tests and shutdown)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)


def _pending_offer(conversation: Conversation) -> Offer | None:
    """The offer the previous reply made, if it made one."""
    stored = conversation.context.get("offer")
    return Offer(**stored) if stored else None


async def _pending_rows(session: AsyncSession, ids: list[int]) -> list[InboxItem]:
    """The batch's inbox rows, fresh; `_AlreadyDone` if any of them is no longer pending."""
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
        raise _AlreadyDone
    return rows


def _private_values(conversation: Conversation, sale: Sale | None) -> list[tuple[str, str]]:
    """The customer's personal data this conversation knows, to keep out of prompts."""
    values: list[tuple[str, str]] = []
    data = sale.data if sale is not None else {}
    for name in PRIVATE_FIELDS:
        stored = data.get(name)
        if isinstance(stored, str) and stored:
            values.append((name, stored))
    # Only a customer already loaded: a lazy load here would need the database again.
    loaded = "customer" not in inspect(conversation).unloaded
    customer = conversation.customer if loaded else None
    if customer is not None:
        for name in PRIVATE_FIELDS:
            value = getattr(customer, name)
            if value:
                values.append((name, value))
    return values


def _entity_values(understanding: Understanding) -> list[tuple[str, str]]:
    entities = understanding.entities
    return [
        (name, value) for name in PRIVATE_FIELDS if (value := getattr(entities, name)) is not None
    ]


def _record_spend(conversation: Conversation, message: Message, spend: Spend) -> None:
    """Add a model spend to a message row and to its conversation's totals."""
    if spend.calls == 0:
        return
    message.llm_model = spend.model
    message.llm_calls = (message.llm_calls or 0) + spend.calls
    message.prompt_tokens = (message.prompt_tokens or 0) + spend.usage.prompt_tokens
    message.completion_tokens = (message.completion_tokens or 0) + spend.usage.completion_tokens
    message.llm_cost_usd = (message.llm_cost_usd or Decimal(0)) + spend.cost_usd
    conversation.llm_calls = (conversation.llm_calls or 0) + spend.calls
    conversation.prompt_tokens = (conversation.prompt_tokens or 0) + spend.usage.prompt_tokens
    conversation.completion_tokens = (
        conversation.completion_tokens or 0
    ) + spend.usage.completion_tokens
    conversation.llm_cost_usd = (conversation.llm_cost_usd or Decimal(0)) + spend.cost_usd


def _phrasing_facts(domain: DomainResult, result: TurnResult) -> dict[str, Any]:
    """The handler's facts plus the products and cart the reply shows: all made by code."""
    facts: dict[str, Any] = dict(domain.facts)
    if result.products and "products" not in facts:
        facts["products"] = [p.model_dump(mode="json") for p in result.products]
    if result.cart:
        facts["cart"] = [line.model_dump(mode="json") for line in result.cart]
        facts["cart_total"] = str(result.cart_total)
    return facts


async def _load_image(media: dict[str, Any], max_bytes: int) -> ImagePart | None:
    """A stored photo's bytes (a local path or file:// URL); None when it cannot be read."""
    url = str(media.get("url", ""))
    if url.startswith(("http://", "https://")):
        return None  # fetching needs the channel's credentials: the channel stores it first
    path = Path(url.removeprefix("file://"))
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as err:
        log.warning("image %s could not be read: %s", path, err)
        return None
    if not data or len(data) > max_bytes:
        return None
    mime = media.get("content_type") or mimetypes.guess_type(path.name)[0] or "image/jpeg"
    return ImagePart(data, str(mime))


def _safe_sink(on_chunk: ChunkSink | None) -> ChunkSink | None:
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
