"""Customer lookup and order history: a cédula plus the phone on file (or the chat's own
number) before any data on file is shown; contact data always masked."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fixtures.catalog_small import seed_catalog
from fixtures.turns import turn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.domain import DomainResult, TurnContext
from agent.identity import VERIFIED_KEY
from agent.models import Conversation, Customer, Order, OrderLine, Product
from rag_domains.customers import CustomersHandler, customer_stats

ANA_ID = "1088123456"


def _order(
    customer: Customer, when: datetime, lines: list[tuple[Product, int]], status: str = "confirmed"
) -> Order:
    order_lines = [
        OrderLine(
            product_id=p.id,
            sku=p.sku,
            name=p.name,
            quantity=q,
            unit_price=p.price or Decimal(0),
            line_total=(p.price or Decimal(0)) * q,
        )
        for p, q in lines
    ]
    return Order(
        customer_id=customer.id,
        channel="whatsapp",
        status=status,
        total=sum((line.line_total for line in order_lines), Decimal(0)),
        created_at=when,
        lines=order_lines,
    )


@pytest.fixture
async def ana(session: AsyncSession) -> Customer:
    """A returning customer with two orders and a cancelled one."""
    products = await seed_catalog(session)
    ana = Customer(
        national_id=ANA_ID,
        name="ana maría gómez",
        phone="+57 310 555 4567",
        email="ana.gomez@gmail.com",
        address="Calle 19 # 9-50 apto 301",
        city="Pereira",
    )
    newcomer = Customer(national_id="42000111", name="Carlos Pérez", phone="3001234567")
    session.add_all([ana, newcomer])
    await session.flush()
    session.add_all(
        [
            _order(
                ana,
                datetime(2026, 1, 20, 15, 0, tzinfo=UTC),
                [(products["EXT-PQS-10"], 2), (products["SOP-EXT"], 2)],
            ),
            _order(
                ana,
                datetime(2026, 3, 15, 10, 30, tzinfo=UTC),
                [
                    (products["CAS-BLA"], 4),
                    (products["GUA-CAR"], 10),
                    (products["GAF-CLA"], 4),
                    (products["CHA-REF"], 4),
                ],
            ),
            _order(
                ana,
                datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
                [(products["EXT-CO2-20"], 1)],
                status="cancelled",
            ),
        ]
    )
    await session.commit()
    return ana


ANA_SPENT = 2 * 180000 + 2 * 12000 + 4 * 28000 + 10 * 9500 + 4 * 8500 + 4 * 16000


async def test_customer_stats_leave_out_cancelled_orders(
    session: AsyncSession, ana: Customer
) -> None:
    stats = await customer_stats(session, ana.id)
    assert stats.orders == 2
    assert stats.total_spent == Decimal(ANA_SPENT)
    assert stats.last_purchase is not None
    assert stats.last_purchase.date().isoformat() == "2026-03-15"
    empty = await customer_stats(session, ana.id + 1)
    assert (empty.orders, empty.total_spent, empty.last_purchase) == (0, Decimal(0), None)


async def verified(
    session: AsyncSession,
    intent: str,
    national_id: str,
    phone: str,
    *,
    language: str = "es",
    currency: str = "COP",
) -> tuple[TurnContext, DomainResult]:
    """The cédula, which gets the phone on file asked for, then that phone typed in full."""
    first = await turn(
        session, intent, f"mi cédula es {national_id}", language=language, national_id=national_id
    )
    asked = await CustomersHandler().handle(first)
    assert asked.facts == {"needs": "phone_on_file"}, asked.reply
    ctx = await turn(
        session,
        intent,
        phone,
        language=language,
        conversation=first.conversation,
        phone=phone,
    )
    return ctx, await CustomersHandler(currency=currency).handle(ctx)


PERSONAL = ("Ana", "María", "Gómez", "Pedidos", "Orders", "$", "***", "Pereira", "4567", "gmail")
"""Anything of Ana's data on file, masked or not."""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "es",
            [
                "¡Hola, *Ana*!",
                "• Pedidos: 2",
                "• Total comprado: $689.000",
                "• Última compra: 15/03/2026",
                "tel. ***4567",
                "correo a***@gmail.com",
                "dirección Calle ***",
            ],
        ),
        (
            "en",
            [
                "Hi *Ana*, welcome back!",
                "• Orders: 2",
                "• Total spent: $689.000",
                "• Last purchase: Mar 15, 2026",
                "phone ***4567",
            ],
        ),
    ],
)
async def test_the_phone_on_file_verifies_the_cedula_and_links_the_conversation(
    session: AsyncSession, ana: Customer, language: str, expected: list[str]
) -> None:
    assert ANA_SPENT == 689000
    ctx, result = await verified(
        session, "customer.lookup", ANA_ID, "3105554567", language=language
    )
    for text in expected:
        assert text in result.reply
    for secret in ("310 555 4567", "ana.gomez", "9-50", "apto 301"):
        assert secret not in result.reply
    assert result.facts["customer"]["orders"] == 2
    await session.commit()
    await session.refresh(ctx.conversation)
    assert ctx.conversation.customer_id == ana.id
    assert ctx.conversation.context[VERIFIED_KEY] == ana.id


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "• Total comprado: US$689.000,00"), ("en", "• Total spent: $689,000.00")],
)
async def test_the_total_spent_is_in_the_shops_currency(
    session: AsyncSession, ana: Customer, language: str, expected: str
) -> None:
    await session.execute(update(Order).values(currency="USD"))  # a shop that sells in dollars
    _, result = await verified(
        session, "customer.lookup", ANA_ID, "3105554567", language=language, currency="USD"
    )
    assert expected in result.reply


@pytest.mark.parametrize("language", ["es", "en"])
async def test_a_cedula_alone_shows_nothing_and_asks_for_the_phone_on_file(
    session: AsyncSession, ana: Customer, language: str
) -> None:
    known = await turn(session, "customer.lookup", language=language, national_id=ANA_ID)
    unknown = await turn(session, "customer.lookup", language=language, national_id="999888777")
    told = await CustomersHandler().handle(known)
    other = await CustomersHandler().handle(unknown)

    assert told.reply == other.reply  # nothing says whether the cédula is a customer's
    assert ("celular que registraste" if language == "es" else "phone number you registered") in (
        told.reply
    )
    for secret in PERSONAL:
        assert secret not in told.reply
    assert told.facts == {"needs": "phone_on_file"}
    assert known.conversation.customer_id is None


async def test_a_wrong_phone_shows_nothing_and_three_wrong_ones_end_the_tries(
    session: AsyncSession, ana: Customer
) -> None:
    ctx, result = await verified(session, "customer.lookup", ANA_ID, "3001234567")
    assert result.reply.startswith("No puedo confirmar tus datos con ese número")
    for secret in PERSONAL:
        assert secret not in result.reply
    for wrong in ("3001111111", "3002222222"):
        again = await turn(
            session, "customer.lookup", wrong, conversation=ctx.conversation, phone=wrong
        )
        await CustomersHandler().handle(again)
    right = await turn(
        session, "customer.lookup", "3105554567", conversation=ctx.conversation, phone="3105554567"
    )
    refused = await CustomersHandler().handle(right)
    assert refused.reply.startswith("No puedo verificar tus datos por este chat.")
    assert "Ana" not in refused.reply and ctx.conversation.customer_id is None


async def test_a_whatsapp_chat_that_is_the_phone_on_file_is_recognised_at_once(
    session: AsyncSession, ana: Customer
) -> None:
    chat = Conversation(channel="whatsapp", external_chat_id="whatsapp:+573105554567", context={})
    other = Conversation(channel="whatsapp", external_chat_id="whatsapp:+573009998877", context={})
    session.add_all([chat, other])
    await session.flush()

    own = await turn(session, "customer.lookup", conversation=chat, national_id=ANA_ID)
    stranger = await turn(session, "customer.lookup", conversation=other, national_id=ANA_ID)

    assert (await CustomersHandler().handle(own)).reply.startswith("¡Hola, *Ana*!")
    assert (await CustomersHandler().handle(stranger)).facts == {"needs": "phone_on_file"}
    assert (chat.customer_id, other.customer_id) == (ana.id, None)


async def test_a_cedula_written_with_dots_is_recognised(
    session: AsyncSession, ana: Customer
) -> None:
    _, result = await verified(session, "customer.lookup", "1.088.123.456", "+57 310 555 4567")
    assert result.reply.startswith("¡Hola, *Ana*!")


async def test_a_customer_without_orders_is_told_so(session: AsyncSession, ana: Customer) -> None:
    _, result = await verified(session, "customer.lookup", "42000111", "300 123 4567")
    assert "¡Hola, *Carlos*!" in result.reply
    assert "Aún no tienes pedidos con nosotros." in result.reply
    assert "tel. ***4567" in result.reply


async def test_an_unknown_cedula_with_a_phone_links_nothing(
    session: AsyncSession, ana: Customer
) -> None:
    ctx, result = await verified(session, "customer.lookup", "999888777", "3105554567")
    assert "Si es tu primera compra, ¡bienvenido!" in result.reply
    assert ctx.conversation.customer_id is None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "Para buscar tus datos necesito tu número de cédula."),
        ("en", "To look up your details I need your ID number (cédula)."),
    ],
)
async def test_without_a_cedula_it_is_asked_for(
    session: AsyncSession, ana: Customer, language: str, expected: str
) -> None:
    ctx = await turn(session, "customer.lookup", "¿ya estoy registrado?", language=language)
    assert (await CustomersHandler().handle(ctx)).reply.startswith(expected)


async def test_a_name_alone_greets_but_shows_nothing_until_the_cedula(
    session: AsyncSession, ana: Customer
) -> None:
    ctx = await turn(session, "customer.lookup", "soy Ana Maria Gomez", name="Ana Maria Gomez")
    result = await CustomersHandler().handle(ctx)
    assert result.reply.startswith("¡Hola, Ana! Para proteger tus datos, confírmame tu número")
    assert "$" not in result.reply
    assert ctx.conversation.customer_id is None


async def test_history_lists_the_latest_orders_of_the_verified_customer(
    session: AsyncSession, ana: Customer
) -> None:
    ctx = await turn(session, "customer.history", "mis pedidos", context={VERIFIED_KEY: ana.id})
    ctx.conversation.customer_id = ana.id
    result = await CustomersHandler().handle(ctx)
    lines = result.reply.splitlines()
    assert lines[0] == "Tus últimos pedidos, Ana:"
    assert "20/03/2026 — $520.000 (cancelado)" in lines[1]
    assert "15/03/2026 — $305.000: 4 × Casco de seguridad tipo I blanco" in lines[2]
    assert lines[2].endswith("4 × Gafas de seguridad lente claro, y 1 más")
    assert "20/01/2026 — $384.000: 2 × Extintor PQS 10 lb, 2 × Soporte" in lines[3]
    assert [o["date"] for o in result.facts["orders"]] == ["2026-03-20", "2026-03-15", "2026-01-20"]


async def test_a_linked_but_unverified_chat_gets_no_history(
    session: AsyncSession, ana: Customer
) -> None:
    ctx = await turn(session, "customer.history", "mis pedidos")
    ctx.conversation.customer_id = ana.id  # linked by staff, or before verification existed
    result = await CustomersHandler().handle(ctx)
    assert result.reply.startswith("Para mostrarte tus pedidos necesito tu número de cédula.")


async def test_history_in_english(session: AsyncSession, ana: Customer) -> None:
    ctx, result = await verified(session, "customer.history", ANA_ID, "3105554567", language="en")
    assert result.reply.startswith("Your latest orders, Ana:")
    assert "Mar 15, 2026 — $305.000: 4 × Casco" in result.reply
    assert ctx.conversation.customer_id == ana.id


async def test_history_asks_for_the_cedula_then_the_phone_then_answers(
    session: AsyncSession, ana: Customer
) -> None:
    ctx = await turn(session, "customer.history", "quiero ver mis pedidos")
    first = await CustomersHandler().handle(ctx)
    assert first.reply.startswith("Para mostrarte tus pedidos necesito tu número de cédula.")
    again = await turn(
        session, "customer.lookup", ANA_ID, conversation=ctx.conversation, national_id=ANA_ID
    )
    assert (await CustomersHandler().handle(again)).facts == {"needs": "phone_on_file"}
    phone = await turn(
        session, "customer.lookup", "3105554567", conversation=ctx.conversation, phone="3105554567"
    )
    await CustomersHandler().handle(phone)
    later = await turn(session, "customer.history", conversation=ctx.conversation)
    assert (await CustomersHandler().handle(later)).reply.startswith("Tus últimos pedidos, Ana:")
