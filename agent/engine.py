"""The turn engine: inbox → ownership gate → understanding → handler → one committed reply.

A turn runs in phases so that no model call ever waits inside a database write transaction
(on SQLite a transaction holds the database's write lock from BEGIN: a model call of seconds
inside one would stall every other conversation):

1. **Store** (its own short transaction): the inbox keeps the message, deduplicated by
   `(channel, external_chat_id, external_message_id)`, before anything else happens.
2. **Read** (no model): under the conversation's lock, the pending messages of the chat
   become the turn's batch (a message an earlier turn merged into its burst gets that turn's
   stored result); the conversation row is created if new; the sale, the recent messages and
   the offline reading are taken. Nothing the turn decides is written yet.
3. **Understand**: a photo is read by a multimodal model, and the model is asked for a reading
   when the offline one is unsure (`LLM_MODE`). Any failure degrades to the offline reading.
4. **Commit**: the handler runs, and the inbound messages, the sale's new state, the template
   reply, the outbox row and the inbox rows marked done are committed together. This is the
   turn: once committed it is never run again (a retried delivery gets the stored result), and
   before it nothing was written, so a failure anywhere before leaves the batch pending and a
   later turn takes it.

When no model is asked (no voice note to hear, no photo, a sure offline reading or no model
configured) phases 2 to 4 are one transaction: nothing is awaited that could hold it open, and
the rows read are the rows committed. When a model is asked, the read is its own short
transaction, the model is awaited with none open, and the commit's transaction reads the rows
again and checks the batch is still pending.
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
and `reply` is None. In a bot turn the handoff triggers are checked before and after the
handler (`agent/turn/answer.py`); a trigger moves the conversation to `waiting_human` with its
reason and the customer is told what happens. After the commit the `listener` hears of the turn
(the staff console's live list).

Streaming (`on_chunk`): the reply is given in pieces as it is produced; normally the pieces
concatenate to `result.reply`. When the guard stops a phrased stream (an ungrounded number) or
the model fails after some pieces were given, no further pieces come and `result.reply` (the
template reply) is the authoritative reply: a channel that streamed pieces shows
`result.reply` in their place whenever the two differ.

The phases live in `agent/turn/`: `plan` (read), `understand`, `commit` (with `answer`: the
handler or a person), `phrase` (phrase and settle); `admission` holds the conversation's lock
and one of the `MAX_PARALLEL_TURNS` slots. The committed reply is delivered after the turn, in
one of the `MAX_PARALLEL_DELIVERIES` slots (agent/outbox.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import inbox
from agent.db import database_unreachable, transaction
from agent.domain import DomainHandler
from agent.handoff import HandoffPolicy
from agent.llm.factory import LLM
from agent.messages import InboundMessage, TurnResult
from agent.models import InboxStatus
from agent.outbox import OutboxDispatcher
from agent.settings import Settings
from agent.shops.current import shop_scope
from agent.stopping import FINISH_SECONDS, stop_tasks
from agent.streaming import ChunkSink, word_chunks
from agent.turn.admission import Admission
from agent.turn.commit import AlreadyDone, Committed, Turn, TurnListener, commit
from agent.turn.phrase import PhrasePolicy, phrase, safe_sink
from agent.turn.plan import Loaded, Plan, read_plan
from agent.turn.results import record_failure
from agent.turn.understand import Understood, asks_model, understand
from agent.understanding import Understander
from agent.voice import VoiceNotes

__all__ = ["Committed", "TurnEngine", "TurnListener"]

log = logging.getLogger(__name__)


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
        admission: Admission | None = None,
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
        self._phrasing = PhrasePolicy.from_settings(settings, llm)
        # The process's, shared with its intake and task queue; an engine alone makes its own.
        self._admission = admission or Admission.from_settings(settings)
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

        The same `(channel, external_chat_id, external_message_id)` delivered again returns the
        first result.
        With `on_chunk`, the reply is also given piece by piece as it is produced; the pieces
        concatenate to `result.reply`, except when a phrased stream was stopped part-way (see
        the module's docstring): `result.reply` is always the authoritative reply.
        """
        with shop_scope(message.shop_id):  # every session of the turn sees the shop's rows only
            result, streamed = await self._handle(message, on_chunk)
        if on_chunk is not None and result.reply and not streamed:
            for chunk in word_chunks(result.reply):
                await on_chunk(chunk)
        return result

    async def _handle(
        self, message: InboundMessage, on_chunk: ChunkSink | None
    ) -> tuple[TurnResult, bool]:
        chat = (message.channel, message.external_chat_id)
        # Phase 1: store, in its own short transaction.
        async with self._admission.arriving(chat), transaction(self._sessions) as session:
            row, _created = await inbox.store(session, message)
        if row.status != InboxStatus.PENDING and row.result is not None:
            return TurnResult.model_validate(row.result), False
        async with self._admission.turn(chat):
            return await self._drain(message, row.id, on_chunk)

    async def _drain(
        self, message: InboundMessage, inbox_id: int, on_chunk: ChunkSink | None
    ) -> tuple[TurnResult, bool]:
        started = time.perf_counter()
        try:
            turn = await self._run(message, inbox_id, started)
        except AlreadyDone:
            turn = None
        except Exception as err:  # the outer edge of a turn: logged, the customer still answered
            if database_unreachable(err):  # nothing committed: the turn is run again, not failed
                raise
            log.exception("turn failed for %s/%s", message.channel, message.external_chat_id)
            return await self._fail(message, err), False
        if turn is None:
            # An earlier turn merged this message into its burst while we waited.
            return await self._stored_result_or_fail(message), False
        result, streamed = turn.result, False
        if turn.phrase is not None:
            assert self._llm is not None
            result, streamed = await phrase(
                self._sessions, turn.phrase, safe_sink(on_chunk), llm=self._llm
            )
        if turn.committed is not None and self._listener is not None:
            try:
                await self._listener(turn.committed)
            except Exception:  # the turn is committed; a listener's failure must not undo it
                log.exception("turn listener failed for %s", message.external_chat_id)
        if turn.outbox_id is not None and self._dispatcher is not None:
            self._deliver_soon(turn.outbox_id)
        return result, streamed

    async def _run(self, message: InboundMessage, inbox_id: int, started: float) -> Turn | None:
        """Read, understand and commit the turn of `message`'s batch; None when an earlier turn
        took the message. When no model is asked the three share one transaction."""
        async with transaction(self._sessions) as session:
            plan = await self._read(session, message, inbox_id)
            if plan is None:
                return None
            if not self._asks_model(plan):
                understood = await self._understand(plan)
                return await self._commit(session, plan, understood, started, plan.loaded)
        plan = await self._heard(message, inbox_id, plan)
        if plan is None:
            return None
        understood = await self._understand(plan)
        async with transaction(self._sessions) as session:
            return await self._commit(session, plan, understood, started, None)

    def _asks_model(self, plan: Plan) -> bool:
        """Whether the batch awaits a model: voice notes to hear, a photo, an unsure reading."""
        if plan.voice and self._voice is not None:
            return True
        return asks_model(plan, understander=self._understander, llm=self._llm)

    async def _heard(self, message: InboundMessage, inbox_id: int, plan: Plan) -> Plan | None:
        """The plan after the batch's voice notes became text."""
        for _ in range(3):
            # Voice notes become text before the turn reads them (agent/voice/notes.py): no
            # transaction is open and the model runs in its worker process, off the loop. A
            # note that arrived meanwhile is heard on the next pass.
            if not plan.voice or self._voice is None:
                break
            await self._voice.transcribe(plan.voice, hint=plan.state.language)
            async with transaction(self._sessions) as session:
                read = await self._read(session, message, inbox_id)
            if read is None:
                return None
            plan = read
        return plan

    async def _read(
        self, session: AsyncSession, message: InboundMessage, inbox_id: int
    ) -> Plan | None:
        return await read_plan(
            session, message, inbox_id, settings=self._settings, understander=self._understander
        )

    async def _understand(self, plan: Plan) -> Understood:
        return await understand(
            plan, settings=self._settings, understander=self._understander, llm=self._llm
        )

    async def _commit(
        self,
        session: AsyncSession,
        plan: Plan,
        understood: Understood,
        started: float,
        loaded: Loaded | None,
    ) -> Turn:
        return await commit(
            session,
            plan,
            understood,
            started=started,
            settings=self._settings,
            handoff=self._handoff,
            handlers=self._handlers,
            phrasing=self._phrasing,
            loaded=loaded,
        )

    async def _stored_result(self, message: InboundMessage) -> TurnResult | None:
        async with self._sessions() as session:
            mine = await inbox.find(session, message)
        return TurnResult.model_validate(mine.result) if mine.result is not None else None

    async def _stored_result_or_fail(self, message: InboundMessage) -> TurnResult:
        stored = await self._stored_result(message)
        if stored is not None:
            return stored
        return await self._fail(message, RuntimeError("the message's turn was not found"))

    async def _fail(self, message: InboundMessage, err: Exception) -> TurnResult:
        language = self._settings.default_language
        return await record_failure(self._sessions, message, err, language=language)

    def _deliver_soon(self, outbox_id: int) -> None:
        # The task waits for one of the process's delivery slots (MAX_PARALLEL_DELIVERIES,
        # taken by the dispatcher) holding nothing; if the process stops first, the row is
        # still pending and an outbox loop sends it.
        assert self._dispatcher is not None
        task = asyncio.create_task(
            self._dispatcher.deliver(outbox_id), name=f"delivery of outbox {outbox_id}"
        )
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def drain_deliveries(self) -> None:
        """Wait for the deliveries started by recent turns (tests)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    async def close(self) -> None:
        """Let the deliveries under way finish (FINISH_SECONDS at most), then cancel them: a
        reply they leave leased is sent again by the next process that starts."""
        await stop_tasks(self._deliveries, what="deliveries", grace=FINISH_SECONDS)
