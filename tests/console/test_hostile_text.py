"""Markup in what customers, staff and the shop wrote is shown as text on every console page.

A customer named `<script>alert(1)</script>"><img src=x onerror=alert(1)>`, writing from a chat
with that id, a staff member and a shop with such names, and a product with `&` in its name:
each page that shows them is read back over real HTTP and parsed as a browser parses it, and the
conversation's page is opened in chromium to see that no alert fires.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fixtures.browser import fill_login, page_errors
from fixtures.console_login import add_staff, csrf_of, log_in
from fixtures.hostile_text import HOSTILE, PRODUCT, assert_shown_as_text
from fixtures.live_server import LiveServer, serving
from playwright.async_api import Browser, Dialog, expect
from sqlalchemy import select

from agent.models import Conversation, Customer, Product, StaffRole
from agent.settings import Settings

SHOP = f"Ferretería {HOSTILE}"
STAFF = f"Ana {HOSTILE}"
CUSTOMER = f"Laura {HOSTILE}"
CHAT = f"c-{HOSTILE}"


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(update={"shop_name": SHOP})
    async with serving(settings) as running:
        await add_staff(running.runtime, "ana", role=StaffRole.MANAGER, name=STAFF)
        async with running.runtime.sessions() as session:
            boots = await session.scalar(  # the demo shop's first safety boot: size 37
                select(Product).where(Product.name.ilike("bota%")).order_by(Product.id).limit(1)
            )
            assert boots is not None
            boots.name = PRODUCT
            await session.commit()
        yield running


@pytest.fixture
async def conversation(live: LiveServer) -> int:
    """The hostile customer put two boots in the cart, then asked for a person; its id."""
    said = ("quiero 2 botas talla 37", f"quiero hablar con un asesor {HOSTILE}")
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        for text in said:
            answer = await http.post("/chat/text", json={"chat_id": CHAT, "message": text})
            answer.raise_for_status()
    async with live.runtime.sessions() as session:
        customer = Customer(national_id="1088000111", name=CUSTOMER, city=HOSTILE)
        session.add(customer)
        await session.flush()
        found = await session.scalar(
            select(Conversation).where(Conversation.external_chat_id == CHAT)
        )
        assert found is not None
        found.customer_id = customer.id
        await session.commit()
        return found.id


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        await log_in(http, "ana")
        yield http


async def test_the_list_shows_the_names_as_text(
    client: httpx.AsyncClient, conversation: int
) -> None:
    page = await client.get("/console", params={"estado": "all"})
    fragment = await client.get("/console/list", params={"estado": "all"})

    assert_shown_as_text(page.text, f"Consola · {SHOP}", STAFF, CUSTOMER)
    assert_shown_as_text(fragment.text, CUSTOMER, CHAT)


async def test_the_conversation_shows_the_customer_thread_and_cart_as_text(
    client: httpx.AsyncClient, conversation: int
) -> None:
    page = await client.get(f"/console/conversations/{conversation}")
    live = await client.get(f"/console/conversations/{conversation}/live")

    assert_shown_as_text(page.text, f"{CUSTOMER} · Consola", f"Consola · {SHOP}", CUSTOMER)
    assert_shown_as_text(
        live.text,
        CUSTOMER,  # the heading and the customer's card
        f"quiero hablar con un asesor {HOSTILE}",  # the thread
        PRODUCT,  # the cart
        f"Ciudad{HOSTILE}",  # the customer's card: a field, then its value
        f"Chat{CHAT}",
    )


async def test_the_reports_show_the_chat_and_the_staff_member_as_text(
    client: httpx.AsyncClient, conversation: int
) -> None:
    taken = await client.post(
        f"/console/conversations/{conversation}/take",
        headers={"x-csrf-token": await csrf_of(client), "accept": "application/json"},
    )
    assert taken.status_code == 200

    page = await client.get("/console/reports")

    assert_shown_as_text(page.text, f"Consola · {SHOP}", CHAT, STAFF)


async def test_the_dashboard_shows_the_shop_and_the_staff_member_as_text(
    client: httpx.AsyncClient, conversation: int
) -> None:
    page = await client.get("/console/dashboard")

    assert page.status_code == 200
    assert_shown_as_text(page.text, f"Consola · {SHOP}", STAFF)


async def test_the_assistant_shows_the_question_and_the_customer_as_text(
    client: httpx.AsyncClient, conversation: int
) -> None:
    question = f"¿quién espera un asesor? {HOSTILE}"
    page = await client.get("/console/assistant", params={"q": question})
    asked = await client.post(
        "/console/assistant/ask",
        data={"question": question},
        headers={"x-csrf-token": await csrf_of(client)},
    )

    assert page.status_code == 200
    assert_shown_as_text(page.text, f"Consola · {SHOP}", STAFF, CUSTOMER)
    assert f'value="{question}"' not in page.text  # the question is put back escaped
    assert asked.json()["answer"]["rows"][0][2] == CUSTOMER  # JSON, set as text by the script


async def test_no_alert_fires_in_a_browser_on_the_conversation_page(
    live: LiveServer, conversation: int, browser: Browser
) -> None:
    context = await browser.new_context(locale="es-CO")
    page = await context.new_page()
    dialogs: list[str] = []

    async def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    errors = page_errors(page)

    await page.goto(f"{live.url}/console/conversations/{conversation}")
    await fill_login(page, "ana")
    await expect(page).to_have_title(f"{CUSTOMER} · Consola")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(CUSTOMER)
    await expect(page.locator(".brand")).to_have_text(f"Consola · {SHOP}")
    await expect(page.locator("table.cart")).to_contain_text(PRODUCT)
    await expect(page.locator(".msg-in").last).to_contain_text(HOSTILE)
    await expect(page.locator("#live-state")).to_have_text("En vivo")

    assert await page.locator("img").count() == 0
    assert dialogs == [] and errors == []
    await context.close()
