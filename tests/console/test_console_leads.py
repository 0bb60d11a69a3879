"""The leads page over real HTTP: the list and its filters, assign, won/lost, roles, the link."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fixtures.console_login import add_staff, logged_in
from fixtures.live_server import LiveServer, serving
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection, connect

from agent.models import Conversation, Lead, LeadKind, LeadStatus, StaffRole, utcnow
from agent.settings import Settings

JSON = {"accept": "application/json"}


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as running:
        yield running


async def customer_says(live: LiveServer, chat_id: str, text: str) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        answer = await http.post("/chat/text", json={"chat_id": chat_id, "message": text})
    answer.raise_for_status()


async def lead_of(live: LiveServer, chat_id: str) -> Lead:
    async with live.runtime.sessions() as session:
        found = await session.scalar(
            select(Lead)
            .join(Conversation, Conversation.id == Lead.conversation_id)
            .where(Conversation.external_chat_id == chat_id)
        )
    assert found is not None
    return found


async def lead_event(console: ClientConnection) -> dict[str, Any]:
    """The next lead event an open console hears (the conversations' events passed over)."""
    async with asyncio.timeout(10):
        while True:
            event = json.loads(await console.recv())
            if event["type"] == "lead":
                return dict(event)


def listed(page: str) -> set[int]:
    """The ids of the leads a page lists."""
    return {int(found) for found in re.findall(r'data-lead="(\d+)"', page)}


@pytest.fixture
async def leads(live: LiveServer) -> dict[str, Lead]:
    """Three customers who became leads of three kinds, on the web chat."""
    await customer_says(live, "c-quote", "necesito una cotización de 20 cascos dieléctricos")
    await customer_says(live, "c-bulk", "¿venden al por mayor guantes de nitrilo industrial?")
    await customer_says(live, "c-call", "¿me pueden llamar al 310 555 1234?")
    return {chat: await lead_of(live, chat) for chat in ("c-quote", "c-bulk", "c-call")}


async def test_without_a_session_the_leads_are_refused(
    live: LiveServer, leads: dict[str, Lead]
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        page = await client.get("/console/leads", headers={"accept": "text/html"})
        assign = await client.post(f"/console/leads/{leads['c-quote'].id}/assign")
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    assert assign.status_code == 401


async def test_an_agent_lists_filters_and_takes_a_lead(
    live: LiveServer, leads: dict[str, Lead]
) -> None:
    agent = await add_staff(live.runtime, "ana", name="Ana Ruiz")
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        token = await logged_in(client, "ana")
        everything = await client.get("/console/leads")
        wholesale = await client.get("/console/leads", params={"tipo": "wholesale"})
        by_channel = await client.get("/console/leads", params={"canal": "telegram"})
        taken = await client.post(
            f"/console/leads/{leads['c-bulk'].id}/assign",
            data={"staff_id": str(agent.id), "csrf_token": token},
        )
        mine = await client.get("/console/leads", params={"estado": "mine"})

    assert everything.status_code == 200
    assert listed(everything.text) == {lead.id for lead in leads.values()}
    assert "Pregunta por compra al por mayor: Guante de nitrilo industrial calibre 22." in (
        everything.text
    )
    assert "Pedirle por el chat" not in everything.text  # the caller left a number
    assert "Llamarlo al número que dejó." in everything.text
    assert "3105551234" in everything.text
    assert listed(wholesale.text) == {leads["c-bulk"].id}
    assert listed(by_channel.text) == set()
    assert taken.status_code == 303 and "aviso=assigned" in taken.headers["location"]
    assert listed(mine.text) == {leads["c-bulk"].id}
    assert "Ana Ruiz" in mine.text
    lead = await lead_of(live, "c-bulk")
    assert lead.status == LeadStatus.ASSIGNED and lead.assignee_id == agent.id


async def test_an_agent_cannot_give_a_lead_away_nor_close_anothers(
    live: LiveServer, leads: dict[str, Lead]
) -> None:
    await add_staff(live.runtime, "ana")
    boss = await add_staff(live.runtime, "jefa", StaffRole.MANAGER)
    quote = leads["c-quote"].id
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as manager:
        token = await logged_in(manager, "jefa")
        given = await manager.post(
            f"/console/leads/{quote}/assign",
            data={"staff_id": str(boss.id)},
            headers=JSON | {"x-csrf-token": token},
        )
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        token = await logged_in(client, "ana")
        headers = JSON | {"x-csrf-token": token}
        away = await client.post(
            f"/console/leads/{leads['c-call'].id}/assign",
            data={"staff_id": str(boss.id)},
            headers=headers,
        )
        closed = await client.post(
            f"/console/leads/{quote}/close",
            data={"result": "lost", "reason": "no contesta"},
            headers=headers,
        )

    assert given.status_code == 200 and given.json()["notice"] == "Oportunidad asignada."
    assert away.status_code == 403 and away.json()["code"] == "not_allowed"
    assert closed.status_code == 403
    assert (await lead_of(live, "c-quote")).status == LeadStatus.ASSIGNED
    assert (await lead_of(live, "c-call")).status == LeadStatus.OPEN


async def test_a_lead_is_won_or_lost_only_with_a_reason(
    live: LiveServer, leads: dict[str, Lead]
) -> None:
    await add_staff(live.runtime, "jefa", StaffRole.MANAGER)
    quote, call = leads["c-quote"].id, leads["c-call"].id
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        token = await logged_in(client, "jefa")
        headers = JSON | {"x-csrf-token": token}
        bare = await client.post(
            f"/console/leads/{quote}/close", data={"result": "won", "reason": "  "}, headers=headers
        )
        won = await client.post(
            f"/console/leads/{quote}/close",
            data={"result": "won", "reason": "Compró 20 cascos por teléfono"},
            headers=headers,
        )
        lost = await client.post(
            f"/console/leads/{call}/close",
            data={"result": "lost", "reason": "Compró en otra tienda", "csrf_token": token},
        )
        active = await client.get("/console/leads")
        won_page = await client.get("/console/leads", params={"estado": "won"})

    assert bare.status_code == 422 and bare.json()["field"] == "reason"
    assert won.status_code == 200 and won.json()["notice"] == "Oportunidad cerrada."
    assert lost.status_code == 303
    done = await lead_of(live, "c-quote")
    assert done.status == LeadStatus.WON and done.reason == "Compró 20 cascos por teléfono"
    assert done.closed_at is not None
    assert (await lead_of(live, "c-call")).status == LeadStatus.LOST
    assert listed(active.text) == {leads["c-bulk"].id}
    assert listed(won_page.text) == {quote}
    assert "Compró 20 cascos por teléfono" in won_page.text


async def test_the_conversation_page_links_to_its_lead(
    live: LiveServer, leads: dict[str, Lead]
) -> None:
    await add_staff(live.runtime, "ana")
    lead = leads["c-bulk"]
    assert lead.kind == LeadKind.WHOLESALE
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        await logged_in(client, "ana")
        page = await client.get(f"/console/conversations/{lead.conversation_id}")
        other = await client.get("/console")

    assert page.status_code == 200
    assert f'href="/console/leads?estado=all#lead-{lead.id}"' in page.text
    assert "Oportunidad de venta: Al por mayor (Abierta)" in page.text
    assert 'href="/console/leads"' in other.text  # in every page's menu


async def test_an_open_console_hears_each_lead_made_or_changed(
    live: LiveServer,
) -> None:
    agent = await add_staff(live.runtime, "ana", name="Ana Ruiz")
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        token = await logged_in(client, "ana")
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        async with connect(
            live.ws_url + "/console/ws", additional_headers={"cookie": cookie}
        ) as console:
            assert json.loads(await console.recv())["type"] == "hello"
            await customer_says(live, "c-cart", "quiero 2 cascos dielectricos")
            async with live.runtime.sessions() as session, session.begin():
                await session.execute(  # the customer went quiet with the cart
                    update(Conversation)
                    .where(Conversation.external_chat_id == "c-cart")
                    .values(last_activity_at=utcnow() - timedelta(hours=2))
                )
            rounds = asyncio.create_task(live.runtime.loops["leads"]())  # the app's round
            try:
                made = await lead_event(console)
            finally:
                rounds.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await rounds
            lead = await lead_of(live, "c-cart")
            table = await client.get("/console/leads/table")
            taken = await client.post(
                f"/console/leads/{lead.id}/assign",
                data={"staff_id": str(agent.id)},
                headers=JSON | {"x-csrf-token": token},
            )
            assigned = await lead_event(console)
            await customer_says(live, "c-call", "¿me pueden llamar al 310 555 1234?")
            from_a_turn = await lead_event(console)

    assert lead.kind == LeadKind.ABANDONED_CART
    assert (made["change"], made["lead_id"], made["status"]) == ("created", lead.id, "open")
    assert lead.id in listed(table.text)  # what the page fetches when it hears the event
    assert taken.status_code == 200
    assert (assigned["change"], assigned["lead_id"]) == ("changed", lead.id)
    assert assigned["status"] == "assigned"
    call = await lead_of(live, "c-call")
    assert (from_a_turn["change"], from_a_turn["lead_id"]) == ("created", call.id)
