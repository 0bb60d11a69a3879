"""A manager exports the sales from the console in a real browser (Debian's chromium driven by
Playwright) and the downloaded file opens with the csv module: BOM, header, every order line of
the database, accents intact. Screenshots go to `test-output/` in the checkout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fixtures.browser import fill_login, page_errors, screenshot
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, serving
from playwright.async_api import Browser, expect
from sales_rows import sales_in_csv, sales_in_database

from agent.models import StaffRole
from agent.settings import Settings

HEADER = "order_id,order_date,order_status,channel,customer_national_id,customer_name,city,sku"


@pytest.fixture
async def live(demo_settings: Settings, tmp_path: Path) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(update={"storage_local_dir": tmp_path / "files"})
    async with serving(settings) as running:
        await add_staff(running.runtime, "marta", StaffRole.MANAGER)
        yield running


async def test_a_manager_exports_the_sales_and_downloads_a_csv_a_spreadsheet_opens(
    live: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    context = await browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="es-CO", accept_downloads=True
    )
    page = await context.new_page()
    errors = page_errors(page)

    await page.goto(live.url + "/console/login")
    await fill_login(page, "marta")
    await page.get_by_role("link", name="Informes").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Informes")
    await expect(page.locator("#export-jobs")).to_contain_text("Aún no se ha pedido")

    await page.get_by_role("button", name="Exportar ventas").click()
    row = page.locator("#export-jobs tbody tr").first
    link = row.get_by_role("link", name="Descargar")
    await expect(link).to_be_visible(timeout=30_000)
    await expect(row.locator(".status")).to_have_text("Listo")
    await screenshot(page, "exports-1-sales-ready")

    async with page.expect_download() as started:
        await link.click()
    download = await started.value
    assert download.suggested_filename.startswith("sales_")
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)

    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    expected = await sales_in_database(live.runtime.sessions)
    assert sales_in_csv(data) == expected
    accented = [name for *_, name in expected if any(ch in name for ch in "áéíóúñÁÉÍÓÚÑ")]
    assert accented, "the demo shop has customers with accents"
    assert accented[0] in data.decode("utf-8")
    await expect(row.locator(".rows")).to_have_text(str(len(expected)))
    assert errors == []
    await context.close()
