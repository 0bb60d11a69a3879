"""Leads pushed to Odoo as CRM leads, exactly once across retries, and their later changes as
updates of the same crm.lead, against the local Odoo protocol server (Odoo 19's JSON-2 and
Odoo 18's JSON-RPC)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fixtures.console_login import add_staff
from fixtures.odoo_server import WON_STAGE, FakeOdoo, with_odoo
from sqlalchemy import select

from agent.db import transaction
from agent.leads import staff_actions
from agent.messages import InboundMessage
from agent.models import Customer, Lead, OutboxItem, OutboxStatus
from agent.settings import Settings
from channels.odoo_livechat.crm_leads import CHANNEL, crm_values, queue_leads
from salesagent.runtime import Runtime


@pytest.fixture
async def shop(demo_settings: Settings, odoo: FakeOdoo) -> AsyncIterator[Runtime]:
    settings = with_odoo(
        demo_settings,
        odoo,
        odoo_push_leads=True,
        odoo_salesperson_id=7,
        odoo_salespeople={"ana": 9},
    )
    runtime = await Runtime.start(settings)
    yield runtime
    await runtime.close()


async def says(runtime: Runtime, chat: str, text: str) -> None:
    await runtime.engine.handle(
        InboundMessage(
            channel="web", external_message_id=uuid.uuid4().hex, external_chat_id=chat, text=text
        )
    )
    await runtime.engine.drain_deliveries()


async def deliver_now(runtime: Runtime) -> None:
    """What the outbox loop does every second: due rows are delivered (due now, for the test)."""
    async with runtime.sessions() as session, session.begin():
        for row in (await session.scalars(select(OutboxItem))).all():
            if row.status == OutboxStatus.PENDING:
                row.next_attempt_at = row.created_at
    await runtime.dispatcher.deliver_due()


async def the_lead(runtime: Runtime) -> Lead:
    async with runtime.sessions() as session:
        return (await session.scalars(select(Lead))).one()


async def push_rows(runtime: Runtime) -> list[OutboxItem]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem).where(OutboxItem.channel == CHANNEL).order_by(OutboxItem.id)
        )
        return list(rows.all())


async def as_pushed(runtime: Runtime) -> dict[str, object]:
    """What the lead says now, as the crm.lead's fields (the assignee's Odoo user: 9 for ana)."""
    async with runtime.sessions() as session:
        lead = (await session.scalars(select(Lead))).one()
        customer = await session.get(Customer, lead.customer_id) if lead.customer_id else None
        mapped = 9 if lead.assignee is not None and lead.assignee.username == "ana" else None
        return crm_values(lead, customer, salesperson=mapped)


async def test_a_lead_becomes_one_crm_lead(shop: Runtime, odoo: FakeOdoo) -> None:
    await says(
        shop,
        "c-1",
        "¿venden al por mayor guantes de nitrilo industrial? somos Soldaduras Pereira S.A.S, "
        "mi cel es 310 555 1234",
    )
    lead = await the_lead(shop)

    assert await queue_leads(shop.sessions) == 1
    assert await queue_leads(shop.sessions) == 0
    await deliver_now(shop)
    await deliver_now(shop)

    (crm,) = odoo.data.crm_leads
    assert crm["name"] == f"Al por mayor: cliente sin nombre (salesagent #{lead.id})"
    assert crm["type"] == "lead"
    assert crm["partner_name"] == "Soldaduras Pereira S.A.S"
    assert crm["phone"] == "3105551234"
    assert crm["priority"] == "3" and crm["user_id"] == 7
    assert crm["expected_revenue"] == 0.0  # no quantity yet, no amount
    assert (
        "Pregunta por compra al por mayor: Guante de nitrilo industrial calibre 22."
        in (crm["description"])
    )
    assert "Falta: cantidad" in crm["description"]
    pushed = await the_lead(shop)
    assert (pushed.odoo_status, pushed.odoo_id) == ("pushed", crm["id"])
    (row,) = await push_rows(shop)
    assert row.status == OutboxStatus.SENT


async def test_a_push_whose_answer_was_lost_is_not_made_twice(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    await says(shop, "c-2", "quiero 2 cascos dielectricos")
    await says(shop, "c-2", "¿me pasan una cotización formal?")
    odoo.data.fail_after_lead = 1

    await queue_leads(shop.sessions)
    await deliver_now(shop)
    (failed,) = await push_rows(shop)
    assert failed.status == OutboxStatus.PENDING and failed.attempts == 1 and failed.last_error
    assert len(odoo.data.crm_leads) == 1  # made, but the agent never heard so
    assert (await the_lead(shop)).odoo_id is None

    await deliver_now(shop)

    (crm,) = odoo.data.crm_leads
    lead = await the_lead(shop)
    assert (lead.odoo_status, lead.odoo_id) == ("pushed", crm["id"])
    assert crm["expected_revenue"] == 190000.0  # the cart: 2 × $95.000 at list prices
    assert len(odoo.calls_to("create")) == 1


async def test_odoo_down_leaves_the_lead_queued_until_it_is_back(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    await says(shop, "c-3", "llámenme al 3105551234 por favor")
    await queue_leads(shop.sessions)
    odoo.down()
    await deliver_now(shop)
    (waiting,) = await push_rows(shop)
    assert waiting.status == OutboxStatus.PENDING and waiting.last_error
    assert (await the_lead(shop)).odoo_status == "queued"

    odoo.up()
    await deliver_now(shop)

    (crm,) = odoo.data.crm_leads
    assert crm["name"].startswith("Pide llamada:")
    assert (await the_lead(shop)).odoo_id == crm["id"]


async def test_later_changes_update_the_same_crm_lead_once_each_in_order(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    await says(shop, "c-4", "quiero 2 cascos dielectricos")
    await says(shop, "c-4", "¿me pasan una cotización formal?")
    await queue_leads(shop.sessions)
    await deliver_now(shop)
    (crm,) = odoo.data.crm_leads
    assert crm["expected_revenue"] == 190000.0 and crm["user_id"] == 7

    await says(shop, "c-4", "mejor que sean 3")  # the customer adds to the quote
    assert await queue_leads(shop.sessions) == 1
    assert await queue_leads(shop.sessions) == 0  # a change is queued once
    odoo.data.fail_after_lead_write = 1  # Odoo writes it, the agent never hears so
    await deliver_now(shop)
    first_try = (await push_rows(shop))[-1]
    assert first_try.status == OutboxStatus.PENDING and first_try.last_error
    await deliver_now(shop)

    (crm,) = odoo.data.crm_leads
    assert crm["expected_revenue"] == 285000.0  # 3 × $95.000
    assert "3 x" in crm["description"] or "3 ×" in crm["description"]

    ana = await add_staff(shop, "ana", name="Ana Ruiz")
    lead = await the_lead(shop)
    async with transaction(shop.sessions) as session:
        await staff_actions.assign(session, lead.id, ana, ana.id)
    async with transaction(shop.sessions) as session:
        await staff_actions.close(session, lead.id, ana, won=False, reason="Compró en otro lado")
    assert await queue_leads(shop.sessions) == 1  # both changes since the last queue: one row
    odoo.data.fail_after_lead_write = 2  # the write's answer lost, then the lost action's
    for _ in range(3):
        await deliver_now(shop)

    (crm,) = odoo.data.crm_leads
    assert (crm["active"], crm["probability"], crm["user_id"]) == (False, 0.0, 9)
    assert "Perdida: Compró en otro lado" in crm["description"]
    assert "Asignada a: Ana Ruiz" in crm["description"]
    expected = await as_pushed(shop)
    assert {name: crm[name] for name in expected} == expected  # Odoo's record is the lead
    rows = await push_rows(shop)
    assert [row.status for row in rows] == [OutboxStatus.SENT] * 3
    assert [row.payload["revision"] for row in rows] == sorted(
        row.payload["revision"] for row in rows
    )
    assert len(odoo.calls_to("create")) == 1


async def test_a_lead_won_by_staff_goes_to_odoos_won_stage(shop: Runtime, odoo: FakeOdoo) -> None:
    await says(shop, "c-5", "¿me pueden llamar al 310 555 1234?")
    await queue_leads(shop.sessions)
    await deliver_now(shop)
    luis = await add_staff(shop, "luis", name="Luis Mora")  # no Odoo user mapped
    lead = await the_lead(shop)
    async with transaction(shop.sessions) as session:
        await staff_actions.close(session, lead.id, luis, won=True, reason="Pidió 40 cascos")
    await queue_leads(shop.sessions)
    await deliver_now(shop)

    (crm,) = odoo.data.crm_leads
    assert (crm["active"], crm["stage_id"], crm["probability"]) == (True, WON_STAGE, 100.0)
    assert crm["user_id"] == 7  # an unmapped assignee leaves Odoo's salesperson
    assert "Ganada: Pidió 40 cascos" in crm["description"]
    expected = await as_pushed(shop)
    assert {name: crm[name] for name in expected} == expected  # Odoo's record is the lead
