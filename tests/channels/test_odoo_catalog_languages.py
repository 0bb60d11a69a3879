"""An Odoo catalog in English sold in a Spanish chat, and the reverse.

Against the local server speaking Odoo 19 (JSON-2) and Odoo 18 (JSON-RPC) wire formats.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fixtures.odoo_server import FakeOdoo, with_odoo

from agent.messages import InboundMessage
from agent.settings import Settings
from salesagent.runtime import Runtime

ODOO_DEMO = (
    # name, reference, price, description: products of Odoo's demo data
    ("Customizable Desk", "FURN_0096", 750.0, "Desk with a custom top and legs"),
    ("Large Cabinet", "E-COM07", 320.0, False),
    ("Office Chair Black", "FURN_0269", 120.5, False),
    ("Storage Box", "E-COM08", 15.8, "Caja plástica apilable para archivo"),
)


@pytest.fixture
async def shop(demo_settings: Settings, odoo: FakeOdoo, tmp_path: Path) -> AsyncIterator[Runtime]:
    for name, code, price, description in ODOO_DEMO:
        odoo.data.products.append(
            {
                "id": odoo.data.new_id(),
                "name": name,
                "default_code": code,
                "list_price": price,
                "qty_available": 10.0,
                "categ_id": [8, "All / Saleable / Office Furniture"],
                "description_sale": description,
                "active": True,
                "sale_ok": True,
            }
        )
    synonyms = tmp_path / "synonyms.yaml"
    synonyms.write_text("- [archivador, caja de archivo, storage box]\n", encoding="utf-8")
    settings = with_odoo(
        demo_settings, odoo, odoo_sync_products_minutes=60, catalog_synonyms_file=synonyms
    )
    runtime = await Runtime.start(settings)
    assert runtime.odoo is not None
    await runtime.odoo.sync_products()
    yield runtime
    await runtime.close()


async def reply(runtime: Runtime, text: str) -> str:
    result = await runtime.engine.handle(
        InboundMessage(
            channel="web",
            external_message_id=uuid.uuid4().hex,
            external_chat_id=f"web-{uuid.uuid4().hex[:8]}",
            text=text,
        )
    )
    return result.reply


@pytest.mark.parametrize(
    ("question", "found", "not_found"),
    [
        ("¿tienen escritorios?", "Customizable Desk", "Extintor"),
        ("¿cuánto vale el Large Cabinet?", "Large Cabinet", "Desk"),
        ("¿cuánto vale el gabinete grande?", "Large Cabinet", "Desk"),
        ("busco una silla de oficina negra", "Office Chair Black", "Desk"),
        ("¿tienen archivadores?", "Storage Box", "Desk"),  # the shop's own synonym
        ("¿tienen cajas apilables?", "Storage Box", "Desk"),  # its description, in Spanish
        ("do you have fire extinguishers?", "Extintor", "Desk"),  # the demo shop, in English
    ],
)
async def test_a_question_in_one_language_finds_products_named_in_the_other(
    shop: Runtime, question: str, found: str, not_found: str
) -> None:
    answer = await reply(shop, question)
    assert found in answer and not_found not in answer, answer
