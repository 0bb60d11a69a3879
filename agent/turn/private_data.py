"""The customer's personal data a turn knows, to keep out of the prompts a model is sent."""

from __future__ import annotations

from sqlalchemy import inspect

from agent.models import Conversation, Sale
from agent.nlu.types import Understanding

PRIVATE_FIELDS = ("national_id", "phone", "email", "address")


def private_values(conversation: Conversation, sale: Sale | None) -> list[tuple[str, str]]:
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


def entity_values(understanding: Understanding) -> list[tuple[str, str]]:
    """The personal data the message itself carries (a national id, a phone, ...)."""
    entities = understanding.entities
    return [
        (name, value) for name in PRIVATE_FIELDS if (value := getattr(entities, name)) is not None
    ]
