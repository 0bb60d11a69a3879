"""The names staff read for a lead's kind, status and missing fields (console, reports, Odoo)."""

from __future__ import annotations

from agent.models import LeadKind, LeadStatus
from agent.words import N_, STAFF_LANGUAGE, Labels

KINDS = Labels(
    STAFF_LANGUAGE,
    {
        LeadKind.QUOTE_REQUEST: N_("leads.kind.quote_request"),
        LeadKind.WHOLESALE: N_("leads.kind.wholesale"),
        LeadKind.CALL_REQUEST: N_("leads.kind.call_request"),
        LeadKind.ABANDONED_CART: N_("leads.kind.abandoned_cart"),
    },
)
STATUSES = Labels(
    STAFF_LANGUAGE,
    {
        LeadStatus.OPEN: N_("leads.status.open"),
        LeadStatus.ASSIGNED: N_("leads.status.assigned"),
        LeadStatus.WON: N_("leads.status.won"),
        LeadStatus.LOST: N_("leads.status.lost"),
    },
)
MISSING = Labels(
    STAFF_LANGUAGE,
    {
        "phone": N_("leads.missing.phone"),
        "company": N_("leads.missing.company"),
        "products": N_("leads.missing.products"),
        "quantity": N_("leads.missing.quantity"),
    },
)
