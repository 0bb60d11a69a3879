"""The console's proposals over real HTTP: the desk and the conversation's panel, a manager's
approve (an edited discount, a smaller refund of a return) and reject, refused without a
session, without the CSRF token, or for an agent; the customer's chat gets the decision (the web
chat's `POST /chat/text` history)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fixtures.console_login import add_staff, csrf_of, logged_in
from fixtures.live_server import LiveServer, serving
from sqlalchemy import select, update

from agent.db import transaction
from agent.models import (
    Conversation,
    Order,
    Proposal,
    ProposalStatus,
    SaleLine,
    StaffRole,
    utcnow,
)
from agent.settings import Settings
from console.proposal_desk import ProposalDesk


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as running:
        await add_staff(running.runtime, "marta", StaffRole.MANAGER, name="Marta Ríos")
        await add_staff(running.runtime, "ana", name="Ana Gómez")
        yield running


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        yield http


async def customer_says(live: LiveServer, chat_id: str, text: str) -> str:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        answer = await http.post("/chat/text", json={"chat_id": chat_id, "message": text})
    answer.raise_for_status()
    reply: str = answer.json()["reply"]
    return reply


async def proposal_of(live: LiveServer, chat_id: str) -> Proposal:
    """The proposal made in the customer's chat."""
    async with live.runtime.sessions() as session:
        found = await session.scalar(
            select(Proposal)
            .join(Conversation, Conversation.id == Proposal.conversation_id)
            .where(Conversation.external_chat_id == chat_id)
        )
    assert found is not None
    return found


async def discount_asked(live: LiveServer, chat_id: str) -> Proposal:
    """The customer puts two helmets in the cart and asks for 15% off."""
    await customer_says(live, chat_id, "quiero 2 cascos de seguridad")
    await customer_says(live, chat_id, "1")
    told = await customer_says(live, chat_id, "¿me dejan el 15% de descuento?")
    assert "15% de descuento: $76.000 → $64.600" in told
    return await proposal_of(live, chat_id)


async def status_of(live: LiveServer, proposal_id: int) -> ProposalStatus:
    async with live.runtime.sessions() as session:
        found = await session.get(Proposal, proposal_id)
    assert found is not None
    return found.status


async def prices(live: LiveServer, sale_id: int | None) -> list[Decimal]:
    async with live.runtime.sessions() as session:
        return list(
            await session.scalars(select(SaleLine.unit_price).where(SaleLine.sale_id == sale_id))
        )


async def test_the_desk_and_the_panel_show_a_pending_proposal(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    proposal = await discount_asked(live, "c-desk")
    await logged_in(client, "ana")

    desk = await client.get("/console/proposals")
    panel = await client.get(f"/console/conversations/{proposal.conversation_id}")

    for page in (desk, panel):
        assert page.status_code == 200
        assert "15% de descuento: $76.000 → $64.600" in page.text
        assert "«¿me dejan el 15% de descuento?»" in page.text
        assert "Pendiente" in page.text
        assert "La decide un gerente." in page.text  # an agent sees no forms
        assert 'data-proposal-action="approve"' not in page.text
    assert 'href="/console/proposals"' in desk.text
    fragment = await client.get(
        "/console/proposals/fragment", params={"conversation": proposal.conversation_id}
    )
    assert "$64.600" in fragment.text and "<html" not in fragment.text


async def test_without_a_session_a_token_or_the_role_nothing_is_decided(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    proposal = await discount_asked(live, "c-refused")
    approve = f"/console/proposals/{proposal.id}/approve"
    reject = f"/console/proposals/{proposal.id}/reject"
    scripted = {"accept": "application/json"}

    assert (await client.get("/console/proposals/fragment")).status_code == 401
    assert (await client.post(approve, data={"value": "10"})).status_code == 401

    agent_token = await logged_in(client, "ana")
    as_agent = await client.post(
        approve, data={"value": "10"}, headers=scripted | {"x-csrf-token": agent_token}
    )
    assert as_agent.status_code == 403
    assert as_agent.json()["detail"] == "Solo un gerente puede hacer esto."

    async with httpx.AsyncClient(base_url=live.url, timeout=20) as manager:
        token = await logged_in(manager, "marta")
        for headers in (
            scripted,
            scripted | {"x-csrf-token": "x" * 43},
            scripted | {"x-csrf-token": token, "origin": "https://evil.example"},
        ):
            refused = await manager.post(reject, data={"reason": "no"}, headers=headers)
            assert refused.status_code == 403
    assert await status_of(live, proposal.id) == ProposalStatus.PENDING
    assert await prices(live, proposal.sale_id) == [Decimal("38000.00")]


async def test_a_manager_approves_an_edited_discount_and_the_customer_is_told(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    proposal = await discount_asked(live, "c-approve")
    token = await logged_in(client, "marta")
    scripted = {"accept": "application/json", "x-csrf-token": token}
    approve = f"/console/proposals/{proposal.id}/approve"

    wrong = await client.post(approve, data={"value": "150"}, headers=scripted)
    assert wrong.status_code == 422
    assert "máximo 90" in wrong.json()["detail"]

    done = await client.post(approve, data={"value": "10 %"}, headers=scripted)
    assert done.status_code == 200, done.text
    assert done.json()["notice"].startswith("Propuesta aprobada")
    assert await status_of(live, proposal.id) == ProposalStatus.EDITED
    assert await prices(live, proposal.sale_id) == [Decimal("34200.00")]
    history = await client.get(f"/console/conversations/{proposal.conversation_id}/live")
    assert "Aprobaron tu solicitud: 10% de descuento: $76.000 → $68.400." in history.text

    again = await client.post(approve, data={"value": "10"}, headers=scripted)
    assert again.status_code == 409
    assert await prices(live, proposal.sale_id) == [Decimal("34200.00")]
    summary = await customer_says(live, "c-approve", "ver mi carrito")
    assert "$68.400" in summary


async def test_a_rejection_needs_its_reason_and_a_plain_form_comes_back(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    proposal = await discount_asked(live, "c-reject")
    token = await logged_in(client, "marta")
    reject = f"/console/proposals/{proposal.id}/reject"

    empty = await client.post(
        reject, data={"reason": " "}, headers={"accept": "application/json", "x-csrf-token": token}
    )
    assert empty.status_code == 422
    assert empty.json()["detail"] == "Escribe el motivo del rechazo (el cliente lo lee)."

    plain = await client.post(
        reject,
        data={
            "reason": "es precio de lista",
            "csrf_token": await csrf_of(client),
            "back": str(proposal.conversation_id),
        },
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == (
        f"/console/conversations/{proposal.conversation_id}?aviso=rejected"
    )
    assert await status_of(live, proposal.id) == ProposalStatus.REJECTED
    assert await prices(live, proposal.sale_id) == [Decimal("38000.00")]
    desk = await client.get("/console/proposals")
    assert "Rechazada" in desk.text and "Marta Ríos · es precio de lista" in desk.text


async def test_a_proposal_nobody_decided_expires_and_the_customer_is_told(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    proposal = await discount_asked(live, "c-expire")
    console = live.runtime.console
    assert console is not None
    desk = ProposalDesk(console)
    assert await desk.expire_due() == 0  # its hour has not come
    async with transaction(live.runtime.sessions) as session:
        await session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    assert await desk.expire_due() == 1
    assert await desk.expire_due() == 0

    assert await status_of(live, proposal.id) == ProposalStatus.EXPIRED
    assert await prices(live, proposal.sale_id) == [Decimal("38000.00")]
    await logged_in(client, "marta")
    page = await client.get(f"/console/conversations/{proposal.conversation_id}")
    assert "Vencida" in page.text
    assert 'data-proposal-action="approve"' not in page.text
    assert "no alcanzó a revisarse a tiempo y se cerró" in page.text


async def test_a_special_quote_shows_its_effect_and_is_approved_at_the_typed_price(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    helmet = "Casco de seguridad tipo I clase E con ratchet azul"
    await customer_says(live, "c-quote", f"quiero 40 {helmet.lower()}")
    told = await customer_says(live, "c-quote", "cotizar 40")
    effect = (
        f"una cotización especial de 40 × {helmet} a $38.000 c/u (precio de lista $38.000):"
        " total $1.520.000; 24 por encargo (hay 16 en existencias)"
    )
    assert effect in told
    async with live.runtime.sessions() as session:
        proposal = await session.scalar(select(Proposal).where(Proposal.kind == "quote"))
    assert proposal is not None
    token = await logged_in(client, "marta")

    desk = await client.get("/console/proposals")
    assert "Cotización especial" in desk.text and effect in desk.text
    assert 'Precio unitario <input name="value"' in desk.text
    assert 'value="38000.00"' in desk.text

    scripted = {"accept": "application/json", "x-csrf-token": token}
    approve = f"/console/proposals/{proposal.id}/approve"
    wrong = await client.post(approve, data={"value": "-5"}, headers=scripted)
    assert wrong.status_code == 422
    assert await prices(live, proposal.sale_id) == []
    done = await client.post(approve, data={"value": "35.000"}, headers=scripted)
    assert done.status_code == 200, done.text

    assert await status_of(live, proposal.id) == ProposalStatus.EDITED
    assert await prices(live, proposal.sale_id) == [Decimal("35000.00")]
    history = await client.get(f"/console/conversations/{proposal.conversation_id}/live")
    assert "Aprobaron tu solicitud: una cotización especial de 40 ×" in history.text
    assert "a $35.000 c/u (precio de lista $38.000): total $1.400.000" in history.text
    cart = await customer_says(live, "c-quote", "ver mi carrito")
    assert f"40 × {helmet}: $1.400.000 (24 por encargo)" in cart


async def refund_asked(live: LiveServer, chat_id: str) -> Proposal:
    """A demo customer (one past order of $556.000) proves who they are on the web chat with
    their cédula and the phone on file, then asks to return that order."""
    await customer_says(live, chat_id, "mi cédula es 1088312904")
    await customer_says(live, chat_id, "3006213344")
    told = await customer_says(live, chat_id, "devuélvanme la plata")
    assert "reembolso de $556.000, y las unidades vuelven al inventario" in told
    return await proposal_of(live, chat_id)


async def test_a_manager_approves_a_return_with_a_smaller_refund(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    proposal = await refund_asked(live, "c-refund")
    token = await logged_in(client, "marta")

    desk = await client.get("/console/proposals")
    assert "Devolución" in desk.text
    assert f"devolución del pedido #{proposal.order_id} (1 × Extintor clase K" in desk.text
    assert 'Reembolso <input name="value"' in desk.text and 'value="556000.00"' in desk.text

    scripted = {"accept": "application/json", "x-csrf-token": token}
    approve = f"/console/proposals/{proposal.id}/approve"
    above = await client.post(approve, data={"value": "600.000"}, headers=scripted)
    assert above.status_code == 422
    assert "máximo $556.000" in above.json()["detail"]
    done = await client.post(approve, data={"value": "500.000"}, headers=scripted)
    assert done.status_code == 200, done.text

    async with live.runtime.sessions() as session:
        order = await session.get(Order, proposal.order_id)
    assert order is not None
    assert (order.status, order.refunded) == ("refunded", Decimal("500000.00"))
    history = await client.get(f"/console/conversations/{proposal.conversation_id}/live")
    assert "reembolso de $500.000, y las unidades vuelven al inventario." in history.text
    again = await customer_says(live, "c-refund", f"quiero devolver el pedido {order.id}")
    assert "ya tuvo su devolución" in again
