"""The proposals' HTML: the table the desk and a conversation's panel show (and the script
swaps in when the feed says something changed)."""

from __future__ import annotations

from agent.models import ProposalStatus
from agent.words import N_, STAFF_LANGUAGE, Labels
from console import pages
from console.auth import StaffUser
from console.proposal_desk import ProposalRow

STATUSES = Labels(
    STAFF_LANGUAGE,
    {
        ProposalStatus.PENDING: N_("proposals.status.pending"),
        ProposalStatus.APPROVED: N_("proposals.status.approved"),
        ProposalStatus.EDITED: N_("proposals.status.edited"),
        ProposalStatus.REJECTED: N_("proposals.status.rejected"),
        ProposalStatus.EXPIRED: N_("proposals.status.expired"),
    },
)
KINDS = Labels(
    STAFF_LANGUAGE,
    {
        "discount": N_("proposals.kind.discount"),
        "reserve_stock": N_("proposals.kind.reserve_stock"),
        "restock": N_("proposals.kind.restock"),
        "price_change": N_("proposals.kind.price_change"),
        "quote": N_("proposals.kind.quote"),
        "refund": N_("proposals.kind.refund"),
    },
)
EDIT_LABELS = Labels(
    STAFF_LANGUAGE,
    {
        "percent": N_("proposals.edit.percent"),
        "quantity": N_("proposals.edit.quantity"),
        "price": N_("proposals.edit.price"),
        "unit_price": N_("proposals.edit.unit_price"),
        "amount": N_("proposals.edit.amount"),
    },
)


def fragment(rows: list[ProposalRow], user: StaffUser, *, conversation_id: int | None) -> str:
    """The table of proposals with the manager's forms (what the script swaps in)."""
    return pages.TEMPLATES.render(
        "proposals_fragment.html",
        rows=rows,
        csrf=user.csrf_token,
        manager=user.staff.role == "manager",
        statuses=STATUSES,
        kinds=KINDS,
        edit_labels=EDIT_LABELS,
        conversation_id=conversation_id,
    )
