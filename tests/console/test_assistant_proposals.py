"""The assistant proposes restocks and price changes over real HTTP on the demo shop: the exact
effect in a pending proposal, nothing applied until a manager approves it at the desk (the same
decisions path as a customer's discount), several products named propose nothing, a missing
number is asked for, and only a manager proposes a price."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from fixtures.console_login import ask_assistant, logged_in
from fixtures.live_server import LiveServer, staffed
from sqlalchemy import select

from agent.models import Order, Product, Proposal, ProposalAudit, ProposalStatus
from agent.settings import Settings

HELMET = "Casco de seguridad tipo I clase E con ratchet blanco"
GLASSES = "Gafas de seguridad lente oscuro"


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with staffed(demo_settings) as running:
        yield running


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        yield http


async def snapshot(live: LiveServer) -> dict[str, object]:
    """What a proposal could change: every product's price and stock, the orders."""
    async with live.runtime.sessions() as session:
        products = (await session.execute(select(Product.sku, Product.price, Product.stock))).all()
        orders = (await session.execute(select(Order.id, Order.total, Order.status))).all()
    return {"products": sorted(products), "orders": sorted(orders)}


async def proposals(live: LiveServer) -> list[Proposal]:
    async with live.runtime.sessions() as session:
        return list(await session.scalars(select(Proposal).order_by(Proposal.id)))


async def product(live: LiveServer, name: str) -> Product:
    async with live.runtime.sessions() as session:
        found = await session.scalar(select(Product).where(Product.name == name))
    assert found is not None
    return found


async def test_a_restock_is_proposed_with_its_effect_and_applied_only_when_approved(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    helmet = await product(live, HELMET)
    csrf = await logged_in(client, "ana")  # an agent may propose a restock
    before = await snapshot(live)

    reply = await ask_assistant(client, csrf, "reponer 50 cascos blancos con ratchet")

    assert reply.status_code == 200
    body = reply.json()
    assert (body["query"], body["source"], body["language"]) == ("propose_restock", "rules", "es")
    assert body["params"] == {"product": "cascos blancos con ratchet", "number": "50"}
    [proposal] = await proposals(live)
    assert (proposal.kind, proposal.status, proposal.conversation_id) == (
        "restock",
        ProposalStatus.PENDING,
        None,
    )
    assert proposal.effect == {
        "product_id": helmet.id,
        "sku": "CAS-I-E-BL",
        "name": HELMET,
        "quantity": 50,
        "stock_from": helmet.stock,
        "stock_to": helmet.stock + 50,
    }
    assert proposal.asked == "Ana Gómez: reponer 50 cascos blancos con ratchet"
    answer = body["answer"]
    assert answer["title"] == f"Propuesta #{proposal.id}: espera la aprobación de un gerente"
    assert [c["label"] for c in answer["columns"]] == [
        "Producto",
        "SKU",
        "Unidades",
        "Stock actual",
        "Stock después",
    ]
    assert answer["rows"] == [
        [HELMET, "CAS-I-E-BL", "50", str(helmet.stock), str(helmet.stock + 50)]
    ]
    assert answer["notes"] == [
        f"reponer 50 × {HELMET} (existencias {helmet.stock} → {helmet.stock + 50})",
        "Nada cambia hasta que un gerente la apruebe en Propuestas.",
    ]
    assert answer["link"] == {"href": "/console/proposals", "text": "Ver las propuestas"}
    assert await snapshot(live) == before  # nothing applied

    again = (await ask_assistant(client, csrf, "reponer 50 cascos blancos con ratchet")).json()
    assert again["answer"]["title"].startswith(f"La propuesta #{proposal.id} ya espera")
    assert len(await proposals(live)) == 1

    refused = await client.post(
        f"/console/proposals/{proposal.id}/approve",
        headers={"x-csrf-token": csrf, "accept": "application/json"},
    )
    assert refused.status_code == 403  # approval stays a manager's
    assert await snapshot(live) == before

    async with httpx.AsyncClient(base_url=live.url, timeout=20) as manager:
        manager_csrf = await logged_in(manager, "marta")
        approved = await manager.post(
            f"/console/proposals/{proposal.id}/approve",
            headers={"x-csrf-token": manager_csrf, "accept": "application/json"},
        )
    assert approved.status_code == 200, approved.text
    assert (await product(live, HELMET)).stock == helmet.stock + 50
    async with live.runtime.sessions() as session:
        audit = await session.scalar(
            select(ProposalAudit).where(ProposalAudit.proposal_id == proposal.id)
        )
    assert audit is not None and audit.decision == ProposalStatus.APPROVED


@pytest.mark.parametrize(
    ("question", "language", "price", "text"),
    [
        ("sube el casco blanco con ratchet a 45.000", "es", "45000.00", "$45.000"),
        ("set the white ratchet helmet price to 41,500", "en", "41500.00", "$41.500"),
        ("baja el precio del casco blanco con ratchet a 35 mil", "es", "35000.00", "$35.000"),
    ],
)
async def test_a_manager_proposes_a_price_change_applied_only_when_approved(
    live: LiveServer,
    client: httpx.AsyncClient,
    question: str,
    language: str,
    price: str,
    text: str,
) -> None:
    helmet = await product(live, HELMET)
    csrf = await logged_in(client, "marta")
    before = await snapshot(live)

    body = (await ask_assistant(client, csrf, question)).json()

    assert (body["query"], body["language"]) == ("propose_price_change", language)
    [proposal] = await proposals(live)
    assert proposal.effect == {
        "product_id": helmet.id,
        "sku": "CAS-I-E-BL",
        "name": HELMET,
        "currency": "COP",
        "price_from": "38000.00",
        "price": price,
    }
    assert body["answer"]["rows"] == [[HELMET, "CAS-I-E-BL", "$38.000", text]]
    assert body["answer"]["link"]["href"] == "/console/proposals"
    assert await snapshot(live) == before

    approved = await client.post(
        f"/console/proposals/{proposal.id}/approve",
        headers={"x-csrf-token": csrf, "accept": "application/json"},
    )
    assert approved.status_code == 200, approved.text
    assert (await product(live, HELMET)).price == Decimal(price)


async def test_an_agent_may_not_propose_a_price(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    csrf = await logged_in(client, "ana")
    before = await snapshot(live)

    refused = await ask_assistant(client, csrf, "sube las gafas oscuras a 7.000")

    assert refused.status_code == 403
    assert refused.json() == {"detail": "Solo un gerente puede hacer esto."}
    assert await proposals(live) == []
    assert await snapshot(live) == before


@pytest.mark.parametrize(
    ("question", "skus"),
    [
        ("reponer 50 cascos blancos", {"CAS-I-E-BL", "CAS-I-PIN-BL"}),
        ("pide 200 guantes de nitrilo talla M", {"GUA-NIT-DES", "GUA-NIT-IND"}),
        ("restock 30 CO2 extinguishers", {"RIS-107-5LB", "RIS-107-10LB"}),
        ("set the nitrile gloves price to 9,500", {"GUA-NIT-DES", "GUA-NIT-IND"}),
    ],
)
async def test_words_that_name_several_products_list_them_and_propose_nothing(
    live: LiveServer, client: httpx.AsyncClient, question: str, skus: set[str]
) -> None:
    csrf = await logged_in(client, "marta")
    before = await snapshot(live)

    body = (await ask_assistant(client, csrf, question)).json()

    answer = body["answer"]
    english = body["language"] == "en"
    assert answer["title"] == ("Which product?" if english else "¿Cuál producto?")
    assert skus <= {row[0] for row in answer["rows"]}
    assert 1 < len(answer["rows"]) <= 5
    assert answer["link"] is None
    assert await proposals(live) == []
    assert await snapshot(live) == before


@pytest.mark.parametrize(
    ("question", "note"),
    [
        ("reponer gafas oscuras", f"Escribe cuántas unidades de {GLASSES} reponer (hoy hay 130)"),
        ("reponer 2,5 gafas oscuras", f"Escribe cuántas unidades de {GLASSES} reponer"),
        ("restock 500000 dark lens glasses", f"Write how many units of {GLASSES} to restock"),
        (
            "cambia el precio de las gafas oscuras",
            f"Escribe el precio nuevo de {GLASSES} (hoy $6.500)",
        ),
        ("cambia el precio de las gafas oscuras a 0", "Escribe el precio nuevo de"),
        ("reponer 50", "Dime qué producto"),
        ("reponer 50 andamios", "Ningún producto del catálogo responde a «andamios»."),
    ],
)
async def test_a_missing_or_invalid_number_or_product_is_asked_for(
    live: LiveServer, client: httpx.AsyncClient, question: str, note: str
) -> None:
    csrf = await logged_in(client, "marta")

    body = (await ask_assistant(client, csrf, question)).json()

    answer = body["answer"]
    assert answer["title"] in ("No propuse nada", "Nothing proposed")
    assert answer["notes"][0].startswith(note)
    assert answer["columns"] == [] and answer["link"] is None
    assert await proposals(live) == []


async def test_loading_the_page_with_a_request_proposes_nothing(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await logged_in(client, "marta")

    page = await client.get("/console/assistant", params={"q": "reponer 50 gafas oscuras"})

    assert page.status_code == 200
    assert "al cargarla no se propone nada" in page.text
    assert await proposals(live) == []
