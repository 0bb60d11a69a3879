"""Proposals written and decided: propose, approve (as proposed or edited), reject, expire.

Every decision is one transaction (the caller's): the proposal's status changes by a
conditional UPDATE (only a pending proposal is decided, once, whoever else tries at the same
moment), its audit row is written, an approved effect is applied (`kinds.apply`, which needs
that row), and the customer's answer is queued in the outbox on their own channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent import outbox
from agent.errors import ConflictError, InvalidInputError, NotFoundError
from agent.models import (
    Conversation,
    Direction,
    Message,
    Proposal,
    ProposalAudit,
    ProposalStatus,
    Staff,
    utcnow,
)
from agent.proposals.kinds import KINDS, apply, kind_of
from agent.words import STAFF_LANGUAGE, t

HANDLER = "proposals"
"""The handler named on the messages that tell a customer a decision."""


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision made: the proposal as it is now and the customer's answer in the outbox."""

    proposal: Proposal
    outbox_id: int | None


async def propose(
    session: AsyncSession,
    conversation: Conversation | None,
    kind: str,
    effect: dict[str, Any],
    *,
    asked: str,
    ttl: timedelta,
    sale_id: int | None = None,
    order_id: int | None = None,
) -> Proposal:
    """Write a pending proposal (it expires after `ttl`): a customer's, told of the decision on
    their conversation, or the staff's own (`conversation` None: a restock, a price change)."""
    if kind not in KINDS:
        raise InvalidInputError(f"unknown proposal kind {kind!r}", field="kind")
    now = utcnow()
    proposal = Proposal(
        kind=kind,
        status=ProposalStatus.PENDING,
        conversation_id=conversation.id if conversation is not None else None,
        customer_id=conversation.customer_id if conversation is not None else None,
        sale_id=sale_id,
        order_id=order_id,
        effect=effect,
        asked=asked[:2000],
        language=conversation.language if conversation is not None else STAFF_LANGUAGE,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(proposal)
    await session.flush()
    return proposal


async def checked_by_manager(
    session: AsyncSession,
    conversation: Conversation,
    kind: str,
    effects: list[dict[str, Any]],
    *,
    asked: str,
    language: str,
    minutes: float,
    sale_id: int | None = None,
    order_id: int | None = None,
) -> str:
    """Propose each of a customer's effects (pending for `minutes`); what the customer is told:
    that a manager is checking it, and for how long at the most."""
    for effect in effects:
        await propose(
            session,
            conversation,
            kind,
            effect,
            asked=asked,
            ttl=timedelta(minutes=minutes),
            sale_id=sale_id,
            order_id=order_id,
        )
    described = "; ".join(KINDS[kind].describe(effect, language) for effect in effects)
    return t(language, "proposals.asked.checking", effect=described, minutes=round(minutes))


async def has_pending(
    session: AsyncSession, *, sale_id: int | None = None, order_id: int | None = None
) -> bool:
    """Whether the cart or order already has a pending proposal (one is decided at a time)."""
    query = select(Proposal.id).where(Proposal.status == ProposalStatus.PENDING)
    if sale_id is not None:
        query = query.where(Proposal.sale_id == sale_id)
    if order_id is not None:
        query = query.where(Proposal.order_id == order_id)
    return await session.scalar(query.limit(1)) is not None


async def approve(
    session: AsyncSession,
    proposal_id: int,
    *,
    staff: Staff | None,
    value: str | None = None,
    note: str | None = None,
    tell: bool = True,
) -> Decided:
    """Approve a pending proposal, with the manager's `value` when given (an edit), and apply
    it; `staff` None is the shop's own rule (a discount within the threshold), told to the
    customer by the turn itself (`tell` False)."""
    proposal = await _pending(session, proposal_id)
    proposed = dict(proposal.effect)
    kind = kind_of(proposal)
    effect = proposed
    if value is not None and value.strip():
        effect = kind.edited(proposed, value)
    status = ProposalStatus.EDITED if effect != proposed else ProposalStatus.APPROVED
    await _decide(session, proposal, status, staff, effect=effect)
    audit = ProposalAudit(
        proposal_id=proposal.id,
        decision=status,
        staff_id=staff.id if staff is not None else None,
        changes={"proposed": proposed, "applied": effect},
        note=note,
    )
    session.add(audit)
    await session.flush()
    changed = await apply(session, proposal)
    audit.changes = {**audit.changes, "rows": changed}
    if not tell:
        return Decided(proposal, None)
    text = approved_text(proposal)
    return Decided(proposal, await _tell(session, proposal, text, staff))


def approved_text(proposal: Proposal) -> str:
    """What the customer reads when their proposal is approved (as approved)."""
    describe = kind_of(proposal).describe(proposal.effect, proposal.language)
    return t(proposal.language, "proposals.told.approved", effect=describe)


async def reject(session: AsyncSession, proposal_id: int, *, staff: Staff, reason: str) -> Decided:
    """Reject a pending proposal with a reason the customer reads; nothing else changes."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInputError(t(STAFF_LANGUAGE, "proposals.error.reason"), field="reason")
    proposal = await _pending(session, proposal_id)
    await _decide(session, proposal, ProposalStatus.REJECTED, staff, reason=reason)
    session.add(
        ProposalAudit(
            proposal_id=proposal.id,
            decision=ProposalStatus.REJECTED,
            staff_id=staff.id,
            changes={"proposed": proposal.effect},
            note=reason,
        )
    )
    describe = kind_of(proposal).describe(proposal.effect, proposal.language)
    text = t(proposal.language, "proposals.told.rejected", effect=describe, reason=reason)
    return Decided(proposal, await _tell(session, proposal, text, staff))


async def due(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """The pending proposals whose time is up, oldest first."""
    rows = await session.scalars(
        select(Proposal.id)
        .where(Proposal.status == ProposalStatus.PENDING, Proposal.expires_at <= (now or utcnow()))
        .order_by(Proposal.expires_at, Proposal.id)
    )
    return list(rows)


async def expire(session: AsyncSession, proposal_id: int) -> Decided | None:
    """Expire one pending proposal whose time is up and tell the customer; None when it was
    decided (or expired by another process) meanwhile."""
    now = utcnow()
    done = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            Proposal.status == ProposalStatus.PENDING,
            Proposal.expires_at <= now,
        )
        .values(status=ProposalStatus.EXPIRED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    proposal = await session.get(Proposal, proposal_id, populate_existing=True)
    assert proposal is not None
    session.add(
        ProposalAudit(
            proposal_id=proposal.id,
            decision=ProposalStatus.EXPIRED,
            changes={"proposed": proposal.effect},
        )
    )
    describe = kind_of(proposal).describe(proposal.effect, proposal.language)
    text = t(proposal.language, "proposals.told.expired", effect=describe)
    return Decided(proposal, await _tell(session, proposal, text, None))


async def _pending(session: AsyncSession, proposal_id: int) -> Proposal:
    proposal = await session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        raise NotFoundError(t(STAFF_LANGUAGE, "proposals.error.not_found", id=proposal_id))
    if proposal.status != ProposalStatus.PENDING or proposal.expires_at <= utcnow():
        raise ConflictError(
            t(STAFF_LANGUAGE, "proposals.error.decided"), details={"status": proposal.status.value}
        )
    return proposal


async def _decide(
    session: AsyncSession,
    proposal: Proposal,
    status: ProposalStatus,
    staff: Staff | None,
    *,
    effect: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Move a pending proposal to `status`, once: whoever decides it first wins."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "decided_at": now,
        "decided_by": staff.id if staff is not None else None,
        "reason": reason,
    }
    if effect is not None:
        values["effect"] = effect
    done = await session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == ProposalStatus.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(t(STAFF_LANGUAGE, "proposals.error.decided"))
    await session.refresh(proposal)


async def _tell(
    session: AsyncSession, proposal: Proposal, text: str, staff: Staff | None
) -> int | None:
    """Queue the customer's answer on their channel; its outbox row's id."""
    if proposal.conversation_id is None:
        return None
    conversation = await session.get(Conversation, proposal.conversation_id)
    if conversation is None:
        return None
    message = Message(
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        text=text,
        handler=HANDLER,
        staff_id=staff.id if staff is not None else None,
    )
    row = await outbox.queue(session, conversation, message)
    conversation.last_activity_at = utcnow()
    return row.id
