"""The managers' desk of proposals: the pending ones, and approve, edit, reject, expire.

Each decision is one transaction (`agent/proposals/decisions.py`: the status, the audit row,
the effect applied, the customer's answer in the outbox), then the answer is delivered and the
open consoles are told. The expiry runs once per pass however many processes run it: a
proposal expires by a conditional UPDATE, so two passes never tell a customer twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from agent.db import transaction
from agent.models import Conversation, Proposal, ProposalStatus, Staff
from agent.proposals import decisions
from agent.proposals.decisions import Decided
from agent.proposals.kinds import kind_of
from agent.words import STAFF_LANGUAGE
from console.service import StaffConsole

log = logging.getLogger(__name__)

RECENT = 50
"""How many decided proposals the desk shows under the pending ones."""


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """A proposal as the desk shows it: its effect in words, its chat, who decided."""

    proposal: Proposal
    effect: str
    channel: str | None
    chat_id: str | None
    decided_by: str | None
    edit_field: str

    @property
    def pending(self) -> bool:
        """Whether a manager can still decide it."""
        return self.proposal.status == ProposalStatus.PENDING


class ProposalDesk:
    """The console's proposals: read them, decide them, expire them."""

    def __init__(self, console: StaffConsole) -> None:
        self.console = console

    async def rows(self, *, conversation_id: int | None = None) -> list[ProposalRow]:
        """Pending proposals first (the oldest first), then the newest decided ones."""
        decider = aliased(Staff)
        query = (
            select(Proposal, Conversation.channel, Conversation.external_chat_id, decider.name)
            .outerjoin(Conversation, Conversation.id == Proposal.conversation_id)
            .outerjoin(decider, decider.id == Proposal.decided_by)
        )
        if conversation_id is not None:
            query = query.where(Proposal.conversation_id == conversation_id)
        async with self.console.sessions() as session:
            pending = await session.execute(
                query.where(Proposal.status == ProposalStatus.PENDING).order_by(Proposal.id)
            )
            decided = await session.execute(
                query.where(Proposal.status != ProposalStatus.PENDING)
                .order_by(Proposal.id.desc())
                .limit(RECENT)
            )
            found = [*pending.all(), *decided.all()]
        return [
            ProposalRow(
                proposal=proposal,
                effect=kind_of(proposal).describe(proposal.effect, STAFF_LANGUAGE),
                channel=channel,
                chat_id=chat_id,
                decided_by=name,
                edit_field=kind_of(proposal).edit_field,
            )
            for proposal, channel, chat_id, name in found
        ]

    async def approve(
        self, staff: Staff, proposal_id: int, *, value: str | None, note: str | None
    ) -> Proposal:
        """Approve (edited when `value` changes it) and apply, then tell the customer."""
        async with transaction(self.console.sessions) as session:
            decided = await decisions.approve(
                session, proposal_id, staff=staff, value=value, note=note
            )
        await self._after(decided, by=staff.name)
        return decided.proposal

    async def reject(self, staff: Staff, proposal_id: int, *, reason: str) -> Proposal:
        """Reject with a reason, then tell the customer."""
        async with transaction(self.console.sessions) as session:
            decided = await decisions.reject(session, proposal_id, staff=staff, reason=reason)
        await self._after(decided, by=staff.name)
        return decided.proposal

    async def expire_due(self) -> int:
        """One pass of the expiry: every pending proposal whose time is up; how many."""
        async with self.console.sessions() as session:
            due = await decisions.due(session)
        expired = 0
        for proposal_id in due:
            async with transaction(self.console.sessions) as session:
                decided = await decisions.expire(session, proposal_id)
            if decided is not None:
                expired += 1
                await self._after(decided, by=None)
        return expired

    async def watch(self) -> None:
        """Run the expiry forever (the app's lifespan runs it without a task queue)."""
        interval = min(30.0, max(0.5, self.console.settings.proposal_ttl_minutes * 60 / 4))
        while True:
            try:
                await self.expire_due()
            except Exception:  # the loop's edge: logged, the next pass tries again
                log.exception("the proposal expiry failed")
            await asyncio.sleep(interval)

    async def _after(self, decided: Decided, *, by: str | None) -> None:
        proposal = decided.proposal
        dispatcher = self.console.dispatcher
        if decided.outbox_id is not None and dispatcher is not None:
            await dispatcher.deliver(decided.outbox_id)
        if proposal.conversation_id is None:
            return
        async with self.console.sessions() as session:
            conversation = await session.get(Conversation, proposal.conversation_id)
        if conversation is not None:
            await self.console.publish(
                conversation, f"proposal_{proposal.status.value}", reason=None, by=by
            )
