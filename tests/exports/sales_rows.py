"""What the export tests share: the app under uvicorn, a console login, and the sales rows the
database holds, to compare a downloaded CSV with."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.app import create_app
from agent.models import Customer, Order, OrderLine, StaffRole
from agent.runtime import Runtime
from agent.settings import Settings
from agent.staff import create_staff

BOM = b"\xef\xbb\xbf"
PASSWORD = "una-clave-bien-larga"
LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
PAGE_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')

SaleRow = tuple[int, str, int, Decimal, str]
"""order id, sku, quantity, line total, customer name."""


@dataclass(frozen=True, slots=True)
class Live:
    """A running app and its runtime."""

    url: str
    app: FastAPI

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Live]:
    """Serve the app on 127.0.0.1 until the block ends."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", server.config.app)
    finally:
        server.should_exit = True
        await task


async def add_staff(runtime: Runtime, username: str, role: StaffRole) -> None:
    """A console account with PASSWORD, as `salesagent staff create` makes it."""
    async with runtime.sessions() as session:
        await create_staff(
            session, username=username, name=username.title(), role=role, password=PASSWORD
        )


async def log_in(client: httpx.AsyncClient, username: str) -> str:
    """Log in to the console as a browser does; the session's CSRF token."""
    form = await client.get("/console/login")
    token = LOGIN_CSRF.search(form.text)
    assert token is not None
    done = await client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert done.status_code == 303, done.text
    page = await client.get("/console")
    csrf = PAGE_CSRF.search(page.text)
    assert csrf is not None
    return csrf.group(1)


async def sales_in_database(sessions: async_sessionmaker[AsyncSession]) -> list[SaleRow]:
    """Every order line, as the sales report should list it."""
    async with sessions() as session:
        rows = await session.execute(
            select(Order.id, OrderLine.sku, OrderLine.quantity, OrderLine.line_total, Customer.name)
            .join(Order, OrderLine.order_id == Order.id)
            .join(Customer, Order.customer_id == Customer.id)
            .order_by(Order.id, OrderLine.id)
        )
        return [(r[0], r[1], r[2], Decimal(r[3]), r[4]) for r in rows]


def sales_in_csv(data: bytes) -> list[SaleRow]:
    """The rows of a downloaded sales CSV (it must start with the UTF-8 BOM)."""
    assert data.startswith(BOM), data[:20]
    reader = csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline=""))
    return [
        (
            int(row["order_id"]),
            row["sku"],
            int(row["quantity"]),
            Decimal(row["line_total"]),
            row["customer_name"],
        )
        for row in reader
    ]
