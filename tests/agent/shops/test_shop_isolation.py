"""Two shops on one deployment, over real HTTP: a customer, an API key and a staff member of one
shop never reach the other's products, prices, orders or conversations (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from conftest import make_settings
from fixtures.api_keys import new_key
from fixtures.console_login import PASSWORD, logged_in
from fixtures.live_server import LiveServer, eventually, serving
from fixtures.twilio_server import SENDER, TwilioServer
from fixtures.whatsapp_setup import post, recorded, whatsapp_settings
from sqlalchemy import select

from agent.db import create_engine, create_sessionmaker, transaction
from agent.models import Conversation, Customer, Order, Product, StaffRole
from agent.settings import Settings
from agent.shops.current import shop_scope
from agent.shops.directory import Endpoint, connect, create_shop
from agent.staff import create_staff
from channels.whatsapp.adapter import INBOUND_PATH

NORTE_WHATSAPP = "+15550002222"
NORTE_WIDGET = "widget-norte"
NORTE_SITE = "https://norte.example"


@dataclass(frozen=True)
class TwoShops:
    """The demo shop (1) and the shop Norte (its id), as the live server serves them."""

    live: LiveServer
    norte: int
    demo_names: frozenset[str]


async def _add_norte(settings: Settings) -> tuple[int, frozenset[str]]:
    """Shop Norte: two extinguishers (one with a SKU the demo also has), a customer with an
    order, a conversation; its WhatsApp number and widget. The demo's product names."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with transaction(sessions) as session:
            shop = await create_shop(session, slug="norte", name="Extintores del Norte")
            await connect(session, shop, Endpoint("whatsapp", NORTE_WHATSAPP))
            await connect(session, shop, Endpoint("web", NORTE_WIDGET, (NORTE_SITE,)))
            demo = frozenset((await session.scalars(select(Product.name))).all())
        with shop_scope(shop.id):
            async with transaction(sessions) as session:
                ours = Product(
                    sku="EXT-PQS-10",
                    name="Extintor Boreal de 10 libras",
                    category="Extintores",
                    price=Decimal(77777),
                    stock=5,
                )
                session.add_all(
                    [
                        ours,
                        Product(
                            sku="N-CO2",
                            name="Extintor Boreal de CO2",
                            category="Extintores",
                            price=Decimal(88888),
                            stock=3,
                        ),
                    ]
                )
                buyer = Customer(national_id="1088245671", name="Norma Norte")  # a demo cédula
                chat = Conversation(channel="web", external_chat_id="norte-chat", customer=buyer)
                session.add_all([buyer, chat])
                await session.flush()
                session.add(
                    Order(customer_id=buyer.id, channel="web", total=Decimal(77777), status="new")
                )
            async with transaction(sessions) as session:
                await create_staff(
                    session,
                    username="norte-manager",
                    name="Nora",
                    role=StaffRole.MANAGER,
                    password=PASSWORD,
                )
        async with transaction(sessions) as session:
            session.add(Conversation(channel="web", external_chat_id="demo-chat"))
            await create_staff(
                session,
                username="demo-manager",
                name="Dora",
                role=StaffRole.MANAGER,
                password=PASSWORD,
            )
    finally:
        await engine.dispose()
    return shop.id, demo


@pytest.fixture
async def shops(shop_url: str, fake_twilio: TwilioServer) -> AsyncIterator[TwoShops]:
    settings = whatsapp_settings(make_settings(shop_url), fake_twilio)
    norte, demo = await _add_norte(settings)
    async with serving(settings) as live:
        yield TwoShops(live, norte, demo)


def _demo_names_in(text: str, names: frozenset[str]) -> list[str]:
    return [name for name in names if name in text]


async def test_a_customer_on_norte_whatsapp_sees_only_norte_products(
    shops: TwoShops, fake_twilio: TwilioServer
) -> None:
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as http:
        form = recorded("inbound_text.json", Body="qué extintores tienen?")
        form["To"] = f"whatsapp:{NORTE_WHATSAPP}"
        assert (await post(http, INBOUND_PATH, form)).status_code == 200
        await eventually(lambda: len(fake_twilio.created) == 1)
        norte_reply = fake_twilio.created[0]["Body"]

        demo_form = recorded("inbound_text.json", Body="qué extintores tienen?")
        demo_form["From"] = demo_form["WaId"] = "whatsapp:+573009998877"
        demo_form["To"] = SENDER
        assert (await post(http, INBOUND_PATH, demo_form)).status_code == 200
        await eventually(lambda: len(fake_twilio.created) == 2)
        demo_reply = fake_twilio.created[1]["Body"]

    assert "Boreal" in norte_reply, norte_reply
    assert _demo_names_in(norte_reply, shops.demo_names) == []
    assert "Boreal" not in demo_reply and _demo_names_in(demo_reply, shops.demo_names)
    async with shops.live.runtime.sessions() as session:
        demo_chats = (await session.scalars(select(Conversation.external_chat_id))).all()
    assert "whatsapp:+573001112233" not in demo_chats  # Ana wrote to Norte, not to the demo


async def test_the_widget_key_says_the_shop_and_its_sites(shops: TwoShops) -> None:
    chat = f"w-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as http:
        norte = await http.post(
            "/chat/text",
            params={"key": NORTE_WIDGET},
            json={"chat_id": chat, "message": "precio del extintor de co2"},
        )
        history = await http.get(f"/chat/history/{chat}", params={"key": NORTE_WIDGET})
        elsewhere = await http.get(f"/chat/history/{chat}")
        unknown = await http.post(
            "/chat/text", params={"key": "nobody"}, json={"chat_id": chat, "message": "hola"}
        )
    assert norte.status_code == 200, norte.text
    assert "88.888" in norte.json()["reply"] and "Boreal" in norte.json()["reply"]
    assert _demo_names_in(norte.json()["reply"], shops.demo_names) == []
    assert history.status_code == 200 and len(history.json()["messages"]) == 2
    assert elsewhere.status_code == 404  # the default shop has no such chat
    assert unknown.status_code == 404


async def test_an_api_key_of_norte_lists_only_norte_rows(shops: TwoShops) -> None:
    with shop_scope(shops.norte):
        norte_key = await new_key(shops.live.runtime.settings, name="norte")
    demo_key = await new_key(shops.live.runtime.settings, name="demo")
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as http:
        norte = {"X-API-Key": norte_key}
        products = (await http.get("/api/v1/products", headers=norte)).json()
        orders = (await http.get("/api/v1/orders", headers=norte)).json()
        same_sku = (await http.get("/api/v1/products/EXT-PQS-10", headers=norte)).json()
        demo_only = await http.get("/api/v1/products/EXT-PQS-20", headers=norte)
        customer = (
            await http.get("/api/v1/customers/by-national-id/1088245671", headers=norte)
        ).json()
        demo = await http.get("/api/v1/products/EXT-PQS-10", headers={"X-API-Key": demo_key})
    assert sorted(p["name"] for p in products["items"]) == [
        "Extintor Boreal de 10 libras",
        "Extintor Boreal de CO2",
    ]
    assert products["total"] == 2
    assert [o["total"] for o in orders["items"]] == ["77777.00"]
    assert same_sku["price"] == "77777.00"
    assert demo_only.status_code == 404
    assert customer["name"] == "Norma Norte"
    assert demo.json()["price"] != "77777.00" and "Boreal" not in demo.json()["name"]


async def test_a_console_manager_sees_only_their_shops_conversations(shops: TwoShops) -> None:
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as demo:
        await logged_in(demo, "demo-manager")
        demo_list = (await demo.get("/console/list", params={"estado": "all"})).text
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as norte:
        await logged_in(norte, "norte-manager")
        norte_list = (await norte.get("/console/list", params={"estado": "all"})).text
    assert "demo-chat" in demo_list and "norte-chat" not in demo_list
    assert "Norma Norte" in norte_list and "demo-chat" not in norte_list


async def test_reports_are_the_default_shops_only_for_now(shops: TwoShops) -> None:
    with shop_scope(shops.norte):
        norte_key = await new_key(shops.live.runtime.settings, name="norte")
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as norte:
        report = await norte.get("/exports/jobs/none", headers={"X-API-Key": norte_key})
        await logged_in(norte, "norte-manager")
        dashboard = await norte.get("/console/dashboard/summary")
    async with httpx.AsyncClient(base_url=shops.live.url, timeout=30) as demo:
        await logged_in(demo, "demo-manager")
        demo_dashboard = await demo.get("/console/dashboard/summary")
    assert (report.status_code, dashboard.status_code) == (403, 403)
    assert demo_dashboard.status_code == 200
