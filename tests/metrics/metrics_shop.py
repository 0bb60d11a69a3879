"""A day of the demo shop driven through the real engine: purchases on two channels, carts left
behind, customers asking for a person (taken by staff through the console's service), questions.

Every figure the dashboard should show is kept as the test saw it happen, for the tests to
compare with what the summary and /metrics compute from the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from conftest import Chat
from fixtures.console_login import add_staff
from sqlalchemy import select

from agent.messages import TurnResult
from agent.models import Conversation, Owner, SaleState, Staff, StaffRole
from salesagent.runtime import Runtime

EXTINGUISHER_10 = "extintor multipropósito PQS ABC de 10 libras"
EXTINGUISHER_5 = "extintor multipropósito PQS ABC de 5 libras"
CUSTOMERS = [
    ("1032456789", "Laura Restrepo", "3104567890"),
    ("79845123", "Andrés Gómez", "3157778899"),
    ("1088234567", "Camila Ospina", "3001112233"),
    ("42123987", "Jorge Salazar", "3209998877"),
]


@dataclass(slots=True)
class Activity:
    """What the test did, as it saw it."""

    orders: list[tuple[str, int, Decimal]] = field(default_factory=list)
    """(channel, order id, total) of every order placed."""
    units: dict[str, int] = field(default_factory=dict)
    """Units bought by SKU."""
    revenue: dict[str, Decimal] = field(default_factory=dict)
    """What the customers were told each SKU's lines cost, by SKU."""
    chats: list[Chat] = field(default_factory=list)
    carts: int = 0
    data_collected: int = 0
    handed: int = 0
    manager: Staff | None = None

    @property
    def results(self) -> list[TurnResult]:
        """Every turn's result, in the order the chats were made."""
        return [result for chat in self.chats for result in chat.results]


def new_chat(runtime: Runtime, activity: Activity, channel: str = "web") -> Chat:
    chat = Chat(runtime, f"m-{uuid.uuid4().hex[:8]}", channel)
    activity.chats.append(chat)
    return chat


async def checkout(
    chat: Chat, product: str, quantity: int, customer: tuple[str, str, str]
) -> TurnResult:
    """Fill a cart and give every field: the sale waits for the customer's yes."""
    added = await chat.say(f"quiero {quantity} {product}")
    assert added.cart and added.cart[0].quantity == quantity, added
    result = added
    for text in ("eso es todo", *customer, "Pereira", "Calle 19 # 8-34"):
        result = await chat.say(text)
    assert result.sale_state == SaleState.READY_TO_CONFIRM, result
    return result


async def buy(
    runtime: Runtime,
    activity: Activity,
    channel: str,
    product: str,
    quantity: int,
    customer: tuple[str, str, str],
) -> None:
    """A customer buys on `channel`: the order and its total as the customer was told."""
    chat = new_chat(runtime, activity, channel)
    ready = await checkout(chat, product, quantity, customer)
    done = await chat.say("sí, confirmo")
    assert done.sale_state == SaleState.CLOSED and done.order_id is not None, done
    activity.orders.append((channel, done.order_id, ready.cart_total))
    for line in ready.cart:
        activity.units[line.sku] = activity.units.get(line.sku, 0) + line.quantity
        activity.revenue[line.sku] = activity.revenue.get(line.sku, Decimal(0)) + line.line_total
    activity.carts += 1
    activity.data_collected += 1


async def ask_for_a_person(runtime: Runtime, activity: Activity, manager: Staff) -> None:
    """A customer asks for a person, and a manager takes the conversation in the console."""
    chat = new_chat(runtime, activity)
    await chat.say("hola, ¿tienen guantes de nitrilo?")
    asked = await chat.say("quiero hablar con un asesor por favor")
    assert asked.owner == Owner.WAITING_HUMAN, asked
    async with runtime.sessions() as session:
        conversation = await session.scalar(
            select(Conversation.id).where(Conversation.external_chat_id == chat.chat_id)
        )
    assert conversation is not None and runtime.console is not None
    await runtime.console.take(manager, conversation)
    await chat.say("gracias, espero")
    activity.handed += 1


async def drive_shop(runtime: Runtime) -> Activity:
    """Three orders on two channels, two carts left, two handoffs taken, two questions."""
    activity = Activity()
    activity.manager = await add_staff(runtime, "marta", StaffRole.MANAGER, name="Marta Ruiz")
    await buy(runtime, activity, "web", EXTINGUISHER_10, 1, CUSTOMERS[0])
    await buy(runtime, activity, "web", EXTINGUISHER_5, 3, CUSTOMERS[1])
    await buy(runtime, activity, "cli", EXTINGUISHER_10, 2, CUSTOMERS[2])

    left = new_chat(runtime, activity)  # a cart left behind
    await left.say(f"quiero 1 {EXTINGUISHER_5}")
    activity.carts += 1
    halfway = new_chat(runtime, activity, "cli")  # a cart, and the cédula given
    await halfway.say(f"quiero 4 {EXTINGUISHER_10}")
    await halfway.say("eso es todo")
    given = await halfway.say(CUSTOMERS[3][0])
    assert given.sale_state == SaleState.COLLECTING_DATA, given
    activity.carts += 1
    activity.data_collected += 1

    await ask_for_a_person(runtime, activity, activity.manager)
    await ask_for_a_person(runtime, activity, activity.manager)
    await new_chat(runtime, activity).say("¿cuál es el horario de atención?")
    await new_chat(runtime, activity, "cli").say("¿dónde están ubicados?")
    return activity
