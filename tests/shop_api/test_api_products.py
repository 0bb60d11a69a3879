"""Products over the REST API, against a live server on the demo shop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fixtures.api_keys import new_key
from fixtures.live_server import serving

from agent.settings import Settings


@pytest.fixture
async def api(demo_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the live server that sends a valid API key."""
    key = await new_key(demo_settings)
    async with (
        serving(demo_settings) as live,
        httpx.AsyncClient(
            base_url=live.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http,
    ):
        yield http


async def product(api: httpx.AsyncClient, sku: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/products/{sku}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_pages_cover_the_catalog_without_overlap(api: httpx.AsyncClient) -> None:
    first = (await api.get("/api/v1/products", params={"limit": 5})).json()
    second = (await api.get("/api/v1/products", params={"limit": 5, "offset": 5})).json()
    both = (await api.get("/api/v1/products", params={"limit": 10})).json()
    past_the_end = (await api.get("/api/v1/products", params={"offset": 10_000})).json()

    assert first["total"] == second["total"] == both["total"] == 204
    assert (first["limit"], first["offset"], second["offset"]) == (5, 0, 5)
    skus = [p["sku"] for p in first["items"] + second["items"]]
    assert skus == [p["sku"] for p in both["items"]] and len(set(skus)) == 10
    assert past_the_end["items"] == [] and past_the_end["total"] == 204


async def test_filters_narrow_the_list(api: httpx.AsyncClient) -> None:
    extinguishers = (
        await api.get("/api/v1/products", params={"category": "extintores", "limit": 200})
    ).json()
    sold_out = (await api.get("/api/v1/products", params={"in_stock": "false"})).json()
    cheap = (
        await api.get("/api/v1/products", params={"min_price": "10000", "max_price": "20000.50"})
    ).json()

    assert extinguishers["total"] == 25
    assert {p["category"] for p in extinguishers["items"]} == {"Extintores"}
    assert sold_out["total"] == 20 and all(p["stock"] == 0 for p in sold_out["items"])
    assert cheap["total"] > 0
    assert all(Decimal(10000) <= Decimal(p["price"]) <= Decimal("20000.50") for p in cheap["items"])


async def test_search_ranks_like_the_agent_and_combines_with_filters(
    api: httpx.AsyncClient,
) -> None:
    found = (
        await api.get("/api/v1/products", params={"q": "extintor multiproposito 10 libras"})
    ).json()
    in_stock_gloves = (
        await api.get("/api/v1/products", params={"q": "guantes", "in_stock": "true"})
    ).json()
    nothing = (await api.get("/api/v1/products", params={"q": "zzzqqq"})).json()

    assert found["items"][0]["sku"] == "EXT-PQS-10"
    assert in_stock_gloves["total"] > 0
    assert all("uante" in p["name"] and p["stock"] > 0 for p in in_stock_gloves["items"])
    assert nothing == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_a_product_is_created_changed_and_deactivated(api: httpx.AsyncClient) -> None:
    new = {
        "sku": "GUA-KEV-10",
        "name": "Guante anticorte de kevlar talla 10",
        "category": "Protección de manos",
        "price": "23500",
        "stock": 15,
        "synonyms": ["guante anticorte"],
    }
    created = await api.post("/api/v1/products", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["price"] == "23500.00" and created.json()["active"] is True

    # The agent sells it straight away.
    chat = await api.post(
        "/chat/text", json={"chat_id": "api-kevlar", "message": "¿tienen guantes de kevlar?"}
    )
    assert chat.status_code == 200, chat.text
    assert "kevlar" in chat.json()["reply"].lower()

    again = await api.post("/api/v1/products", json=new)
    assert again.status_code == 409 and "GUA-KEV-10" in again.json()["detail"]

    changed = await api.patch("/api/v1/products/GUA-KEV-10", json={"price": 25000.5})
    assert changed.status_code == 200
    assert (await product(api, "GUA-KEV-10"))["price"] == "25000.50"
    on_request = await api.patch("/api/v1/products/GUA-KEV-10", json={"price": None})
    assert on_request.json()["price"] is None and on_request.json()["name"] == new["name"]

    gone = await api.delete("/api/v1/products/GUA-KEV-10")
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert (await product(api, "GUA-KEV-10"))["stock"] == 15  # kept, only hidden
    inactive = (await api.get("/api/v1/products", params={"active": "false"})).json()
    assert [p["sku"] for p in inactive["items"]] == ["GUA-KEV-10"]
    searched = (await api.get("/api/v1/products", params={"q": "guante kevlar"})).json()
    assert "GUA-KEV-10" not in [p["sku"] for p in searched["items"]]

    back = await api.patch("/api/v1/products/GUA-KEV-10", json={"active": True})
    assert back.json()["active"] is True


async def test_stock_moves_by_the_delta_and_never_below_zero(api: httpx.AsyncClient) -> None:
    start = (await product(api, "CAS-II-E"))["stock"]

    added = await api.post(
        "/api/v1/products/CAS-II-E/stock", json={"delta": 5, "reason": "compra a proveedor"}
    )
    taken = await api.post(
        "/api/v1/products/CAS-II-E/stock", json={"delta": -3, "reason": "rotos en bodega"}
    )
    too_many = await api.post(
        "/api/v1/products/CAS-II-E/stock", json={"delta": -(start + 3), "reason": "inventario"}
    )

    assert added.json() == {
        "sku": "CAS-II-E", "stock": start + 5, "delta": 5, "reason": "compra a proveedor",
    }  # fmt: skip
    assert taken.json()["stock"] == start + 2
    assert too_many.status_code == 409
    assert too_many.json()["available"] == start + 2
    assert "below zero" in too_many.json()["detail"]
    assert (await product(api, "CAS-II-E"))["stock"] == start + 2

    emptied = await api.post(
        "/api/v1/products/CAS-II-E/stock", json={"delta": -(start + 2), "reason": "inventario"}
    )
    assert emptied.json()["stock"] == 0


async def test_unknown_products_are_404_with_the_sku(api: httpx.AsyncClient) -> None:
    for response in [
        await api.get("/api/v1/products/NO-SUCH"),
        await api.patch("/api/v1/products/NO-SUCH", json={"name": "x"}),
        await api.delete("/api/v1/products/NO-SUCH"),
        await api.post("/api/v1/products/NO-SUCH/stock", json={"delta": 1, "reason": "x"}),
    ]:
        assert response.status_code == 404
        assert response.json() == {"detail": "no product has the sku 'NO-SUCH'"}


VALID = {"sku": "NEW-1", "name": "Cono vial", "category": "Señalización vial"}


@pytest.mark.parametrize(
    ("method", "path", "payload", "field", "words"),
    [
        ("post", "/api/v1/products", {"sku": "X-1", "category": "Y"}, "name", "field required"),
        ("post", "/api/v1/products", {**VALID, "sku": "con espacio"}, "sku", "pattern"),
        ("post", "/api/v1/products", {**VALID, "price": "-5"}, "price", "greater than or equal"),
        ("post", "/api/v1/products", {**VALID, "price": "1.234"}, "price", "decimal places"),
        ("post", "/api/v1/products", {**VALID, "stock": -1}, "stock", "greater than or equal"),
        ("post", "/api/v1/products", {**VALID, "name": "   "}, "name", "must not be blank"),
        ("post", "/api/v1/products", {**VALID, "colour": "red"}, "colour", "Extra inputs"),
        ("patch", "/api/v1/products/EXT-PQS-10", {"stock": 3}, "stock", "Extra inputs"),
        ("post", "/api/v1/products/EXT-PQS-10/stock", {"delta": 0, "reason": "x"}, "delta", "0"),
        ("post", "/api/v1/products/EXT-PQS-10/stock", {"delta": 2}, "reason", "field required"),
        ("post", "/api/v1/products/EXT-PQS-10/stock", {"delta": "x", "reason": "y"}, "delta", ""),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    api: httpx.AsyncClient,
    method: str,
    path: str,
    payload: dict[str, object],
    field: str,
    words: str,
) -> None:
    response = await api.request(method, path, json=payload)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert words in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"offset": -1}, "offset"),
        ({"min_price": "abc"}, "min_price"),
        ({"in_stock": "perhaps"}, "in_stock"),
    ],
)
async def test_bad_query_parameters_are_a_422_naming_them(
    api: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await api.get("/api/v1/products", params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
