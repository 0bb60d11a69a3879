"""The web channel's HTTP endpoints over real HTTP: history, health, info, audio, pages, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fixtures.hostile_text import HOSTILE, PRODUCT, assert_shown_as_text
from fixtures.live_server import LiveServer, serving
from sqlalchemy import select

from agent.models import Product
from agent.settings import Settings


@pytest.fixture
async def server(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(update={"web_allowed_origins": "https://tienda.example"})
    async with serving(settings) as live:
        yield live


async def test_history_pages_back_through_the_conversation(http: httpx.AsyncClient) -> None:
    said = ["hola", "¿cuánto vale el casco dieléctrico?", "¿dónde quedan?"]
    for text in said:
        await http.post("/chat/text", json={"chat_id": "hist", "message": text})

    newest = (await http.get("/chat/history/hist", params={"limit": 4})).json()
    older = await http.get("/chat/history/hist", params={"limit": 4, "before": newest["before"]})
    everything = (await http.get("/chat/history/hist")).json()

    assert [m["role"] for m in newest["messages"]] == ["customer", "agent"] * 2
    assert newest["messages"][-2]["text"] == "¿dónde quedan?"
    assert newest["has_more"] is True and newest["before"] == newest["messages"][0]["id"]
    page = older.json()
    assert [m["text"] for m in page["messages"] if m["role"] == "customer"] == ["hola"]
    assert page["has_more"] is False and page["before"] is None
    assert [m["id"] for m in everything["messages"]] == [
        m["id"] for m in page["messages"] + newest["messages"]
    ]
    assert everything["owner"] == "bot"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 500}, "limit"), ({"before": "x"}, "before")],
)
async def test_history_rejects_bad_paging(
    http: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    await http.post("/chat/text", json={"chat_id": "paging", "message": "hola"})

    response = await http.get("/chat/history/paging", params=params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_history_of_an_unknown_chat_is_a_clear_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/chat/history/nobody-here")

    assert response.status_code == 404
    assert "nobody-here" in response.json()["detail"]


async def test_health_and_info(http: httpx.AsyncClient) -> None:
    await http.post("/chat/text", json={"chat_id": "info", "message": "hola"})

    health = (await http.get("/chat/health")).json()
    info = (await http.get("/info")).json()

    assert health["status"] == "ok" and health["sockets"] == 0
    assert (await http.get("/health")).json()["database"] == "ok"
    assert info["version"] and info["llm_provider"] == "offline"
    assert "web" in info["channels"]
    assert info["counts"]["products"] > 100
    assert info["counts"]["conversations"] == 1
    assert info["counts"]["orders"] >= 1  # the demo shop's past orders


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ({"audio": ("nota.txt", b"hola", "text/plain")}, "audio"),
        ({"audio": ("nota.ogg", b"", "audio/ogg")}, "audio"),
        ({}, "audio"),
    ],
)
async def test_voice_notes_refuse_what_is_not_a_note(
    http: httpx.AsyncClient, files: dict[str, tuple[str, bytes, str]], field: str
) -> None:
    response = await http.post("/chat/audio", data={"chat_id": "voz"}, files=files)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_the_demo_page_shows_the_shop_and_embeds_the_widget(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/")
    widget = await http.get("/widget.js")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="es">' in page.text
    assert "Extintores y Seguridad Industrial del Risaralda" in page.text
    assert page.text.count('class="card"') >= 5 and "$" in page.text
    assert '<script src="/widget.js"' in page.text
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in widget.text and "innerHTML" not in widget.text
    # Its labels come from the catalogue, in both languages, written into its table.
    assert '"send": "Enviar"' in widget.text and '"send": "Send"' in widget.text
    assert "var WORDS = { es: {}, en: {} };" not in widget.text


@pytest.mark.parametrize(
    ("origin", "allowed"), [("https://tienda.example", True), ("https://evil.example", False)]
)
async def test_cross_origin_chat_requests_follow_the_allowed_origins(
    http: httpx.AsyncClient, origin: str, allowed: bool
) -> None:
    preflight = await http.options(
        "/chat/text",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    await http.post("/chat/text", json={"chat_id": "cors", "message": "hola"})
    history = await http.get("/chat/history/cors", headers={"origin": origin})

    granted = history.headers.get("access-control-allow-origin")
    assert (granted == origin) is allowed
    assert (preflight.status_code == 200) is allowed
    assert (
        "access-control-allow-origin"
        not in (await http.get("/info", headers={"origin": origin})).headers
    )


async def test_the_page_may_be_framed_by_allowed_sites_only_and_the_widget_embedded_anywhere(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/")
    widget = await http.get("/widget.js")

    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["frame-ancestors"] == "'self' https://tienda.example"
    assert policy["script-src"] == "'self'"  # no inline script, nothing from elsewhere
    assert policy["connect-src"] == "'self'" and policy["base-uri"] == "'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert widget.headers["x-content-type-options"] == "nosniff"
    assert widget.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "frame-ancestors 'none'" in widget.headers["content-security-policy"]


async def test_the_chat_page_shows_the_shop_and_its_products_as_text(
    demo_settings: Settings,
) -> None:
    async with serving(demo_settings.model_copy(update={"shop_name": f"Tienda {HOSTILE}"})) as live:
        async with live.runtime.sessions() as session:
            boots = await session.scalar(
                select(Product).where(Product.name.ilike("bota%")).order_by(Product.id).limit(1)
            )
            assert boots is not None
            boots.name = PRODUCT
            await session.commit()
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            page = await http.get("/")

    assert page.status_code == 200
    assert_shown_as_text(page.text, f"Tienda {HOSTILE}", PRODUCT)
