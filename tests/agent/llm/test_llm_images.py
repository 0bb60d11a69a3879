"""`POST /chat/image`: read by Gemini into products and quantities, or stored and handed to a
person when there is no multimodal model."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fixtures.llm_servers import ScriptedServer, gemini_json
from fixtures.llm_setup import configured, gemini_settings
from sqlalchemy import select

from agent.models import Handoff, Owner
from agent.settings import Settings
from salesagent.app import create_app, provide
from salesagent.runtime import Runtime

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


async def client_for(runtime: Runtime) -> httpx.AsyncClient:
    app = create_app(runtime.settings)
    provide(app, runtime)  # the test owns the runtime: no lifespan needed
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop")


@pytest.fixture
async def offline_shop(demo_settings: Settings, tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(
        configured(demo_settings, image_dir=tmp_path / "images"), migrate=False
    )
    yield runtime
    await runtime.close()


@pytest.fixture
async def gemini_shop(
    demo_settings: Settings, server: ScriptedServer, tmp_path: Path
) -> AsyncIterator[Runtime]:
    settings = gemini_settings(demo_settings, server, image_dir=tmp_path / "images")
    runtime = await Runtime.start(settings, migrate=False)
    yield runtime
    await runtime.close()


async def test_a_photo_read_by_gemini_becomes_products_and_quantities(
    gemini_shop: Runtime, server: ScriptedServer, tmp_path: Path
) -> None:
    seen = {"products": [{"text": "extintor multipropósito ABC de 10 libras", "quantity": 2}]}
    server.script("generate", gemini_json(seen))

    async with await client_for(gemini_shop) as client:
        response = await client.post(
            "/chat/image",
            data={"chat_id": "photo-1", "message": "esto necesito"},
            files={"image": ("lista.png", PNG, "image/png")},
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "purchase.add" and body["owner"] == Owner.BOT
    assert "10" in body["reply"] and "person" not in body["reply"]
    (call,) = server.calls("gemini-generate")
    part = call.body["contents"][0]["parts"][0]
    assert part["inlineData"]["mime_type"] == "image/png"  # as the SDK writes it
    assert base64.b64decode(part["inlineData"]["data"]) == PNG
    assert len(list((tmp_path / "images").iterdir())) == 1


async def test_without_a_multimodal_model_a_person_looks_at_the_photo(
    offline_shop: Runtime, tmp_path: Path
) -> None:
    async with await client_for(offline_shop) as client:
        response = await client.post(
            "/chat/image",
            data={"chat_id": "photo-2"},
            files={"image": ("etiqueta.png", PNG, "image/png")},
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert "persona" in body["reply"] and body["owner"] == Owner.WAITING_HUMAN
    async with offline_shop.sessions() as session:
        record = (await session.execute(select(Handoff))).scalar_one()
    assert record.reason == "image_needs_person"
    (stored,) = (tmp_path / "images").iterdir()
    assert stored.read_bytes() == PNG


async def test_a_file_that_is_not_a_photo_is_refused_naming_the_field(
    offline_shop: Runtime,
) -> None:
    async with await client_for(offline_shop) as client:
        response = await client.post(
            "/chat/image",
            data={"chat_id": "photo-3"},
            files={"image": ("notes.txt", b"hola", "text/plain")},
        )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "image"
