"""On PostgreSQL, two servers taking concurrent stock changes and cancellations: the
arithmetic stays right, stock never goes below zero, and a cancelled order returns its
units exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from conftest import make_settings
from fixtures.api_keys import new_key
from fixtures.live_server import serving

pytestmark = pytest.mark.postgres

SKU = "CAS-II-E"


@pytest.fixture
async def servers(demo_postgres_url: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Clients of two servers on one PostgreSQL database, as two processes behind a balancer."""
    settings = make_settings(demo_postgres_url, api_rate_limit_burst=1000)
    key = await new_key(settings)
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            live = await stack.enter_async_context(serving(settings))
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=live.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
                    )
                )
            )
        yield clients


async def stock_of(client: httpx.AsyncClient, sku: str = SKU) -> int:
    return int((await client.get(f"/api/v1/products/{sku}")).json()["stock"])


async def set_stock(client: httpx.AsyncClient, units: int, sku: str = SKU) -> None:
    delta = units - await stock_of(client, sku)
    if delta:
        response = await client.post(
            f"/api/v1/products/{sku}/stock", json={"delta": delta, "reason": "conteo"}
        )
        assert response.json()["stock"] == units


async def test_concurrent_adjustments_all_count_and_never_go_negative(
    servers: list[httpx.AsyncClient],
) -> None:
    await set_stock(servers[0], 20)
    deltas = [+3, -5] * 20  # alone they would sum to -40: some takes must be refused

    responses = await asyncio.gather(
        *(
            servers[i % 2].post(
                f"/api/v1/products/{SKU}/stock", json={"delta": delta, "reason": f"move {i}"}
            )
            for i, delta in enumerate(deltas)
        )
    )

    applied = [d for d, r in zip(deltas, responses, strict=True) if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert all(r.status_code == 409 for r in refused) and refused
    assert all(0 <= r.json()["available"] < 5 for r in refused)  # refused only when short
    assert all(r.json()["stock"] >= 0 for r in responses if r.status_code == 200)
    assert await stock_of(servers[1]) == 20 + sum(applied)


async def test_racing_for_the_last_units_takes_exactly_what_there_is(
    servers: list[httpx.AsyncClient],
) -> None:
    await set_stock(servers[0], 7)

    responses = await asyncio.gather(
        *(
            servers[i % 2].post(
                f"/api/v1/products/{SKU}/stock", json={"delta": -1, "reason": "venta en tienda"}
            )
            for i in range(20)
        )
    )

    assert sorted(r.status_code for r in responses) == [200] * 7 + [409] * 13
    assert sorted(r.json()["stock"] for r in responses if r.status_code == 200) == list(range(7))
    assert await stock_of(servers[1]) == 0


PURCHASE = [
    "necesito dos extintores multipropósito de 10 libras",
    "eso es todo",
    "1032456789",
    "Laura Restrepo",
    "3104567890",
    "Pereira",
    "Calle 19 # 8-34",
    "sí",
]


async def test_cancelling_concurrently_returns_the_stock_once(
    servers: list[httpx.AsyncClient],
) -> None:
    before = await stock_of(servers[0], "EXT-PQS-10")
    turn: dict[str, object] = {}
    for text in PURCHASE:
        turn = (await servers[0].post("/chat/text", json={"chat_id": "pg", "message": text})).json()
    order_id = turn["order_id"]
    assert order_id is not None, turn
    assert await stock_of(servers[0], "EXT-PQS-10") == before - 2

    responses = await asyncio.gather(
        *(servers[i % 2].post(f"/api/v1/orders/{order_id}/cancel") for i in range(10))
    )

    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert await stock_of(servers[1], "EXT-PQS-10") == before
    order = (await servers[1].get(f"/api/v1/orders/{order_id}")).json()
    assert order["status"] == "cancelled"
