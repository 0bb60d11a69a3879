"""The settings the lead rules use, read once from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from agent.settings import Settings


@dataclass(frozen=True, slots=True)
class LeadPolicy:
    """When an episode ends, what makes a wholesale lead and a first-priority amount."""

    idle: timedelta
    """SESSION_IDLE_HOURS: a silence this long starts a new episode (and a new lead)."""
    wholesale_quantity: int
    """LEAD_WHOLESALE_QUANTITY."""
    high_amount: Decimal
    """HANDOFF_ORDER_AMOUNT: a lead worth this much is first priority."""
    currency: str


def lead_policy(settings: Settings) -> LeadPolicy:
    """The lead rules' settings."""
    return LeadPolicy(
        idle=timedelta(hours=settings.session_idle_hours),
        wholesale_quantity=settings.lead_wholesale_quantity,
        high_amount=settings.handoff_order_amount,
        currency=settings.currency,
    )
