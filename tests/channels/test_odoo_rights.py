"""`salesagent odoo status`: a wrong address, database, key or a missing right in one sentence.

Against the local server speaking Odoo 19 (JSON-2) and Odoo 18 (JSON-RPC) wire formats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from fixtures.cli_process import cli_env, salesagent
from fixtures.odoo_server import API_KEY, DATABASE, LOGIN, FakeOdoo, with_odoo
from pydantic import SecretStr

from agent.settings import Settings
from channels.odoo_livechat.client import OdooClient
from channels.odoo_livechat.config import OdooConfig
from channels.odoo_livechat.rights import check_odoo
from salesagent.runtime import Runtime

ALL_RIGHT = "the key works and the agent's user has every right it needs."


async def sentence(settings: Settings, *, leads: bool = False) -> tuple[bool, str]:
    client = OdooClient(OdooConfig.from_settings(settings))
    try:
        checked = await check_odoo(client, leads=leads)
    finally:
        await client.close()
    return checked.ok, checked.sentence


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"odoo_api_key": SecretStr("not-the-key")}, "refused the agent's key on 'tienda': "
         "check ODOO_API_KEY."),
        ({"odoo_db": "tiendita"}, "has no database 'tiendita': check ODOO_DB."),
        ({"denied": {("res.partner", "create")}}, "The agent's Odoo user on 'tienda' cannot "
         "create contacts (Contact Creation): give it those rights in Odoo (Settings → Users)."),
        ({"denied": {("sale.order", "create"), ("discuss.channel", "read")}}, "cannot create "
         "quotations (Sales: User) or read livechat sessions (Live Chat: Administrator)"),
        ({"down": True}, "does not answer"),
    ],
    ids=["key", "database", "contacts", "sales-and-livechat", "down"],
)  # fmt: skip
async def test_each_failure_is_said_in_one_sentence_then_the_fix_shows(
    settings: Settings, odoo: FakeOdoo, change: dict[str, Any], said: str
) -> None:
    change = dict(change)
    odoo.data.denied = set(change.pop("denied", ()))
    if change.pop("down", False):
        odoo.down()
    broken = with_odoo(settings, odoo, **change)

    ok, text = await sentence(broken)
    assert not ok and said in text and text.count(". ") == 0, text

    odoo.data.denied = set()
    if odoo._server is None:
        odoo.up()
    ok, text = await sentence(with_odoo(settings, odoo))
    assert ok and text.endswith(ALL_RIGHT), text
    assert f"Odoo {odoo.version} at {odoo.url}, database 'tienda'" in text


async def test_a_shop_without_the_stock_app_is_all_right(
    settings: Settings, odoo: FakeOdoo
) -> None:
    odoo.data.stock_app = False
    ok, text = await sentence(with_odoo(settings, odoo))
    assert ok and text.endswith(ALL_RIGHT)


@pytest.mark.parametrize(
    ("denied", "said"),
    [
        ({("crm.lead", "write")}, "cannot update CRM leads (Sales: User): give it those rights"),
        (
            {("crm.lead", "read"), ("crm.lead", "create")},
            "cannot read CRM leads (Sales: User) or create CRM leads (Sales: User)",
        ),
    ],
    ids=["write", "read-and-create"],
)
async def test_pushing_leads_needs_the_crm_leads_rights(
    settings: Settings, odoo: FakeOdoo, denied: set[tuple[str, str]], said: str
) -> None:
    odoo.data.denied = denied
    connected = with_odoo(settings, odoo)

    ok, text = await sentence(connected, leads=True)
    assert not ok and said in text and text.count(". ") == 0, text
    ok, text = await sentence(connected)  # without ODOO_PUSH_LEADS they are not needed
    assert ok and text.endswith(ALL_RIGHT)

    odoo.data.denied = set()
    ok, text = await sentence(connected, leads=True)
    assert ok and text.endswith(ALL_RIGHT)


async def test_pushing_leads_without_the_crm_app_says_to_install_it(
    settings: Settings, odoo: FakeOdoo
) -> None:
    odoo.data.crm_app = False
    ok, text = await sentence(with_odoo(settings, odoo), leads=True)
    assert not ok and text.endswith("lacks crm.lead (read CRM leads): install the app."), text


def test_salesagent_odoo_status_says_it_and_fails(tmp_path: Path, odoo: FakeOdoo) -> None:
    odoo.data.denied = {("res.partner", "create")}
    env = cli_env(
        f"sqlite:///{tmp_path / 'shop.db'}",
        drop=("DATABASE_", "ODOO_"),
        COLUMNS="200",
        AUTO_SEED_DEMO="false",
        ODOO_URL=odoo.url,
        ODOO_DB=DATABASE,
        ODOO_API_KEY=API_KEY,
        ODOO_USER=LOGIN,
    )
    done = salesagent(env, "odoo", "status")
    assert done.returncode == 1, done.stderr
    assert "cannot create contacts (Contact Creation)" in done.stdout

    odoo.data.denied = set()
    done = salesagent(env, "odoo", "status")
    assert done.returncode == 0, done.stderr
    assert ALL_RIGHT in done.stdout and "no order has been queued" in done.stdout

    odoo.data.denied = {("crm.lead", "create")}
    done = salesagent(env | {"ODOO_PUSH_LEADS": "true"}, "odoo", "status")
    assert done.returncode == 1, done.stderr
    assert "cannot create CRM leads (Sales: User)" in done.stdout


async def test_serving_says_it_in_its_log_at_start(
    demo_settings: Settings, odoo: FakeOdoo, caplog: pytest.LogCaptureFixture
) -> None:
    odoo.data.denied = {("sale.order", "create")}
    (said,) = await logged_at_start(with_odoo(demo_settings, odoo, odoo_push_orders=True), caplog)
    assert said.levelno == logging.WARNING
    assert "cannot create quotations (Sales: User)" in said.getMessage()


async def test_serving_says_when_odoo_sells_in_another_currency(
    demo_settings: Settings, odoo: FakeOdoo, caplog: pytest.LogCaptureFixture
) -> None:
    odoo.data.company["currency"] = "USD"
    settings = with_odoo(demo_settings, odoo, odoo_push_orders=True)
    checked, currency = await logged_at_start(settings, caplog)
    assert checked.levelno == logging.INFO and checked.getMessage().endswith(ALL_RIGHT)
    assert currency.levelno == logging.WARNING
    assert "Odoo's company sells in USD but CURRENCY is COP" in currency.getMessage()


async def logged_at_start(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> list[logging.LogRecord]:
    """What the Odoo work logs when it starts (once it has said it)."""
    runtime = await Runtime.start(settings)
    try:
        assert runtime.odoo is not None
        with caplog.at_level(logging.INFO, logger="channels.odoo_livechat.integration"):
            work = asyncio.create_task(runtime.odoo.run())
            for _ in range(100):  # the check logs all it says at once
                await asyncio.sleep(0.05)
                if said_by_odoo(caplog):
                    break
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
    finally:
        await runtime.close()
    return said_by_odoo(caplog)


def said_by_odoo(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "channels.odoo_livechat.integration"]
