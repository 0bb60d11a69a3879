"""The turn engine: inbox → ownership gate → understanding → handler → one committed reply."""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import handoff, inbox, memory
from agent.db import insert_ignore, transaction
from agent.i18n import say
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
from agent.understanding import Understander
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


@dataclass(slots=True)
class _Reply:
    result: DomainResult
    handler: str


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
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._understander = understander
        self._handlers = handlers
        self._dispatcher = dispatcher
        self._locks = KeyedLocks()
        self._deliveries: set[asyncio.Task[bool]] = set()

    @property
    def understander(self) -> Understander:
        """The understanding layer the engine reads messages with."""
        return self._understander

    async def handle(
        self, message: InboundMessage, *, on_chunk: ChunkSink | None = None
    ) -> TurnResult:
        """Store the message, run its turn (or join the turn that merged it) and return the result.

        The same `(channel, external_message_id)` delivered again returns the first result.
        With `on_chunk`, the reply is also given piece by piece as it is produced (the pieces
        concatenate to `result.reply`); a channel that streams (the web) forwards them.
        """
        result = await self._handle(message)
        if on_chunk is not None and result.reply:
            for chunk in word_chunks(result.reply):
                await on_chunk(chunk)
        return result

    async def _handle(self, message: InboundMessage) -> TurnResult:
        async with transaction(self._sessions) as session:
            row, _created = await inbox.store(session, message)
        if row.status != InboxStatus.PENDING and row.result is not None:
            return TurnResult.model_validate(row.result)
        async with self._locks.hold((message.channel, message.external_chat_id)):
            return await self._drain(message)

    async def _drain(self, message: InboundMessage) -> TurnResult:
        async with self._sessions() as session:
            mine = await inbox.find(session, message.channel, message.external_message_id)
        if mine.result is not None:
            # An earlier turn merged this message into its burst while we waited.
            return TurnResult.model_validate(mine.result)
        started = time.perf_counter()
        try:
            async with transaction(self._sessions) as session:
                batch = await inbox.pending_for_chat(
                    session, message.channel, message.external_chat_id
                )
                result, outbox_id = await self._turn(session, batch, started)
                self._finish(batch, InboxStatus.DONE, result)
        except Exception as err:  # the outer edge of a turn: logged, the customer still answered
            log.exception("turn failed for %s/%s", message.channel, message.external_chat_id)
            return await self._fail(message, err)
        if outbox_id is not None and self._dispatcher is not None:
            self._deliver_soon(outbox_id)
        return result

    async def _turn(
        self, session: AsyncSession, batch: list[InboxItem], started: float
    ) -> tuple[TurnResult, int | None]:
        first = batch[0]
        settings = self._settings
        text = clean_text("\n".join(r.text for r in batch), settings.max_message_chars)
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
        conversation.last_activity_at = now

        offer = _pending_offer(conversation)
        await self._understander.prepare(session)
        state = self._dialog_state(conversation, sale, offer)
        understanding = self._understander.understand(text, state)
        conversation.language = understanding.language
        for message in inbound:
            message.intent = understanding.intent
            message.confidence = understanding.confidence

        if conversation.owner != Owner.BOT:
            await session.flush()
            return self._result(conversation, sale, understanding, None, None), None

        reply = await self._answer(session, conversation, sale, understanding, text, history, offer)
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
        outbox_row = OutboxItem(
            conversation_id=conversation.id,
            message_id=outbound.id,
            channel=conversation.channel,
            external_chat_id=conversation.external_chat_id,
            text=reply.result.reply,
        )
        session.add(outbox_row)
        await session.flush()
        result = self._result(conversation, sale, understanding, reply.result, reply.result.reply)
        return result, outbox_row.id

    async def _answer(
        self,
        session: AsyncSession,
        conversation: Conversation,
        sale: Sale | None,
        understanding: Understanding,
        text: str,
        history: list[Message],
        offer: Offer | None,
    ) -> _Reply:
        language = understanding.language
        if not text:
            reply = say(
                language,
                es="No recibí ningún texto. ¿Me cuentas qué necesitas?",
                en="I didn't get any text. What do you need?",
            )
            return _Reply(DomainResult(reply=reply), "engine")
        if understanding.top == "handoff":
            offered = offer.reason if offer is not None and offer.intent == "handoff" else None
            reason = offered or "customer_request"
            await handoff.transfer(
                session, conversation, to_owner=Owner.WAITING_HUMAN, reason=reason
            )
            return _Reply(DomainResult(reply=handoff.waiting_message(language)), "handoff")
        name = self._route(understanding, sale)
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
        if result.handoff_reason:
            await handoff.transfer(
                session, conversation, to_owner=Owner.WAITING_HUMAN, reason=result.handoff_reason
            )
            result.reply = f"{result.reply}\n\n{handoff.waiting_message(language)}"
        return _Reply(result, name)

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
