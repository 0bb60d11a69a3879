"""What staff do, and what the console hears: take, reply, note, hand back, reassign; the feed.

Every action is one transaction (`agent/handoff.py` does the ownership part) followed by an
event on the live feed. A staff reply is an outbound message and an outbox row written
together; the outbox then delivers it on the customer's own channel, with retries. A watch
loop tells a customer honestly when nobody has taken their conversation in the set time. A
reply the outbox gives up on is announced on the feed and in the staff's Telegram chat; staff
retry it or give it up from the conversation.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import handoff
from agent.channel import OutputChannel
from agent.company import CompanyInfo
from agent.db import transaction
from agent.engine import Committed
from agent.errors import InvalidInputError, NotFoundError
from agent.handoff import STAFF_TELEGRAM, HandoffPolicy
from agent.leads.changes import LeadChanged
from agent.live_events import Event
from agent.llm.factory import LLM
from agent.models import Conversation, Message, OutboxItem, Staff, StaffNote, utcnow
from agent.outbox import GivenUp, OutboxDispatcher
from agent.ratelimit import InMemoryRateLimiter, RateLimiter, shared_limiter
from agent.settings import Settings
from agent.stopping import FINISH_SECONDS, stop_tasks
from agent.undelivered import give_up, retry
from console.feed import LocalStaffFeed, StaffFeed
from console.notify import StaffTelegram
from console.queries import ConversationView
from console.summary import StaffContext, phrase_summary
from console.words import staff_text as _

log = logging.getLogger(__name__)

SUMMARIES_KEPT = 256


def _login_limiter(settings: Settings, name: str) -> RateLimiter:
    """The console's login attempts, shared by every process (in Redis) when REDIS_URL is set;
    refused while Redis cannot be reached (a password is never guessed unlimited)."""
    per_minute = settings.staff_login_rate_limit_per_minute
    burst = settings.staff_login_rate_limit_burst
    limiter = shared_limiter(settings, per_minute, burst, name=name, fail_open=False)
    return limiter or InMemoryRateLimiter(per_minute=per_minute, burst=burst)


class StaffConsole:
    """The console's part of the runtime: feed, staff actions, login limits, the watch."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        policy: HandoffPolicy,
        feed: StaffFeed | None = None,
        notifier: StaffTelegram | None = None,
        llm: LLM | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.policy = policy
        self.feed: StaffFeed = feed or LocalStaffFeed()
        self.notifier = notifier
        self.llm = llm
        self.dispatcher: OutboxDispatcher | None = None
        self.logins_by_address = _login_limiter(settings, "login-address")
        self.logins_by_name = _login_limiter(settings, "login-name")
        self._deliveries: set[asyncio.Task[bool]] = set()
        self._summaries: OrderedDict[tuple[int, int, str], str] = OrderedDict()

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        company: CompanyInfo | None,
        llm: LLM | None = None,
        feed: StaffFeed | None = None,
    ) -> StaffConsole:
        """The console the settings describe (its live feed `feed`, else this process's own); a
        half-set staff Telegram stops the start-up."""
        notifier = StaffTelegram.from_settings(settings, sessions)
        policy = HandoffPolicy.from_settings(settings, company, notify=notifier is not None)
        return cls(
            sessions=sessions,
            settings=settings,
            policy=policy,
            feed=feed,
            notifier=notifier,
            llm=llm,
        )

    @property
    def outputs(self) -> dict[str, OutputChannel]:
        """The outputs the outbox needs for the console's own rows (staff notifications)."""
        return {self.notifier.name: self.notifier} if self.notifier is not None else {}

    async def start(self, dispatcher: OutboxDispatcher) -> None:
        """Deliver through `dispatcher` and hear of the replies it gives up; reach the staff
        chat's bot."""
        self.dispatcher = dispatcher
        dispatcher.on_given_up = self.on_given_up
        if self.notifier is not None:
            await self.notifier.start()

    async def close(self) -> None:
        """Finish the deliveries under way (FINISH_SECONDS at most) and close the staff chat's
        bot."""
        await stop_tasks(self._deliveries, what="staff deliveries", grace=FINISH_SECONDS)
        if self.notifier is not None:
            await self.notifier.close()

    async def publish(
        self,
        conversation: Conversation,
        change: str,
        *,
        reason: str | None = None,
        by: str | None = None,
    ) -> None:
        """Tell every open console that the conversation changed."""
        event: Event = {
            "type": "conversation",
            "change": change,
            "conversation_id": conversation.id,
            "channel": conversation.channel,
            "chat_id": conversation.external_chat_id,
            "owner": conversation.owner.value,
            "reason": reason,
            "reason_label": handoff.reason_label(reason) if reason else None,
            "by": by,
            "at": utcnow().isoformat(),
        }
        await self.feed.publish(event)

    async def on_turn(self, committed: Committed) -> None:
        """The engine's listener: a customer wrote (and maybe went to a person)."""
        change = "handoff" if committed.handoff_reason else "message"
        event: Event = {
            "type": "conversation",
            "change": change,
            "conversation_id": committed.conversation_id,
            "channel": committed.channel,
            "chat_id": committed.external_chat_id,
            "owner": committed.owner.value,
            "reason": committed.handoff_reason,
            "reason_label": handoff.reason_label(committed.handoff_reason)
            if committed.handoff_reason
            else None,
            "by": None,
            "at": utcnow().isoformat(),
        }
        await self.feed.publish(event)

        if committed.lead is not None:
            await self.on_lead(committed.lead)

    async def on_lead(self, change: LeadChanged) -> None:
        """Tell every open console that a lead was made or changed (a turn, the idle-cart
        round, the model's texts, a staff action), whichever process did it."""
        event: Event = {
            "type": "lead",
            "change": "created" if change.created else "changed",
            "lead_id": change.lead_id,
            "conversation_id": change.conversation_id,
            "status": change.status.value,
            "at": utcnow().isoformat(),
        }
        await self.feed.publish(event)

    async def on_given_up(self, given_up: GivenUp) -> None:
        """The outbox's listener: a reply will not reach its customer; staff are told."""
        if given_up.message_id is None:  # a quotation push or a staff notification: no reply
            return
        async with transaction(self.sessions) as session:
            conversation = await session.get(Conversation, given_up.conversation_id)
            if conversation is None:
                return
            if self.policy.notify_chat:
                session.add(
                    OutboxItem(
                        conversation_id=conversation.id,
                        channel=STAFF_TELEGRAM,
                        external_chat_id=self.policy.notify_chat,
                        text=self.policy.undelivered_notification(conversation, given_up.reason),
                    )
                )
        await self.publish(conversation, "undelivered", reason=None, by=None)

    async def retry_delivery(self, staff: Staff, conversation_id: int, outbox_id: int) -> None:
        """Try a reply of the conversation again now (given up, or waiting for its retry)."""
        async with transaction(self.sessions) as session:
            conversation = await self._owning(session, conversation_id, outbox_id)
            if not await retry(session, [outbox_id]):
                raise InvalidInputError(_("console.error.reply_not_waiting"), field="outbox_id")
        self._deliver_soon(outbox_id)
        await self.publish(conversation, "delivery_retried", by=staff.name)

    async def give_up_delivery(self, staff: Staff, conversation_id: int, outbox_id: int) -> None:
        """Stop retrying a reply of the conversation: the staff member follows it up."""
        async with transaction(self.sessions) as session:
            conversation = await self._owning(session, conversation_id, outbox_id)
            if not await give_up(session, [outbox_id], by=staff.name):
                raise InvalidInputError(_("console.error.reply_not_retried"), field="outbox_id")
        await self.publish(conversation, "delivery_given_up", by=staff.name)

    @staticmethod
    async def _owning(session: AsyncSession, conversation_id: int, outbox_id: int) -> Conversation:
        row = await session.get(OutboxItem, outbox_id)
        conversation = await session.get(Conversation, conversation_id)
        if row is None or conversation is None or row.conversation_id != conversation_id:
            raise NotFoundError(_("console.error.no_reply", reply=outbox_id, id=conversation_id))
        return conversation

    def _text(self, text: str) -> str:
        cleaned = text.strip()
        if not cleaned:
            raise InvalidInputError(_("console.error.text_empty"), field="text")
        limit = self.settings.max_message_chars
        if len(cleaned) > limit:
            raise InvalidInputError(
                _("console.error.text_too_long", length=len(cleaned), limit=limit), field="text"
            )
        return cleaned

    async def take(self, staff: Staff, conversation_id: int) -> Conversation:
        """Take the conversation (OwnershipConflict when someone else has it)."""
        async with transaction(self.sessions) as session:
            conversation = await handoff.take(session, conversation_id, staff)
        await self.publish(conversation, "taken", by=staff.name)
        return conversation

    async def reply(self, staff: Staff, conversation_id: int, text: str) -> Message:
        """Answer the customer on their channel; the reply takes the conversation first."""
        text = self._text(text)
        async with transaction(self.sessions) as session:
            conversation = await handoff.take(
                session, conversation_id, staff, reason=handoff.STAFF_REPLY
            )
            message, row = await handoff.write_outbound(
                session, conversation, text, handler="staff", staff_id=staff.id
            )
            conversation.last_activity_at = utcnow()
            await session.flush()
            outbox_id = row.id
        self._deliver_soon(outbox_id)
        await self.publish(conversation, "reply", by=staff.name)
        return message

    async def note(self, staff: Staff, conversation_id: int, text: str) -> StaffNote:
        """Add an internal note (staff only; never sent to the customer)."""
        text = self._text(text)
        async with transaction(self.sessions) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise NotFoundError(_("console.not_found.conversation", id=conversation_id))
            note = StaffNote(conversation_id=conversation.id, staff_id=staff.id, text=text)
            session.add(note)
        await self.publish(conversation, "note", by=staff.name)
        return note

    async def hand_back(
        self, staff: Staff, conversation_id: int, note: str | None = None
    ) -> Conversation:
        """Give the conversation back to the bot (its sale untouched)."""
        async with transaction(self.sessions) as session:
            conversation = await handoff.hand_back(
                session, conversation_id, staff, note=(note or "").strip() or None
            )
        await self.publish(conversation, "handed_back", by=staff.name)
        return conversation

    async def reassign(
        self, manager: Staff, conversation_id: int, to_staff_id: int
    ) -> Conversation:
        """A manager gives the conversation to another staff member."""
        async with transaction(self.sessions) as session:
            conversation = await handoff.reassign(session, conversation_id, manager, to_staff_id)
        await self.publish(conversation, "reassigned", by=manager.name)
        return conversation

    async def tell_unanswered(self) -> int:
        """One pass of the watch: tell every customer who waited too long; how many were told."""
        wait = timedelta(seconds=self.settings.handoff_wait_seconds)
        async with self.sessions() as session:
            due = await handoff.unanswered_due(session, wait=wait)
        told = 0
        for conversation_id in due:
            async with transaction(self.sessions) as session:
                outbox_id = await handoff.tell_unanswered(session, conversation_id, self.policy)
                conversation = await session.get(Conversation, conversation_id)
            if outbox_id is None or conversation is None:
                continue
            told += 1
            self._deliver_soon(outbox_id)
            await self.publish(conversation, "notice")
        return told

    async def watch(self) -> None:
        """Run the watch forever (the app's lifespan runs it)."""
        interval = min(5.0, max(0.2, self.settings.handoff_wait_seconds / 4))
        while True:
            try:
                await self.tell_unanswered()
            except Exception:  # the loop's edge: logged, the next pass tries again
                log.exception("the waiting-conversation watch failed")
            await asyncio.sleep(interval)

    async def phrased_summary(self, view: ConversationView, context: StaffContext) -> str | None:
        """The summary written by the configured model (kept until the conversation moves)."""
        if self.llm is None or not self.llm.service.enabled:
            return None
        key = (view.conversation.id, view.last_message_id, view.conversation.owner.value)
        if key in self._summaries:
            self._summaries.move_to_end(key)
            return self._summaries[key]
        text = await phrase_summary(
            self.llm,
            context,
            view,
            shop_name=self.settings.shop_name,
            budget=self.settings.llm_phrasing_timeout,
        )
        if text is not None:
            self._summaries[key] = text
            while len(self._summaries) > SUMMARIES_KEPT:
                self._summaries.popitem(last=False)
        return text

    def _deliver_soon(self, outbox_id: int) -> None:
        if self.dispatcher is None:
            return  # the outbox loop delivers it
        task = asyncio.create_task(
            self.dispatcher.deliver(outbox_id), name=f"delivery of outbox {outbox_id}"
        )
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def drain(self) -> None:
        """Wait for the deliveries started by recent actions (tests and benchmarks)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)
