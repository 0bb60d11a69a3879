"""Customers, orders and conversations over the REST API, against a live server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fixtures.api_keys import new_key
from fixtures.live_server import serving

from agent.settings import Settings

PURCHASE = [
    "hola",
    "necesito dos extintores multipropósito de 10 libras",
    "eso es todo",
    "1032456789",
    "Laura Restrepo",
    "3104567890",
    "Pereira",
    "Calle 19 # 8-34",
    "sí",
]
MARIA = "1088245671"  # a demo customer with three delivered orders


@pytest.fixture
async def api(demo_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the live server that sends a valid API key."""
    key = await new_key(demo_settings)
    async with (
        serving(demo_settings) as live,
        httpx.AsyncClient(base_url=live.url, headers={"X-API-Key": key}, timeout=30) as http,
    ):
        yield http


async def buy(api: httpx.AsyncClient, chat_id: str) -> int:
    """Buy two 10 lb extinguishers through the HTTP chat, as a customer; the order id."""
    turn: dict[str, Any] = {}
    for text in PURCHASE:
        response = await api.post("/chat/text", json={"chat_id": chat_id, "message": text})
        assert response.status_code == 200, response.text
        turn = response.json()
    assert turn["order_id"] is not None, turn
    return int(turn["order_id"])


async def stock(api: httpx.AsyncClient, sku: str) -> int:
    return int((await api.get(f"/api/v1/products/{sku}")).json()["stock"])


async def test_cancelling_returns_the_stock_once(api: httpx.AsyncClient) -> None:
    before = await stock(api, "EXT-PQS-10")
    order_id = await buy(api, "web-buyer")
    assert await stock(api, "EXT-PQS-10") == before - 2

    detail = (await api.get(f"/api/v1/orders/{order_id}")).json()
    assert detail["status"] == "confirmed"
    assert detail["customer"]["national_id"] == "1032456789"
    assert [(line["sku"], line["quantity"]) for line in detail["lines"]] == [("EXT-PQS-10", 2)]
    assert Decimal(detail["total"]) == 2 * Decimal(detail["lines"][0]["unit_price"])

    cancelled = await api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "duplicado"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert await stock(api, "EXT-PQS-10") == before

    again = await api.post(f"/api/v1/orders/{order_id}/cancel")
    assert again.status_code == 409
    assert again.json()["status"] == "cancelled" and "cannot be cancelled" in again.json()["detail"]
    assert await stock(api, "EXT-PQS-10") == before

    history = (await api.get(f"/api/v1/customers/{detail['customer_id']}/history")).json()
    assert history["stats"]["orders"] == 0 and history["stats"]["total_spent"] == "0.00"
    assert [o["status"] for o in history["orders"]["items"]] == ["cancelled"]


async def test_delivered_and_unknown_orders_cannot_be_cancelled(api: httpx.AsyncClient) -> None:
    delivered = (await api.get("/api/v1/orders", params={"status": "delivered", "limit": 1})).json()
    order_id = delivered["items"][0]["id"]

    refused = await api.post(f"/api/v1/orders/{order_id}/cancel")
    unknown = await api.post("/api/v1/orders/99999/cancel")

    assert refused.status_code == 409 and refused.json()["status"] == "delivered"
    assert (await api.get(f"/api/v1/orders/{order_id}")).json()["status"] == "delivered"
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no order has the id 99999"


async def test_orders_are_filtered_by_channel_status_customer_and_date(
    api: httpx.AsyncClient,
) -> None:
    everything = (await api.get("/api/v1/orders")).json()
    whatsapp = (await api.get("/api/v1/orders", params={"channel": "whatsapp"})).json()
    maria = (await api.get(f"/api/v1/customers/by-national-id/{MARIA}")).json()
    hers = (await api.get("/api/v1/orders", params={"customer_id": maria["id"]})).json()
    in_2026 = (
        await api.get(
            "/api/v1/orders",
            params={"created_from": "2026-01-01T00:00:00-05:00", "created_to": "2027-01-01"},
        )
    ).json()
    paged = (await api.get("/api/v1/orders", params={"limit": 2, "offset": 2})).json()

    assert everything["total"] == 15
    assert whatsapp["total"] == 10 and {o["channel"] for o in whatsapp["items"]} == {"whatsapp"}
    assert hers["total"] == 3 and {o["customer_id"] for o in hers["items"]} == {maria["id"]}
    assert 0 < in_2026["total"] < 15
    assert all(o["created_at"] >= "2026-01-01T05:00:00" for o in in_2026["items"])
    dates = [o["created_at"] for o in everything["items"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert [o["id"] for o in paged["items"]] == [o["id"] for o in everything["items"][2:4]]


async def test_a_customer_is_created_found_changed_and_has_a_history(
    api: httpx.AsyncClient,
) -> None:
    created = await api.post(
        "/api/v1/customers",
        json={
            "national_id": "79.845.123",
            "name": "Andrés Gómez",
            "phone": "+57 315 777 8899",
            "email": "Andres@Example.com",
            "city": "pereira",
        },
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert (customer["national_id"], customer["phone"]) == ("79845123", "3157778899")
    assert (customer["email"], customer["city"]) == ("andres@example.com", "Pereira")

    by_id = (await api.get(f"/api/v1/customers/{customer['id']}")).json()
    by_cedula = (await api.get("/api/v1/customers/by-national-id/79 845 123")).json()
    searched = (await api.get("/api/v1/customers", params={"q": "gómez"})).json()
    assert by_id == by_cedula == customer
    assert customer["id"] in [c["id"] for c in searched["items"]]

    duplicate = await api.post(
        "/api/v1/customers", json={"national_id": "79845123", "name": "Otro Nombre"}
    )
    assert duplicate.status_code == 409 and duplicate.json()["customer_id"] == customer["id"]

    changed = await api.patch(
        f"/api/v1/customers/{customer['id']}", json={"phone": "3001112233", "email": None}
    )
    assert changed.status_code == 200
    assert (changed.json()["phone"], changed.json()["email"]) == ("3001112233", None)
    taken = await api.patch(f"/api/v1/customers/{customer['id']}", json={"national_id": MARIA})
    assert taken.status_code == 409

    maria = (await api.get(f"/api/v1/customers/by-national-id/{MARIA}")).json()
    history = (await api.get(f"/api/v1/customers/{maria['id']}/history")).json()
    assert history["customer"]["name"] == "María Fernanda Ospina Giraldo"
    assert history["stats"]["orders"] == 3 == history["orders"]["total"]
    assert Decimal(history["stats"]["total_spent"]) == sum(
        Decimal(o["total"]) for o in history["orders"]["items"]
    )


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"name": "Ana Gómez"}, "national_id", "field required"),
        ({"national_id": "12ab", "name": "Ana Gómez"}, "national_id", "6 to 10 digits"),
        ({"national_id": "52123456", "name": "1234"}, "name", "letters"),
        ({"national_id": "52123456", "name": "Ana", "phone": "12"}, "phone", "10 digits"),
        ({"national_id": "52123456", "name": "Ana", "email": "ana@"}, "email", "e-mail"),
    ],
)
async def test_bad_customer_data_is_a_422_naming_the_field(
    api: httpx.AsyncClient, payload: dict[str, str], field: str, words: str
) -> None:
    response = await api.post("/api/v1/customers", json=payload)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert words in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/4242",
        "/api/v1/customers/4242/history",
        "/api/v1/customers/by-national-id/52999999",
        "/api/v1/orders/4242",
        "/api/v1/conversations/4242",
    ],
)
async def test_unknown_records_are_404(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(path)

    assert response.status_code == 404
    assert response.json()["detail"].startswith("no ")


async def test_conversations_list_and_show_their_messages_in_pages(
    api: httpx.AsyncClient,
) -> None:
    for chat_id, text in [("c-one", "hola"), ("c-two", "¿tienen cascos?"), ("c-two", "gracias")]:
        await api.post("/chat/text", json={"chat_id": chat_id, "message": text})

    newest = (await api.get("/api/v1/conversations", params={"limit": 1})).json()
    channel = newest["items"][0]["channel"]  # the HTTP chat's channel
    listed = (await api.get("/api/v1/conversations", params={"channel": channel})).json()
    elsewhere = (await api.get("/api/v1/conversations", params={"channel": "telegram"})).json()
    humans = (await api.get("/api/v1/conversations", params={"owner": "human"})).json()
    future = (
        await api.get("/api/v1/conversations", params={"active_from": "2100-01-01T00:00:00Z"})
    ).json()

    assert [c["external_chat_id"] for c in listed["items"]] == ["c-two", "c-one"]
    assert elsewhere == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert listed["items"][0]["message_count"] == 4 and listed["items"][0]["owner"] == "bot"
    assert humans["total"] == 0 and future["total"] == 0

    conversation_id = listed["items"][0]["id"]
    page = (await api.get(f"/api/v1/conversations/{conversation_id}", params={"limit": 3})).json()
    rest = (
        await api.get(f"/api/v1/conversations/{conversation_id}", params={"limit": 3, "offset": 3})
    ).json()
    messages = page["messages"]["items"] + rest["messages"]["items"]
    assert page["messages"]["total"] == 4 and len(page["messages"]["items"]) == 3
    assert [m["direction"] for m in messages] == ["in", "out", "in", "out"]
    assert [m["text"] for m in messages[::2]] == ["¿tienen cascos?", "gracias"]
    assert messages[0]["intent"].startswith("inventory")
