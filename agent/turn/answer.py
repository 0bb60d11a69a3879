"""What the bot answers in a turn: the handler its intent routes to, or a person.

The handoff triggers (`agent/handoff_triggers.py`) are checked before the handler (an explicit
request, a complaint, frustration, the model down while the offline reading is unsure) and
after it (a request the handler cannot serve, the same misunderstanding twice in a row, a cart
above the set amount); a trigger moves the conversation to `waiting_human` with its reason and
the customer is told what happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from agent import handoff_triggers, order_fields
from agent.domain import DomainHandler, DomainResult, Offer, TurnContext
from agent.handoff import HandoffPolicy
from agent.models import Conversation, Message, Sale, SaleState
from agent.nlu.consent import explicit_yes
from agent.nlu.types import Understanding
from agent.turn.understand import Understood
from agent.understanding import Reading
from agent.words import t

ROUTES = {
    "inventory": "inventory",
    "purchase": "sales",
    "customer": "customers",
    "company": "company",
    "smalltalk": "smalltalk",
    "other": "smalltalk",
}
"""Which handler answers each top-level intent (`handoff` is the engine's own)."""

IMAGE_HANDOFF_REASON = "image_needs_person"


@dataclass(slots=True)
class Reply:
    """The bot's answer in a turn, and who gave it (a handler's name, `handoff`, `engine`...)."""

    result: DomainResult
    handler: str
    handed_off: str | None = None
    """The reason, when this reply handed the conversation to a person."""


async def answer(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale | None,
    understood: Understood,
    history: list[Message],
    offer: Offer | None,
    *,
    handoff: HandoffPolicy,
    handlers: Mapping[str, DomainHandler],
) -> Reply:
    """Run the handler the message routes to, handing over to a person when a trigger fires."""
    reading, text = understood.reading, understood.text
    understanding = unconfirmed(reading, text, sale)
    language = understanding.language
    triggers = handoff.triggers
    if not text:
        reply = t(language, "turn.answer")
        return Reply(DomainResult(reply=reply), "engine")
    early = triggers.before(
        text, understanding, model_down=reading.model_down, unsure=reading.unsure
    )
    offered = offer.reason if offer is not None and offer.intent == "handoff" else None
    if understanding.top == "handoff" and not (offered or early or triggers.requested(text)):
        # Read as wanting a person only for anger or a complaint the shop does not hand over.
        understanding = replace(understanding, intent="other", confidence=0.3)
    if understanding.top == "handoff":
        if offered is None and early is None and not triggers.on(handoff_triggers.REQUEST):
            return Reply(DomainResult(reply=_no_person(handoff, language)), "handoff")
        # A complaint read as a request for a person keeps its reason (and its apology).
        reason = offered or early or handoff_triggers.CUSTOMER_REQUEST
        return await _hand_over(session, handoff, conversation, reason, understanding, text)
    if early is not None:
        return await _hand_over(session, handoff, conversation, early, understanding, text)
    name = route(understanding, sale)
    before = dict(sale.data) if sale is not None else None
    ctx = TurnContext(
        session=session,
        conversation=conversation,
        sale=sale,
        understanding=understanding,
        text=text,
        language=language,
        history=history,
        offer=offer,
    )
    if understanding.parts:
        name, result = await _answer_each(ctx, handlers)
    else:
        result = await handlers[name].handle(ctx)
    unserved = result.handoff_reason
    if unserved and triggers.on(handoff_triggers.UNSERVABLE):
        await handoff.request(session, conversation, reason=unserved, text=text)
        result.reply = f"{result.reply}\n\n{handoff.transition(language, unserved)}"
        return Reply(result, name, unserved)
    after = result.sale or sale
    conversation.context, repeated = triggers.streak(
        conversation.context,
        understanding=understanding,
        handler=name,
        sale_before=before,
        sale_after=after,
    )
    if repeated:
        reason = handoff_triggers.REPEATED_MISUNDERSTANDING
        return await _hand_over(
            session, handoff, conversation, reason, understanding, text, sale=result.sale
        )
    if name != "sales" and awaiting_yes(after):
        result.reply = f"{result.reply}\n\n{_still_open(language)}"
    elif name != "sales" and (pending := _pending_field(after)):
        # "¿y cuánto cobran de envío?" between two fields: answered, then asked again.
        result.reply = f"{result.reply}\n\n{order_fields.ask(pending, language)}"
    await session.flush()  # a sale the handler just started gets its id
    if triggers.above_amount(conversation.context, after):
        assert after is not None
        reason = handoff_triggers.ORDER_ABOVE_AMOUNT
        conversation.context = {**conversation.context, handoff_triggers.AMOUNT_KEY: after.id}
        await handoff.request(session, conversation, reason=reason, text=text)
        result.reply = f"{result.reply}\n\n{handoff.transition(language, reason)}"
        result.handoff_reason = reason
        return Reply(result, name, reason)
    return Reply(result, name)


async def photo_for_person(
    session: AsyncSession,
    handoff: HandoffPolicy,
    conversation: Conversation,
    language: str,
    text: str,
) -> Reply:
    """The answer to a photo no model could read: a person looks, or the customer is asked."""
    if not handoff.triggers.on(handoff_triggers.UNSERVABLE):
        reply = t(language, "turn.photo_for_person.saved")
        return Reply(DomainResult(reply=reply), "engine")
    await handoff.request(
        session, conversation, reason=IMAGE_HANDOFF_REASON, text=text or "(imagen)"
    )
    reply = t(language, "turn.photo_for_person")
    return Reply(
        DomainResult(reply=reply, handoff_reason=IMAGE_HANDOFF_REASON),
        "handoff",
        IMAGE_HANDOFF_REASON,
    )


def awaiting_yes(sale: Sale | None) -> bool:
    """Whether the sale's summary was shown and waits for the customer's yes."""
    return sale is not None and sale.state == SaleState.READY_TO_CONFIRM


def _pending_field(sale: Sale | None) -> str | None:
    """The customer field the sale is asking for, while it collects the order's data."""
    if sale is None or sale.state != SaleState.COLLECTING_DATA:
        return None
    pending: str | None = sale.data.get("pending_field")
    return pending


def unconfirmed(reading: Reading, text: str, sale: Sale | None) -> Understanding:
    """The reading to act on: a "yes" that is not a plain yes is read by the offline rules.

    A model (or a rule) may read "bueno pero primero dime si hay descuento" as a yes; only the
    customer's words can confirm an order (`agent/nlu/consent.py`), so the question is
    answered instead and the summary stays open.
    """
    understanding = reading.understanding
    if understanding.intent != "purchase.confirm" or not awaiting_yes(sale):
        return understanding
    if explicit_yes(text) or reading.offline.intent == "purchase.confirm":
        return understanding  # the sales handler still checks the words before it closes
    return reading.offline


async def _answer_each(
    ctx: TurnContext, handlers: Mapping[str, DomainHandler]
) -> tuple[str, DomainResult]:
    """A message that asks several things (agent/nlu/clauses.py): each clause answered by its
    handler in turn, on the sale as the clauses before it left it, the answers in one reply.
    The handler named is the sales one when any clause bought something."""
    sale, names, results = ctx.sale, [], []
    for part in ctx.understanding.parts:
        name = route(part.understanding, sale)
        clause = replace(ctx, understanding=part.understanding, text=part.text, sale=sale)
        result = await handlers[name].handle(clause)
        sale = result.sale or sale
        names.append(name)
        results.append(result)
    offers = [r.offer for r in results if r.offer is not None]
    # What each clause was about ("el extintor y la bota" next refers to them), not the
    # alternatives each answer offered beside it.
    about = [p for r in results for p in ([r.focus] if r.focus else r.products)]
    products = list({p.id: p for p in about}.values())
    merged = DomainResult(
        reply="\n\n".join(r.reply for r in results if r.reply),
        facts={"parts": [r.facts for r in results]},
        products=products,
        sale=sale if any(r.sale is not None for r in results) else None,
        order_id=next((r.order_id for r in results if r.order_id), None),
        handoff_reason=next((r.handoff_reason for r in results if r.handoff_reason), None),
        offer=offers[0] if len(offers) == 1 else None,
    )
    return ("sales" if "sales" in names else names[0]), merged


def _still_open(language: str) -> str:
    return t(language, "turn.still_open")


def route(understanding: Understanding, sale: Sale | None) -> str:
    """The name of the handler that answers this reading, given the sale in progress."""
    collecting = sale is not None and sale.state in (
        SaleState.COLLECTING_DATA,
        SaleState.READY_TO_CONFIRM,
    )
    if understanding.top == "other" and collecting:
        # Mid-checkout an unclear message is an answer to the sale's question: ask again.
        return "sales"
    if understanding.top == "other" and sale is not None and sale.data.get("choices"):
        return "sales"  # possibly a pick from the list of options just shown
    return ROUTES[understanding.top]


async def _hand_over(
    session: AsyncSession,
    handoff: HandoffPolicy,
    conversation: Conversation,
    reason: str,
    understanding: Understanding,
    text: str,
    *,
    sale: Sale | None = None,
) -> Reply:
    """Move the conversation to a person, and tell the customer what happens."""
    await handoff.request(session, conversation, reason=reason, text=text)
    conversation.context = {
        k: v for k, v in conversation.context.items() if k != handoff_triggers.STREAK_KEY
    }
    said = handoff.transition(understanding.language, reason)
    return Reply(DomainResult(reply=said, sale=sale, handoff_reason=reason), "handoff", reason)


def _no_person(handoff: HandoffPolicy, language: str) -> str:
    """The answer to a request for a person while that trigger is off."""
    company = handoff.company
    phone = company.phone if company is not None else None
    call = t(language, "turn.no_person.call_us", phone=phone) if phone else ""
    return t(language, "turn.no_person", call=call)
