"""Who a chat is: when the customer's data on file may be shown to it.

A cédula is known to many people, so it only says whom the customer claims to be. The data on
file (full name, phone, address, e-mail, totals, history) is shown to a chat only when:

- the chat's own identity is the customer's phone on file: a WhatsApp chat is its number,
  vouched for by Twilio's signed webhook; or
- the chat proved it in this conversation: the customer typed, in full, the phone number on
  file for the cédula they gave (a Telegram customer may share their own contact instead),
  or the customer's record was created from this very chat.

A verified chat is remembered on its conversation (`VERIFIED_KEY` in its context), so a linked
Telegram or web chat is recognised the next time. Staff see everything in the console.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Conversation, Customer

VERIFIED_KEY = "verified_customer"
"""The conversation context's key holding the id of the customer this chat proved to be."""

FAILURES_KEY = "verify_failures"
"""How many phone numbers typed in this chat did not match the one on file."""

MAX_FAILURES = 3
"""After this many wrong phone numbers, the chat can no longer verify itself (staff can help)."""

PHONE_CHANNELS = frozenset({"whatsapp"})
"""Channels whose chat id is the customer's phone number, vouched for by the vendor."""

_NOT_DIGIT = re.compile(r"\D")
_NATIONAL_DIGITS = 10
"""A Colombian number without its country code (57): a mobile 3xx or a landline 60x."""


def national_number(phone: str | None) -> str | None:
    """The phone's national digits ("+57 310 555 4567" → "3105554567"), None without any."""
    digits = _NOT_DIGIT.sub("", phone or "")
    if len(digits) > _NATIONAL_DIGITS:
        digits = digits[-_NATIONAL_DIGITS:]
    return digits or None


def same_phone(given: str | None, on_file: str | None) -> bool:
    """Whether two ways of writing a phone number are the same number."""
    a, b = national_number(given), national_number(on_file)
    return a is not None and len(a) >= 7 and a == b


def chat_phone(conversation: Conversation) -> str | None:
    """The phone number the chat itself is (WhatsApp), None on other channels."""
    if conversation.channel not in PHONE_CHANNELS:
        return None
    return national_number(conversation.external_chat_id)


def is_verified(conversation: Conversation, customer: Customer) -> bool:
    """Whether this chat may see `customer`'s data on file."""
    if conversation.context.get(VERIFIED_KEY) == customer.id:
        return True
    return same_phone(chat_phone(conversation), customer.phone)


async def verified_customer(session: AsyncSession, conversation: Conversation) -> Customer | None:
    """The customer linked to the chat, when the chat may see their data on file."""
    if conversation.customer_id is None:
        return None
    customer = await session.get(Customer, conversation.customer_id)
    return customer if customer is not None and is_verified(conversation, customer) else None


def mark_verified(conversation: Conversation, customer: Customer) -> None:
    """Remember that this chat is `customer` (and link them, as staff see it)."""
    conversation.customer_id = customer.id
    conversation.context = {
        **{k: v for k, v in conversation.context.items() if k != FAILURES_KEY},
        VERIFIED_KEY: customer.id,
    }


def may_try(conversation: Conversation) -> bool:
    """Whether the chat may still try to verify itself by typing a phone number."""
    return int(conversation.context.get(FAILURES_KEY, 0)) < MAX_FAILURES


def record_failure(conversation: Conversation) -> None:
    """Count a phone number that did not match."""
    failures = int(conversation.context.get(FAILURES_KEY, 0)) + 1
    conversation.context = {**conversation.context, FAILURES_KEY: failures}
