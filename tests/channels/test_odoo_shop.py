"""A shop that runs on Odoo: no demo shop; name, contact, currency and language from Odoo.

Against the local server speaking Odoo 19 (JSON-2) and Odoo 18 (JSON-RPC) wire formats.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.odoo_server import FakeOdoo, with_odoo
from sqlalchemy import func, select

from agent.errors import ConfigurationError
from agent.messages import InboundMessage
from agent.models import Order, Product
from agent.settings import DEMO_SHOP_DIR, Settings
from channels.odoo_livechat.quotations import queue_new_orders
from salesagent.runtime import Runtime

SAN_FRANCISCO = {
    # Odoo's demo company
    "id": 1,
    "name": "My Company (San Francisco)",
    "street": "250 Executive Park Blvd, Suite 3400",
    "street2": False,
    "city": "San Francisco",
    "phone": "+1 555-555-5556",
    "email": "info@yourcompany.com",
    "website": "http://www.example.com",
    "currency": "USD",
    "lang": "en_US",
}


@pytest.fixture
def own_company_file(tmp_path: Path) -> Path:
    """The shop's own company file (hours, payment, shipping...): the demo's, in dollars."""
    path = tmp_path / "company.yaml"
    demo = (DEMO_SHOP_DIR / "company.yaml").read_text(encoding="utf-8")
    dollars = demo.replace("currency: COP", "currency: USD")
    for pesos, usd in (("8000", "8"), ("300000", "300"), ("15000", "15"), ("500000", "500")):
        dollars = dollars.replace(f": {pesos}\n", f": {usd}\n")
    path.write_text(dollars, encoding="utf-8")
    return path


@pytest.fixture
async def shop(
    settings: Settings, odoo: FakeOdoo, own_company_file: Path
) -> AsyncIterator[Runtime]:
    odoo.data.company = dict(SAN_FRANCISCO)
    odoo.data.products.append(
        {
            "id": odoo.data.new_id(),
            "name": "Customizable Desk",
            "attribute_values": ["Steel", "White"],
            "list_price": 750.0,
            "price_extra": 50.40,
            "default_code": "FURN_0096",
            "qty_available": 8.0,
            "categ_id": [8, "All / Saleable / Office Furniture"],
            "description_sale": False,
            "active": True,
            "sale_ok": True,
        }
    )
    runtime = await Runtime.start(
        with_odoo(
            settings,
            odoo,
            odoo_shop=True,
            odoo_push_orders=True,
            odoo_sync_products_minutes=60,
            company_file=own_company_file,
        )
    )
    yield runtime
    await runtime.close()


async def say(runtime: Runtime, chat: str, text: str) -> str:
    result = await runtime.engine.handle(
        InboundMessage(
            channel="web", external_message_id=uuid.uuid4().hex, external_chat_id=chat, text=text
        )
    )
    return result.reply


async def test_the_shop_is_odoo_company_with_no_demo(shop: Runtime, odoo: FakeOdoo) -> None:
    async with shop.sessions() as session:  # before the first sync: no product at all
        assert await session.scalar(select(func.count()).select_from(Product)) == 0
    assert (shop.settings.shop_name, shop.settings.currency) == (
        "My Company (San Francisco)",
        "USD",
    )
    assert shop.settings.default_language == "en"
    company = shop.company
    assert (company.name, company.address, company.city, company.phone, company.email) == (
        "My Company (San Francisco)",
        "250 Executive Park Blvd, Suite 3400",
        "San Francisco",
        "+1 555-555-5556",
        "info@yourcompany.com",
    )
    assert shop.odoo is not None
    await shop.odoo.sync_products()
    chat = f"web-{uuid.uuid4().hex[:8]}"
    greeting = await say(shop, chat, "hello")
    assert "My Company (San Francisco)" in greeting and "(office furniture...)" in greeting
    assert "extinguishers" not in greeting
    assert "+1 555-555-5556" in await say(shop, chat, "what is your phone number?")
    assert '"Customizable Desk (Steel, White)"' in await say(shop, chat, "blorp")


async def test_a_usd_price_round_trips_to_the_quotation(shop: Runtime, odoo: FakeOdoo) -> None:
    assert shop.odoo is not None
    await shop.odoo.sync_products()
    chat = f"web-{uuid.uuid4().hex[:8]}"
    answer = await say(shop, chat, "how much is the Customizable Desk (Steel, White)?")
    assert "$800.40" in answer, answer
    answer = await say(shop, chat, "¿cuánto vale el escritorio?")
    assert "US$800,40" in answer, answer

    for text in [
        "quiero 2 Customizable Desk (Steel, White)",
        "eso es todo",
        "1088123456",
        "Ana María Ríos",
        "3104567890",
        "Calle 20 # 8-15, Pereira",
        "sí",
    ]:
        answer = await say(shop, chat, text)
    assert "US$1.600,80" in answer, answer
    async with shop.sessions() as session:
        order = await session.scalar(select(Order).order_by(Order.id.desc()))
    assert order is not None and (order.currency, order.total) == ("USD", Decimal("1600.80"))

    await queue_new_orders(shop.sessions)
    await shop.dispatcher.deliver_due()
    (line,) = odoo.lines_of(odoo.data.orders[-1])
    assert (line["price_unit"], line["product_uom_qty"]) == (800.40, 2)


async def test_the_demo_company_file_is_refused(settings: Settings, odoo: FakeOdoo) -> None:
    with pytest.raises(ConfigurationError, match="COMPANY_FILE") as refused:
        await Runtime.start(with_odoo(settings, odoo, odoo_shop=True))
    assert "ODOO_SHOP" in str(refused.value)


async def test_a_company_file_in_another_currency_is_refused(
    settings: Settings, odoo: FakeOdoo, tmp_path: Path
) -> None:
    odoo.data.company = dict(SAN_FRANCISCO)
    pesos = tmp_path / "company.yaml"
    shutil.copy(DEMO_SHOP_DIR / "company.yaml", pesos)  # its shipping amounts are in COP
    with pytest.raises(ConfigurationError) as refused:
        await Runtime.start(with_odoo(settings, odoo, odoo_shop=True, company_file=pesos))
    assert str(refused.value) == (
        f"the company file {pesos} gives its shipping amounts in COP but the shop sells in "
        "USD: write them in USD and set `currency: USD` in it"
    )


async def test_shipping_reads_in_the_shop_currency(shop: Runtime, odoo: FakeOdoo) -> None:
    answer = await say(shop, f"web-{uuid.uuid4().hex[:8]}", "¿cuánto cuesta el envío a Pereira?")
    assert "US$8,00" in answer and "8.000" not in answer, answer


async def sync_office_furniture(
    shop: Runtime, odoo: FakeOdoo, *products: tuple[str, str, float]
) -> None:
    """Odoo holds these (name, reference, price) in its one big category, and the shop syncs."""
    for name, code, price in products:
        odoo.data.products.append(
            {
                "id": odoo.data.new_id(),
                "name": name,
                "default_code": code,
                "list_price": price,
                "qty_available": 5.0,
                "categ_id": [8, "All / Saleable / Office Furniture"],
                "description_sale": False,
                "active": True,
                "sale_ok": True,
            }
        )
    assert shop.odoo is not None
    await shop.odoo.sync_products()


async def test_a_word_for_a_few_products_of_the_one_big_category_lists_those(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    # Odoo's demo furniture is all in "Office Furniture": "gabinetes" names two of it.
    await sync_office_furniture(
        shop,
        odoo,
        ("Large Cabinet", "E-COM07", 320.0),
        ("Cabinet with Doors", "E-COM11", 140.0),
        ("Office Chair Black", "FURN_0269", 120.5),
        ("Office Lamp", "FURN_8888", 40.0),
        ("Corner Desk Right Sit", "E-COM06", 147.0),
    )
    answer = await say(shop, f"web-{uuid.uuid4().hex[:8]}", "¿tienen gabinetes?")
    assert "Large Cabinet" in answer and "Cabinet with Doors" in answer, answer
    assert "Office Chair" not in answer and "Office Lamp" not in answer, answer


@pytest.mark.parametrize("question", ["¿tienen escritorios?", "do you have desks?"])
async def test_an_english_name_is_what_its_last_word_says(
    shop: Runtime, odoo: FakeOdoo, question: str
) -> None:
    # Odoo's demo desks: "Desk Pad" is a pad, "Customizable Desk" a desk (issue 16), in the
    # search and in the reader's words alike.
    await sync_office_furniture(
        shop,
        odoo,
        ("Desk Pad", "FURN_0001", 12.0),
        ("Desk Organizer", "FURN_0002", 22.0),
        ("Desk Combination", "FURN_7800", 450.0),
        ("Four Person Desk", "FURN_8220", 2350.0),
        ("Large Desk (Wood)", "FURN_6665", 1799.0),
    )
    assert shop.settings.catalog_language == "en"  # the Odoo company's
    answer = await say(shop, f"web-{uuid.uuid4().hex[:8]}", question)
    desks = [answer.find(n) for n in ("Customizable Desk", "Four Person Desk", "Large Desk")]
    others = [answer.find(n) for n in ("Desk Pad", "Desk Organizer", "Desk Combination")]
    assert min(desks) >= 0 and all(o < 0 or o > max(desks) for o in others), answer
