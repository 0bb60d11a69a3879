"""Ownership of a conversation (bot → waiting_human → human → bot), every change recorded.

One owner at a time. The bot hands a conversation over (`HandoffPolicy.request`); a staff
member takes it (`take`), or replies, which takes it; the owner (or a manager) hands it back
(`hand_back`), and the sale's state is left as it was; a manager gives it to someone else
(`reassign`). Staff changes are conditional UPDATEs on the owner read: of two staff members
taking the same conversation at once, one wins and the other gets `OwnershipConflict`. Every
change is a row in `handoffs`: from, to, why, who and when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent import outbox
from agent.company import DAY_NAMES, DAYS, CompanyInfo, Schedule, TimeRange
from agent.errors import NotFoundError, SalesAgentError
from agent.handoff_triggers import (
    CUSTOMER_COMPLAINT,
    CUSTOMER_FRUSTRATED,
    MODEL_UNAVAILABLE,
    ORDER_ABOVE_AMOUNT,
    REPEATED_MISUNDERSTANDING,
    HandoffTriggers,
)
from agent.models import (
    Conversation,
    Direction,
    Handoff,
    Message,
    OutboxItem,
    Owner,
    Staff,
    StaffRole,
    utcnow,
)
from agent.settings import Settings
from agent.words import N_, STAFF_LANGUAGE, t

STAFF_TELEGRAM = "staff_telegram"
"""The outbox channel of the notifications to the staff's Telegram chat."""

TAKEN = "taken"
STAFF_REPLY = "staff_reply"
HANDED_BACK = "handed_back"
REASSIGNED = "reassigned"
NOTICE_HANDLER = "handoff_notice"
"""The handler name of the honest message sent when nobody took a waiting conversation."""

REASONS = {
    "customer_request": N_("handoff.reason.customer_request"),
    REPEATED_MISUNDERSTANDING: N_("handoff.reason.repeated_misunderstanding"),
    CUSTOMER_FRUSTRATED: N_("handoff.reason.customer_frustrated"),
    CUSTOMER_COMPLAINT: N_("handoff.reason.customer_complaint"),
    ORDER_ABOVE_AMOUNT: N_("handoff.reason.order_above_amount"),
    MODEL_UNAVAILABLE: N_("handoff.reason.model_unavailable"),
    "price_on_request": N_("handoff.reason.price_on_request"),
    "cancel_confirmed_order": N_("handoff.reason.cancel_confirmed_order"),
    "change_confirmed_order": N_("handoff.reason.change_confirmed_order"),
    "image_needs_person": N_("handoff.reason.image_needs_person"),
    TAKEN: N_("handoff.reason.taken"),
    STAFF_REPLY: N_("handoff.reason.staff_reply"),
    HANDED_BACK: N_("handoff.reason.handed_back"),
    REASSIGNED: N_("handoff.reason.reassigned"),
}
"""How the console and the notifications name each reason."""


def reason_label(reason: str, language: str = "es") -> str:
    """The reason as staff read it."""
    key = REASONS.get(reason)
    return t(language, key) if key else reason


class OwnershipConflict(SalesAgentError):
    """Another staff member changed the owner first; the message says who has it now."""

    def __init__(self, message: str, *, owner: Owner, staff_name: str | None = None) -> None:
        super().__init__(message)
        self.owner = owner
        self.staff_name = staff_name


class NotAllowed(SalesAgentError):
    """The staff member's role does not allow the action."""


async def transfer(
    session: AsyncSession,
    conversation: Conversation,
    *,
    to_owner: Owner,
    reason: str,
    actor: str = "bot",
    note: str | None = None,
    staff: Staff | None = None,
) -> Handoff:
    """Give the conversation to `to_owner` and record who did it and why.

    The caller holds the conversation's row (the engine's turn, inside its transaction).
    """
    record = Handoff(
        conversation_id=conversation.id,
        from_owner=conversation.owner,
        to_owner=to_owner,
        reason=reason,
        actor=actor,
        note=note,
        staff_id=staff.id if staff is not None else None,
    )
    conversation.owner = to_owner
    conversation.assigned_staff_id = staff.id if to_owner == Owner.HUMAN and staff else None
    conversation.waiting_since = utcnow() if to_owner == Owner.WAITING_HUMAN else None
    conversation.waiting_notice_at = None
    session.add(record)
    await session.flush()
    return record


async def _load(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )
    if conversation is None:
        raise NotFoundError(t(STAFF_LANGUAGE, "console.not_found.conversation", id=conversation_id))
    return conversation


async def _staff_name(session: AsyncSession, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    return await session.scalar(select(Staff.name).where(Staff.id == staff_id))


async def _conditional(
    session: AsyncSession,
    conversation: Conversation,
    *,
    to_owner: Owner,
    assigned: int | None,
    reason: str,
    staff: Staff,
    note: str | None = None,
) -> Handoff:
    """Change the owner only if nobody changed it since it was read; else OwnershipConflict."""
    from_owner, from_assigned = conversation.owner, conversation.assigned_staff_id
    changed = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.owner == from_owner,
            (
                Conversation.assigned_staff_id.is_(None)
                if from_assigned is None
                else Conversation.assigned_staff_id == from_assigned
            ),
        )
        .values(
            owner=to_owner,
            assigned_staff_id=assigned,
            waiting_since=utcnow() if to_owner == Owner.WAITING_HUMAN else None,
            waiting_notice_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(conversation)
        raise await _conflict(session, conversation)
    record = Handoff(
        conversation_id=conversation.id,
        from_owner=from_owner,
        to_owner=to_owner,
        reason=reason,
        actor=staff.username,
        note=note,
        staff_id=staff.id,
    )
    session.add(record)
    await session.flush()
    await session.refresh(conversation)
    return record


async def _conflict(session: AsyncSession, conversation: Conversation) -> OwnershipConflict:
    name = await _staff_name(session, conversation.assigned_staff_id)
    if conversation.owner == Owner.HUMAN:
        who = name or t(STAFF_LANGUAGE, "handoff.conflict.someone")
        message = t(STAFF_LANGUAGE, "handoff.conflict.taken", staff=who)
    elif conversation.owner == Owner.WAITING_HUMAN:
        message = t(STAFF_LANGUAGE, "handoff.conflict.now_waiting")
    else:
        message = t(STAFF_LANGUAGE, "handoff.conflict.now_bot")
    return OwnershipConflict(message, owner=conversation.owner, staff_name=name)


async def take(
    session: AsyncSession, conversation_id: int, staff: Staff, *, reason: str = TAKEN
) -> Conversation:
    """Give the conversation to `staff`; a conversation someone else has is refused.

    Taking one's own conversation again changes nothing.
    """
    conversation = await _load(session, conversation_id)
    if conversation.owner == Owner.HUMAN:
        if conversation.assigned_staff_id == staff.id:
            return conversation
        raise await _conflict(session, conversation)
    await _conditional(
        session, conversation, to_owner=Owner.HUMAN, assigned=staff.id, reason=reason, staff=staff
    )
    return conversation


async def hand_back(
    session: AsyncSession, conversation_id: int, staff: Staff, *, note: str | None = None
) -> Conversation:
    """Return the conversation to the bot; its sale (cart, data, state) is left as it was.

    The staff member who has it, or a manager, may; a waiting one any staff member may.
    """
    conversation = await _load(session, conversation_id)
    if conversation.owner == Owner.BOT:
        raise await _conflict(session, conversation)
    mine = conversation.assigned_staff_id == staff.id
    if conversation.owner == Owner.HUMAN and not mine and staff.role != StaffRole.MANAGER:
        raise await _conflict(session, conversation)
    await _conditional(
        session,
        conversation,
        to_owner=Owner.BOT,
        assigned=None,
        reason=HANDED_BACK,
        staff=staff,
        note=note,
    )
    return conversation


async def reassign(
    session: AsyncSession, conversation_id: int, manager: Staff, to_staff_id: int
) -> Conversation:
    """A manager gives the conversation to another staff member (waiting or taken)."""
    if manager.role != StaffRole.MANAGER:
        raise NotAllowed(t(STAFF_LANGUAGE, "handoff.refused.reassign"))
    target = await session.get(Staff, to_staff_id)
    if target is None or not target.active:
        raise NotFoundError(t(STAFF_LANGUAGE, "handoff.not_found.staff", id=to_staff_id))
    conversation = await _load(session, conversation_id)
    if conversation.owner == Owner.HUMAN and conversation.assigned_staff_id == target.id:
        return conversation
    before = await _staff_name(session, conversation.assigned_staff_id)
    note = f"{before or conversation.owner.value} → {target.name}"
    await _conditional(
        session,
        conversation,
        to_owner=Owner.HUMAN,
        assigned=target.id,
        reason=REASSIGNED,
        staff=manager,
        note=note,
    )
    return conversation


def describe_hours(schedule: Schedule, language: str) -> str:
    """`lunes a viernes de 7:30 a. m. a 6:00 p. m.; sábado de 8:00 a. m. a 1:00 p. m.`"""
    names = [t(language, day) for day in DAY_NAMES]
    runs: list[tuple[int, int]] = []
    for i, day in enumerate(DAYS):
        if runs and schedule.day(DAYS[runs[-1][0]]) == schedule.day(day) and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    parts = []
    for first, last in runs:
        spans = schedule.day(DAYS[first])
        if not spans:
            continue
        days = names[first] if first == last else f"{names[first]} {_to(language)} {names[last]}"
        parts.append(f"{days} {_spans(spans, language)}")
    return "; ".join(parts)


def _to(language: str) -> str:
    return t(language, "handoff.hours.days_to")


def _clock(value: time, language: str) -> str:
    hour = value.hour % 12 or 12
    if language == "en":
        return f"{hour}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"
    return f"{hour}:{value.minute:02d} {'a. m.' if value.hour < 12 else 'p. m.'}"


def _spans(spans: list[TimeRange], language: str) -> str:
    texts = [
        t(
            language,
            "handoff.hours.span",
            opens=_clock(s.opens, language),
            closes=_clock(s.closes, language),
        )
        for s in spans
    ]
    return t(language, "handoff.hours.spans_and").join(texts)


_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")

_LEAD = {
    CUSTOMER_COMPLAINT: N_("handoff.lead.customer_complaint"),
    CUSTOMER_FRUSTRATED: N_("handoff.lead.customer_frustrated"),
    REPEATED_MISUNDERSTANDING: N_("handoff.lead.repeated_misunderstanding"),
    MODEL_UNAVAILABLE: N_("handoff.lead.model_unavailable"),
    ORDER_ABOVE_AMOUNT: N_("handoff.lead.order_above_amount"),
}


@dataclass(slots=True)
class HandoffPolicy:
    """The triggers, and what customers and staff are told when a conversation changes hands."""

    triggers: HandoffTriggers = field(default_factory=HandoffTriggers)
    company: CompanyInfo | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Bogota"))
    notify_chat: str | None = None
    """The staff's Telegram chat, told of every conversation that starts waiting."""
    console_url: str | None = None
    """Where the console is reached (links in the notifications)."""

    @classmethod
    def from_settings(
        cls, settings: Settings, company: CompanyInfo | None = None, *, notify: bool = False
    ) -> HandoffPolicy:
        """The policy the settings and the company file describe."""
        base = (settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
        return cls(
            triggers=HandoffTriggers.from_settings(settings),
            company=company,
            timezone=ZoneInfo(settings.shop_timezone),
            notify_chat=settings.staff_telegram_chat_id if notify else None,
            console_url=f"{base}/console",
        )

    @property
    def staff_hours(self) -> Schedule | None:
        """When staff answer: the company file's `handoff.staff_hours`, else its opening hours."""
        if self.company is None:
            return None
        texts = self.company.handoff
        return texts.staff_hours if texts and texts.staff_hours else self.company.hours

    def staff_in(self, moment: datetime | None = None) -> bool:
        """Whether staff answer now (always, when no hours are known)."""
        schedule = self.staff_hours
        if schedule is None:
            return True
        local = (moment or utcnow()).astimezone(self.timezone)
        spans = schedule.day(DAYS[local.weekday()])
        return any(s.opens <= local.time() < s.closes for s in spans)

    def _hours(self, language: str) -> str:
        schedule = self.staff_hours
        return describe_hours(schedule, language) if schedule else ""

    def _fill(self, text: str, language: str) -> str:
        phone = self.company.phone if self.company else ""
        filled = text.replace("{hours}", self._hours(language)).replace("{phone}", phone)
        return _DOUBLE_STOP.sub(".", filled)  # "... 6:00 p. m.." ends once

    def transition(self, language: str, reason: str, moment: datetime | None = None) -> str:
        """What the customer is told as the conversation goes to a person."""
        texts = self.company.handoff if self.company else None
        if self.staff_in(moment):
            custom = texts.waiting if texts else None
            body = custom.text(language) if custom else t(language, "handoff.transition.staff_in")
        else:
            custom = texts.after_hours if texts else None
            body = (
                custom.text(language)
                if custom
                else t(language, "handoff.transition.after_hours", hours=self._hours(language))
            )
        lead = _LEAD.get(reason)
        text = self._fill(body, language)
        return f"{t(language, lead)} {text}" if lead else text

    def unanswered(self, language: str) -> str:
        """The honest message when nobody has taken the conversation in the set time."""
        texts = self.company.handoff if self.company else None
        if texts and texts.unanswered:
            return self._fill(texts.unanswered.text(language), language)
        hours = self._fill("{hours}", language)
        when = t(language, "handoff.unanswered.hours", hours=hours) if hours else ""
        when = _DOUBLE_STOP.sub(".", when)
        return t(language, "handoff.unanswered", when=when)

    async def request(
        self,
        session: AsyncSession,
        conversation: Conversation,
        *,
        reason: str,
        text: str = "",
        actor: str = "bot",
    ) -> Handoff:
        """Move the conversation to `waiting_human` and, if configured, tell the staff chat.

        The notification is an outbox row written in the same transaction: it is sent (with
        retries) once the handoff is committed, never for a handoff that was not.
        """
        record = await transfer(
            session, conversation, to_owner=Owner.WAITING_HUMAN, reason=reason, actor=actor
        )
        if self.notify_chat:
            session.add(
                OutboxItem(
                    conversation_id=conversation.id,
                    channel=STAFF_TELEGRAM,
                    external_chat_id=self.notify_chat,
                    text=self.notification(conversation, reason, text),
                )
            )
            await session.flush()
        return record

    def notification(self, conversation: Conversation, reason: str, text: str) -> str:
        """The staff chat's message about a conversation that started waiting."""
        last = " ".join(text.split())
        last = last if len(last) <= 200 else last[:197] + "..."
        channel, chat = conversation.channel, conversation.external_chat_id
        lines = [
            t(STAFF_LANGUAGE, "handoff.notice.waiting", channel=channel, chat=chat),
            t(STAFF_LANGUAGE, "handoff.notice.reason", reason=reason_label(reason)),
        ]
        if last:
            lines.append(t(STAFF_LANGUAGE, "handoff.notice.last_message", text=last))
        if self.console_url:
            lines.append(f"{self.console_url}/conversations/{conversation.id}")
        return "\n".join(lines)

    def undelivered_notification(self, conversation: Conversation, reason: str) -> str:
        """The staff chat's message about a reply the outbox gave up on."""
        channel, chat = conversation.channel, conversation.external_chat_id
        lines = [
            t(STAFF_LANGUAGE, "handoff.notice.undelivered", channel=channel, chat=chat),
            t(STAFF_LANGUAGE, "handoff.notice.reason", reason=reason[:300]),
        ]
        if self.console_url:
            lines.append(f"{self.console_url}/conversations/{conversation.id}")
        return "\n".join(lines)


async def unanswered_due(
    session: AsyncSession, *, wait: timedelta, now: datetime | None = None, limit: int = 100
) -> list[int]:
    """Conversations waiting longer than `wait` whose customer was not told yet."""
    moment = now or utcnow()
    rows = await session.execute(
        select(Conversation.id)
        .where(
            Conversation.owner == Owner.WAITING_HUMAN,
            Conversation.waiting_since <= moment - wait,
            Conversation.waiting_notice_at.is_(None),
        )
        .order_by(Conversation.waiting_since)
        .limit(limit)
    )
    return list(rows.scalars())


async def tell_unanswered(
    session: AsyncSession, conversation_id: int, policy: HandoffPolicy
) -> int | None:
    """Write the honest message for a conversation still waiting (once per wait).

    Returns the outbox row to deliver, or None when someone took it or it was told already.
    """
    now = utcnow()
    claimed = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.owner == Owner.WAITING_HUMAN,
            Conversation.waiting_notice_at.is_(None),
        )
        .values(waiting_notice_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation is not None
    text = policy.unanswered(conversation.language)
    _message, row = await write_outbound(session, conversation, text, handler=NOTICE_HANDLER)
    return row.id


async def write_outbound(
    session: AsyncSession,
    conversation: Conversation,
    text: str,
    *,
    handler: str,
    staff_id: int | None = None,
) -> tuple[Message, OutboxItem]:
    """Record a message to the customer and its outbox row (sent once the transaction commits)."""
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        text=text,
        handler=handler,
        staff_id=staff_id,
    )
    return message, await outbox.queue(session, conversation, message)
