"""The HTTP chat API over real HTTP: answers, dedupe, and clear errors for bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import make_settings
from fixtures.live_server import serving

from agent.settings import Settings


@pytest.fixture
async def client(demo_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app served by uvicorn on a local port."""
    async with (
        serving(demo_settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        yield http


async def test_health_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_a_message_is_answered_with_the_turn_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/chat/text", json={"chat_id": "web-1", "message": "¿cuánto vale el extintor de CO2?"}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "reply", "intent", "confidence", "sale_state", "order_id", "cart", "products", "owner",
    }  # fmt: skip
    assert body["intent"].startswith("inventory")
    assert body["products"] and "CO2" in body["products"][0]["name"]
    assert "$" in body["reply"]


async def test_the_same_message_id_is_answered_once(client: httpx.AsyncClient) -> None:
    payload = {"chat_id": "web-2", "message": "hola", "message_id": "abc-1"}
    first, second = [await client.post("/chat/text", json=payload) for _ in range(2)]

    assert first.json() == second.json()
    history = await client.post(
        "/chat/text", json={"chat_id": "web-2", "message": "gracias", "message_id": "abc-2"}
    )
    assert history.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"message": "hola"}, "chat_id", "field required"),
        ({"chat_id": "x"}, "message", "field required"),
        ({"chat_id": "x", "message": "   "}, "message", "must not be empty"),
        ({"chat_id": "", "message": "hola"}, "chat_id", "at least 1 character"),
        ({"chat_id": "x", "message": "a" * 10_000}, "message", "the limit is 4000"),
        ({"chat_id": "x", "message": 42}, "message", "valid string"),
    ],
)
async def test_bad_input_gets_a_422_naming_the_field(
    client: httpx.AsyncClient, payload: dict[str, object], field: str, words: str
) -> None:
    response = await client.post("/chat/text", json=payload)

    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert words in body["detail"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"chat_id": "x", "message": "\xff\xfe hola"}',
        b'{"chat_id": "x", "message": ',
        b"\xc3\x28",
    ],
)
async def test_undecodable_bodies_get_a_clear_4xx(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/chat/text", content=raw, headers={"content-type": "application/json"}
    )

    assert 400 <= response.status_code < 500
    assert "JSON" in response.json()["detail"]


async def test_a_message_id_another_chat_used_is_a_new_message(shop_url: str) -> None:
    settings = make_settings(shop_url)
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        first = await http.post(
            "/chat/text",
            json={
                "chat_id": "ana",
                "message": "¿cuánto vale el casco dieléctrico?",
                "message_id": "m1",
            },
        )
        other = await http.post(
            "/chat/text", json={"chat_id": "beto", "message": "hola", "message_id": "m1"}
        )
        again = await http.post(
            "/chat/text", json={"chat_id": "beto", "message": "hola", "message_id": "m1"}
        )
        beto = (await http.get("/chat/history/beto")).json()

    assert first.json()["chat_id"] == "ana" and first.json()["products"]
    assert other.status_code == 200
    assert other.json()["chat_id"] == "beto"
    assert other.json()["products"] == [] and other.json()["reply"] != first.json()["reply"]
    assert again.json() == other.json()  # the same chat's retry is still answered once
    said = [m["text"] for m in beto["messages"] if m["role"] == "customer"]
    assert said == ["hola"]
