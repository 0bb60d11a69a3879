"""The CSV reports of the demo shop (SQLite), with conversations held with the engine and edge
rows, written to local storage (and S3) and read back with the csv module against the database."""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import httpx
import pytest
from conftest import Chat
from report_data import (
    CARRIAGE_TEXT,
    DASH_PRODUCT,
    FORMULA_NAME,
    TRICKY_TEXT,
    EdgeRows,
    Talks,
    add_edge_rows,
    parse,
    read_back,
    talk,
)
from sqlalchemy import func, select

from agent.db import transaction
from agent.errors import InvalidInputError
from agent.models import (
    Conversation,
    Customer,
    Lead,
    LeadStatus,
    Message,
    Order,
    OrderLine,
    Product,
    StaffRole,
)
from agent.proposals import decisions
from agent.proposals.kinds import Refund
from agent.staff import create_staff
from exports.filters import ExportFilters
from exports.reports import (
    CSV_KINDS,
    check_filters,
    content_type,
    count_rows,
    file_name,
    write_report,
)
from salesagent.runtime import Runtime
from storage.local import LocalStorage
from storage.s3 import S3Storage

TZ = "America/Bogota"


@pytest.fixture
async def shop(runtime: Runtime) -> tuple[Runtime, Talks, EdgeRows]:
    """The demo shop after three conversations and the edge rows."""
    talks = await talk(runtime)
    edges = await add_edge_rows(runtime.sessions)
    return runtime, talks, edges


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    """A local store in the test's folder."""
    return LocalStorage(tmp_path / "files", None, None)


async def export(
    runtime: Runtime, storage: LocalStorage, kind: str, filters: ExportFilters | None = None
) -> tuple[list[dict[str, str]], bytes]:
    """Write a CSV report and read it back."""
    key = f"exports/{kind}.csv"
    result = await write_report(
        kind, filters or ExportFilters(), db=runtime.db, storage=storage, key=key, timezone=TZ
    )
    data = await read_back(storage, key)
    rows = parse(data)
    assert result.rows == len(rows) and result.size == len(data)
    return rows, data


async def test_sales_rows_are_the_order_lines_with_their_orders(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, talks, edges = shop
    rows, data = await export(runtime, local, "sales")

    async with runtime.sessions() as session:
        lines = (await session.execute(select(OrderLine, Order).join(Order))).all()
        order_totals = await session.scalar(select(func.sum(Order.total)))
    assert len(rows) == len(lines) > 40
    assert {(int(r["order_id"]), r["sku"], int(r["quantity"]), r["line_total"]) for r in rows} == {
        (order.id, line.sku, line.quantity, f"{line.line_total:.2f}") for line, order in lines
    }
    # Every order's lines add up to its total, and all lines to all orders.
    per_order: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        per_order[row["order_id"]] += Decimal(row["line_total"])
    assert all(Decimal(r["order_total"]) == per_order[r["order_id"]] for r in rows)
    assert sum(per_order.values()) == order_totals

    bought = [r for r in rows if int(r["order_id"]) == talks.order_id]
    assert [(r["channel"], r["customer_name"], r["sku"], r["quantity"]) for r in bought] == [
        ("web", "José Peña Ñandú", "EXT-PQS-10", "2")
    ]
    late = [r for r in rows if int(r["order_id"]) == edges.formula_order]
    assert late[0]["customer_name"] == "'" + FORMULA_NAME
    assert late[0]["product_name"] == "'" + DASH_PRODUCT
    assert late[0]["unit_price"] == "12345.50" and late[0]["order_total"] == "109691.00"
    assert late[0]["order_date"] == "2026-03-10T23:30:00-05:00"
    assert late[0]["odoo_ref"] == "S00042" and late[0]["city"] == "Medellín"
    # The bytes: UTF-8 accents, the quote-doubled formula, LF line ends.
    assert "Peña Ñandú".encode() in data and b'"\'=HYPERLINK(""http' in data
    assert b"\r\n" not in data


async def test_sales_filters_by_local_days_channel_and_state(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, _, edges = shop

    async def orders(**given: str) -> set[int]:
        rows, _ = await export(runtime, local, "sales", ExportFilters.from_json(given))
        return {int(r["order_id"]) for r in rows}

    # 23:30 in Bogotá on the 10th is the 11th in UTC, and belongs to the 10th.
    assert await orders(**{"from": "2026-03-10", "to": "2026-03-10"}) == {edges.formula_order}
    assert await orders(**{"from": "2026-03-11", "to": "2026-03-11"}) == {edges.cancelled_order}
    assert await orders(**{"from": "2026-03-10", "to": "2026-03-11", "channel": "telegram"}) == {
        edges.cancelled_order
    }
    assert await orders(state="cancelled") == {edges.cancelled_order}
    async with runtime.sessions() as session:
        on_whatsapp = set(
            await session.scalars(select(Order.id).where(Order.channel == "whatsapp"))
        )
        since = datetime(2026, 1, 1, 5, tzinfo=UTC)
        this_year = set(await session.scalars(select(Order.id).where(Order.created_at >= since)))
    assert await orders(channel="whatsapp") == on_whatsapp
    assert await orders(**{"from": "2026-01-01"}) == this_year
    total = await count_rows("sales", ExportFilters(channel="whatsapp"), db=runtime.db, timezone=TZ)
    rows, _ = await export(runtime, local, "sales", ExportFilters(channel="whatsapp"))
    assert total == len(rows)


async def test_conversations_say_what_came_of_each(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, talks, edges = shop
    rows, _ = await export(runtime, local, "conversations")
    by_chat = {r["external_chat_id"]: r for r in rows}
    async with runtime.sessions() as session:
        assert len(rows) == await session.scalar(select(func.count()).select_from(Conversation))
        messages = dict(
            (
                await session.execute(
                    select(Message.conversation_id, func.count()).group_by(Message.conversation_id)
                )
            ).all()
        )

    buyer = by_chat[talks.buyer]
    assert buyer["outcome"] == "ordered" and int(buyer["order_id"]) == talks.order_id
    assert buyer["order_total"] == "170000.00" and buyer["channel"] == "web"
    assert buyer["customer_name"] == "José Peña Ñandú" and buyer["handoff"] == "no"
    assert "purchase.add" in buyer["intents"].split("|")
    cart = by_chat[talks.open_cart]
    assert (cart["outcome"], cart["channel"], cart["order_id"]) == ("open_cart", "whatsapp", "")
    person = by_chat[talks.handoff]
    assert (person["handoff"], person["handoff_reason"]) == ("yes", "customer_request")
    assert person["owner"] == "waiting_human" and person["outcome"] == "no_cart"
    tricky = next(r for r in rows if int(r["conversation_id"]) == edges.tricky_conversation)
    assert tricky["intents"] == "inventory.search|purchase.add"
    assert tricky["contact_name"] == '\'@Ñandú "el jefe"'
    assert (tricky["messages_in"], tricky["messages_out"]) == ("3", "1")
    assert tricky["first_message_at"] == "2026-03-10T23:30:00-05:00"
    for row in rows:
        total = int(row["messages_in"]) + int(row["messages_out"])
        assert total == messages.get(int(row["conversation_id"]), 0)

    ordered, _ = await export(runtime, local, "conversations", ExportFilters(state="ordered"))
    assert [r["external_chat_id"] for r in ordered] == [talks.buyer]
    march, _ = await export(
        runtime, local, "conversations", ExportFilters(date_from=date(2026, 3, 10))
    )
    assert {r["external_chat_id"] for r in march} == set(by_chat)
    on_the_day, _ = await export(
        runtime,
        local,
        "conversations",
        ExportFilters(date_from=date(2026, 3, 10), date_to=date(2026, 3, 10), channel="telegram"),
    )
    assert [int(r["conversation_id"]) for r in on_the_day] == [edges.tricky_conversation]


async def test_messages_keep_quotes_commas_and_line_breaks(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, _, edges = shop
    rows, _ = await export(runtime, local, "messages")
    async with runtime.sessions() as session:
        stored = list(await session.scalars(select(Message.text).order_by(Message.id)))
    assert len(rows) == len(stored)
    tricky = [r for r in rows if int(r["conversation_id"]) == edges.tricky_conversation]
    assert [r["text"] for r in tricky] == [TRICKY_TEXT, "'@todos +57 300", "", "'" + CARRIAGE_TEXT]
    assert [r["direction"] for r in tricky] == ["in", "in", "out", "in"]
    assert (tricky[0]["confidence"], tricky[0]["latency_ms"]) == ("0.877", "12.3")
    assert tricky[0]["time"] == "2026-03-10T23:30:00-05:00"
    web, _ = await export(runtime, local, "messages", ExportFilters(channel="web"))
    assert {r["channel"] for r in web} == {"web"} and len(web) == 16  # 8 turns, 8 replies


async def test_inventory_and_customers_match_the_database(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, _, _ = shop
    products, _ = await export(runtime, local, "inventory")
    customers, _ = await export(runtime, local, "customers")
    async with runtime.sessions() as session:
        catalog = {p.sku: p for p in await session.scalars(select(Product))}
        people = {c.national_id: c for c in await session.scalars(select(Customer))}
        spent = dict(
            (
                await session.execute(
                    select(Order.customer_id, func.sum(Order.total))
                    .where(Order.status != "cancelled")
                    .group_by(Order.customer_id)
                )
            ).all()
        )
    assert {r["sku"] for r in products} == set(catalog)
    for row in products:
        product = catalog[row["sku"]]
        assert row["price"] == ("" if product.price is None else f"{product.price:.2f}")
        assert int(row["stock"]) == product.stock
        assert row["active"] == ("yes" if product.active else "no")
    assert next(r for r in products if r["sku"] == "NEG-1")["name"] == "'" + DASH_PRODUCT
    assert {r["national_id"] for r in customers} == set(people)
    for row in customers:
        customer = people[row["national_id"]]
        assert Decimal(row["total_spent"]) == spent.get(customer.id, Decimal(0))
    assert next(r for r in customers if r["national_id"] == "52987654")["orders"] == "0"
    formula = next(r for r in customers if r["national_id"] == "900123456")
    assert formula["name"] == "'" + FORMULA_NAME
    assert (formula["orders"], formula["total_spent"]) == ("1", "109691.00")
    assert formula["last_order_at"] == "2026-03-10T23:30:00-05:00"


async def test_leads_hold_who_what_how_much_and_the_staffs_outcome(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, _, edges = shop
    caller = Chat(runtime, "lead-call", channel="whatsapp")
    await caller.say("¿me pueden llamar al 310 555 1234? es para cotizar cascos")
    async with runtime.sessions() as session, session.begin():
        called = await session.scalar(
            select(Lead).join(Conversation).where(Conversation.external_chat_id == "lead-call")
        )
        assert called is not None
        called.status, called.reason = LeadStatus.LOST, "Compró en otra tienda"

    rows, _ = await export(runtime, local, "leads")
    assert [row["kind"] for row in rows] == ["wholesale", "quote_request"]
    tricky, quote = rows
    assert int(tricky["conversation_id"]) == edges.tricky_conversation
    assert tricky["created_at"] == "2026-03-10T23:30:00-05:00"
    assert tricky["company"] == '\'=Ñandú, "Hermanos" S.A.S'  # never read as a formula
    assert tricky["summary"] == TRICKY_TEXT and tricky["next_step"] == 'Llamar, y "cotizar"\nhoy'
    assert (tricky["amount"], tricky["priority"], tricky["confidence"]) == (
        "740730.00",
        "1",
        "0.850",
    )
    assert json.loads(tricky["items"])[0]["quantity"] == 60
    assert json.loads(tricky["missing"]) == ["phone"]
    assert (quote["channel"], quote["phone"], quote["status"]) == ("whatsapp", "3105551234", "lost")
    assert quote["reason"] == "Compró en otra tienda"
    assert quote["customer_national_id"] == "" and quote["external_chat_id"] == "lead-call"

    lost, _ = await export(runtime, local, "leads", ExportFilters(state="lost"))
    on_telegram, _ = await export(runtime, local, "leads", ExportFilters(channel="telegram"))
    in_march, _ = await export(
        runtime,
        local,
        "leads",
        ExportFilters(date_from=date(2026, 3, 10), date_to=date(2026, 3, 10)),
    )
    assert [r["lead_id"] for r in lost] == [quote["lead_id"]]
    assert [r["lead_id"] for r in on_telegram] == [tricky["lead_id"]]
    assert [r["lead_id"] for r in in_march] == [tricky["lead_id"]]


async def test_full_report_is_a_zip_of_the_five_csvs(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, _, _ = shop
    seen: list[int] = []
    result = await write_report(
        "full",
        ExportFilters(),
        db=runtime.db,
        storage=local,
        key="exports/full.zip",
        timezone=TZ,
        progress=seen.append,
    )
    archive = zipfile.ZipFile(io.BytesIO(await read_back(local, "exports/full.zip")))
    assert archive.namelist() == [f"{kind}.csv" for kind in CSV_KINDS]
    total = 0
    for kind in CSV_KINDS:
        inside = archive.read(f"{kind}.csv")
        alone, data = await export(runtime, local, kind)
        assert inside == data
        total += len(alone)
    assert result.rows == total == seen[-1]
    assert seen == sorted(seen)
    assert await count_rows("full", ExportFilters(), db=runtime.db, timezone=TZ) == total


async def test_the_same_report_in_s3_downloads_byte_for_byte(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage, s3_server: str
) -> None:
    runtime, _, _ = shop
    bucket = "reports-test"
    boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)
    s3 = S3Storage(
        bucket=bucket,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
        endpoint_url=s3_server,
    )
    await s3.start()
    try:
        await write_report(
            "sales", ExportFilters(), db=runtime.db, storage=s3, key="exports/s.csv", timezone=TZ
        )
        link = await s3.url("exports/s.csv", expires_in=300, filename="ventas.csv")
    finally:
        await s3.close()
    _, local_bytes = await export(runtime, local, "sales")
    async with httpx.AsyncClient() as client:
        response = await client.get(link)
    assert response.status_code == 200
    assert response.content == local_bytes


@pytest.mark.parametrize(
    ("kind", "given", "field"),
    [
        ("orders", {}, "kind"),
        ("sales", {"from": "2026-03-11", "to": "2026-03-10"}, "from"),
        ("sales", {"from": "11/03/2026"}, "from"),
        ("inventory", {"from": "2026-03-10"}, "from"),
        ("customers", {"channel": "web"}, "channel"),
        ("messages", {"state": "ordered"}, "state"),
        ("full", {"state": "confirmed"}, "state"),
        ("conversations", {"state": "won"}, "state"),
        ("leads", {"state": "ordered"}, "state"),
        ("sales", {"channel": "web; drop table"}, "channel"),
        ("sales", {"state": "Confirmed!"}, "state"),
        ("sales", {"shop": "x"}, "shop"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(
    kind: str, given: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_filters(kind, ExportFilters.from_json(given))
    assert raised.value.field == field


def test_good_filters_pass_and_round_trip() -> None:
    filters = ExportFilters.from_json(
        {"from": "2026-11-01", "to": "2026-11-21", "channel": "whatsapp", "state": "confirmed"}
    )
    check_filters("sales", filters)
    check_filters("conversations", ExportFilters(state="abandoned_cart"))
    assert ExportFilters.from_json(filters.as_json()) == filters
    now = datetime(2026, 11, 22, 5, 31, tzinfo=UTC)
    assert file_name("sales", filters, now=now) == (
        "sales_2026-11-01_2026-11-21_whatsapp_confirmed_20261122T053100Z.csv"
    )
    assert file_name("full", ExportFilters(), now=now) == "full_20261122T053100Z.zip"
    assert content_type("full") == "application/zip"
    assert content_type("sales") == "text/csv; charset=utf-8"


async def test_a_returned_order_shows_as_refunded_with_its_amount(
    shop: tuple[Runtime, Talks, EdgeRows], local: LocalStorage
) -> None:
    runtime, _, _ = shop
    async with runtime.sessions() as session:
        marta = await create_staff(
            session,
            username="marta",
            name="Marta",
            role=StaffRole.MANAGER,
            password="una-clave-bien-larga",
        )
    async with transaction(runtime.sessions) as session:
        order = await session.scalar(select(Order).where(Order.status == "delivered").limit(1))
        assert order is not None
        first = order.lines[0]
        effect = Refund.effect(order, {first.id: first.quantity}, restock=True)
        proposal = await decisions.propose(
            session, None, Refund.name, effect, asked="", ttl=timedelta(minutes=5)
        )
        await decisions.approve(session, proposal.id, staff=marta, value="1000")
        customer = await session.get(Customer, order.customer_id)
        assert customer is not None
        kept = await session.scalar(
            select(func.sum(Order.total)).where(
                Order.customer_id == order.customer_id, Order.status != "cancelled"
            )
        )

    rows, _ = await export(runtime, local, "sales", ExportFilters(state="partially_refunded"))
    assert {(int(r["order_id"]), r["order_status"], r["order_refunded"]) for r in rows} == {
        (order.id, "partially_refunded", "1000.00")
    }
    others, _ = await export(runtime, local, "sales")
    assert {r["order_refunded"] for r in others if int(r["order_id"]) != order.id} == {"0.00"}
    customers, _ = await export(runtime, local, "customers")
    [row] = [r for r in customers if r["national_id"] == customer.national_id]
    assert Decimal(row["total_spent"]) == kept - 1000
