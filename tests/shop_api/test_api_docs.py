"""The API's documentation pages in a real browser (Debian's chromium driven by Playwright): they
render the operations with every file served by the shop's own server, none from the internet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fixtures.browser import page_errors, screenshot
from fixtures.live_server import LiveServer, serving
from playwright.async_api import Browser, Page, Route, expect

from agent.settings import Settings


@pytest.fixture
async def server(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as live:
        yield live


async def offline_page(browser: Browser, server: LiveServer) -> tuple[Page, list[str]]:
    """A page that lets requests reach only `server`, and the other addresses it asked for."""
    page = await browser.new_page()
    elsewhere: list[str] = []

    async def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(server.url + "/") or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            elsewhere.append(url)
            await route.abort()

    await page.route("**/*", only_local)
    return page, elsewhere


async def test_swagger_ui_shows_the_operations_with_no_request_leaving_the_machine(
    server: LiveServer, browser: Browser
) -> None:
    page, elsewhere = await offline_page(browser, server)
    errors = page_errors(page)

    await page.goto(server.url + "/docs")

    await expect(page.locator(".info .title")).to_contain_text("salesagent")
    chat = page.locator(".opblock-post", has_text="/chat/text")
    await expect(chat).to_be_visible()
    await chat.locator(".opblock-summary").click()
    await expect(chat.get_by_role("button", name="Try it out")).to_be_visible()
    assert await page.locator(".opblock").count() > 10
    await screenshot(page, "docs-swagger-offline", full_page=False)
    assert elsewhere == []
    assert errors == []


async def test_redoc_shows_the_operations_with_no_request_leaving_the_machine(
    server: LiveServer, browser: Browser
) -> None:
    page, elsewhere = await offline_page(browser, server)
    errors = page_errors(page)

    await page.goto(server.url + "/redoc")

    await expect(page.get_by_role("heading", level=1)).to_contain_text("salesagent", timeout=30_000)
    await expect(page.locator("[role=menuitem]").first).to_be_visible()
    assert await page.locator("[role=menuitem]").count() > 10
    await expect(page.get_by_text("/chat/text").first).to_be_attached()
    await screenshot(page, "docs-redoc-offline", full_page=False)
    assert elsewhere == []
    assert errors == []


async def test_the_viewers_files_come_from_the_package_and_nothing_else_does(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        script = await http.get("/docs/static/swagger-ui-bundle.js")
        missing = await http.get("/docs/static/..%2Fapi_docs%2F__init__.py")

    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    assert missing.status_code == 404
