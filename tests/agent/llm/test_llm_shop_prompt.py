"""The prompts describe the shop from its settings and its own catalog, not a fixed trade."""

from __future__ import annotations

from decimal import Decimal

from conftest import Chat
from fixtures.llm_servers import ScriptedServer
from fixtures.llm_setup import gemini_settings

from agent.models import Product
from agent.settings import Settings
from salesagent.runtime import Runtime


def _product(sku: str, name: str, category: str) -> Product:
    return Product(sku=sku, name=name, category=category, price=Decimal(450000), stock=4)


async def test_a_furniture_shop_is_described_as_one(
    settings: Settings, server: ScriptedServer
) -> None:
    shop = gemini_settings(settings, server, shop_name="Muebles La Circunvalar", llm_mode="always")
    async with await Runtime.start(shop, migrate=False) as runtime:
        async with runtime.sessions() as session:
            session.add_all(
                [
                    _product("ESC-1", "Escritorio en L", "Escritorios"),
                    _product("ESC-2", "Escritorio elevable", "Escritorios"),
                    _product("SIL-1", "Silla ergonómica", "Sillas de oficina"),
                ]
            )
            await session.commit()

        result = await Chat(runtime, "muebles").say("¿tienen escritorios?")

    assert result.reply
    (reading, *phrasings) = server.calls("gemini-generate", "gemini-stream")
    for call in (reading, *phrasings):
        system = call.body["systemInstruction"]["parts"][0]["text"]
        assert "Muebles La Circunvalar, una tienda que vende escritorios, sillas de oficina" in (
            system
        )
        assert "seguridad" not in system
