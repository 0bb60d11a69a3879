"""A return or refund asked in a chat becomes a proposal for a manager (README "Proposals").

Only the chat's own verified customer's orders are looked at: an order number that is not
theirs gets the same answer as one that does not exist. The order must still be returnable
(confirmed or delivered, not cancelled, never refunded); named products narrow the return to
those lines. With no number, the customer's one returnable recent order is used, or they are
asked which (their own orders only), and their answer ("el 1234") continues the request.
The refund is computed from the order's lines by code; the customer is told it is checked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import identity
from agent.domain import DomainResult, Offer
from agent.handoff import HandoffPolicy
from agent.handoff_triggers import asks_for_person
from agent.i18n import HISTORY_ORDERS, money, order_date
from agent.models import Conversation, Customer, Order
from agent.proposals import decisions
from agent.proposals.asks import RefundAsk, lines_named, order_answered, refund_asked
from agent.proposals.kinds import REFUNDED_ORDER, RETURNABLE_ORDER, Refund
from agent.settings import Settings
from agent.turn.answer import Reply
from agent.turn.understand import Understood
from agent.words import t

HANDLER = decisions.HANDLER
ASKED_KEY = "refund_asked"
"""The conversation context's key holding a return asked without its order, for one turn."""


async def ask_refund(
    session: AsyncSession,
    conversation: Conversation,
    understood: Understood,
    *,
    handoff: HandoffPolicy,
    settings: Settings,
) -> Reply | None:
    """The answer to a message asking to return an order or for a refund (a proposal made,
    or why not), or None when it asks for neither."""
    text = understood.text
    understanding = understood.reading.understanding
    waiting = conversation.context.get(ASKED_KEY)
    if waiting is not None:  # it lasts one turn: the answer, or the request is dropped
        conversation.context = {k: v for k, v in conversation.context.items() if k != ASKED_KEY}
    asked = refund_asked(text)
    if asked is None and isinstance(waiting, str):
        number, before = order_answered(text), refund_asked(waiting)
        if number is not None and before is not None:  # the answer to "which order?"
            asked, text = RefundAsk(number, before.damaged), f"{waiting} · {text}"
    if asked is None or asks_for_person(understood.text):
        return None
    language = understanding.language
    customer = await identity.verified_customer(session, conversation)
    if customer is None:
        reading = understood.reading
        if understanding.top == "handoff" or handoff.triggers.before(
            text, understanding, model_down=reading.model_down, unsure=reading.unsure
        ):
            return None  # an angry stranger or a complaint: a person takes it, as before
        said = t(language, "proposals.refund.who")
        result = DomainResult(
            reply=said, facts={"needs": "national_id"}, offer=Offer("customer.history")
        )
        return Reply(result, HANDLER)
    said = await _proposed(session, conversation, customer, asked, text, understood, settings)
    return Reply(DomainResult(reply=said), HANDLER)


async def _proposed(
    session: AsyncSession,
    conversation: Conversation,
    customer: Customer,
    asked: RefundAsk,
    text: str,
    understood: Understood,
    settings: Settings,
) -> str:
    """Propose the return the message asks for; what the customer is told."""
    language = understood.reading.understanding.language
    if asked.order_id is None:
        recent = await _returnable(session, customer)
        if not recent:
            return t(language, "proposals.refund.none")
        if len(recent) > 1:
            conversation.context = {**conversation.context, ASKED_KEY: text}
            listed = "\n".join(
                f"• #{order.id} — {order_date(order.created_at, language)} — "
                + money(order.total, order.currency, language)
                for order in recent
            )
            return t(language, "proposals.refund.which", orders=listed)
        order = recent[0]
    else:
        found = await session.get(Order, asked.order_id)
        if found is None or found.customer_id != customer.id:
            return t(language, "proposals.refund.not_found", order=asked.order_id)
        order = found
    if order.status not in RETURNABLE_ORDER:
        if order.status == REFUNDED_ORDER or order.refunded > 0:
            return t(language, "proposals.refund.already", order=order.id)
        return t(language, "proposals.refund.not_returnable", order=order.id)
    if await decisions.has_pending(session, order_id=order.id):
        return t(language, "proposals.asked.already")
    named = lines_named(text, [line.name for line in order.lines])
    if not named and understood.reading.understanding.entities.products:
        products = ", ".join(line.name for line in order.lines)
        return t(language, "proposals.refund.no_line", order=order.id, products=products)
    returned = {
        order.lines[position].id: units or order.lines[position].quantity
        for position, units in named.items()
    }
    effect = Refund.effect(order, returned, restock=not asked.damaged)
    return await decisions.checked_by_manager(
        session,
        conversation,
        Refund.name,
        [effect],
        asked=text,
        language=language,
        minutes=settings.proposal_ttl_minutes,
        order_id=order.id,
    )


async def _returnable(session: AsyncSession, customer: Customer) -> list[Order]:
    """The customer's returnable orders among their latest ones, newest first."""
    latest = await session.scalars(
        select(Order)
        .where(Order.customer_id == customer.id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(HISTORY_ORDERS)
    )
    return [order for order in latest if order.status in RETURNABLE_ORDER]
