"""A live server for the console's tests: the app under uvicorn, staff accounts, a logged-in
client (httpx, cookies kept) that reads the CSRF token off the pages it loads."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from agent.app import create_app
from agent.models import Staff, StaffRole
from agent.runtime import Runtime
from agent.settings import Settings
from agent.staff import create_staff

PASSWORD = "una-clave-bien-larga"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Live:
    """A running app and its runtime."""

    url: str
    app: FastAPI

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Live]:
    """Serve the app as `salesagent serve` does (proxy headers per settings)."""
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await task


async def add_account(
    runtime: Runtime, username: str, role: StaffRole = StaffRole.AGENT, name: str | None = None
) -> Staff:
    """A staff account with PASSWORD, made as `salesagent staff create` makes it."""
    async with runtime.sessions() as session:
        return await create_staff(
            session, username=username, name=name or username.title(), role=role, password=PASSWORD
        )


async def login_form(client: httpx.AsyncClient) -> str:
    """Load the login form; its CSRF token."""
    page = await client.get("/console/login")
    page.raise_for_status()
    found = LOGIN_CSRF.search(page.text)
    assert found is not None
    return found.group(1)


async def log_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Post the login form as a browser would."""
    token = await login_form(client)
    return await client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
    )


async def csrf_of(client: httpx.AsyncClient, path: str = "/console") -> str:
    """The session's CSRF token, read off a page."""
    page = await client.get(path)
    found = CSRF.search(page.text)
    assert found is not None and found.group(1)
    return found.group(1)
