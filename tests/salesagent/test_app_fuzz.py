"""Hostile input at every door of the app, over real HTTP: every route of the app (its path,
query and body parameters, found from the routes themselves), the chat's WebSocket frames, and
the signed webhooks of Twilio, Telegram and Odoo. Strings with NUL characters, lone surrogates,
right-to-left marks and a megabyte of text, and values of the wrong type: no answer may be a
500, and the server must still answer (and still answer a clean message) afterwards.

Bounded: one request per parameter and hostile value, on the demo shop under PostgreSQL (which
refuses a NUL in text; a lone surrogate breaks SQLite too, and the targeted tests run on both).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import make_settings
from fastapi.routing import APIRoute, iter_route_contexts
from fixtures.api_keys import new_key
from fixtures.live_server import LiveServer, serving
from fixtures.odoo_server import DATABASE, with_odoo
from fixtures.odoo_server import running as odoo_running
from fixtures.telegram_server import SECRET as TELEGRAM_SECRET
from fixtures.telegram_server import TOKEN, bot_api
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, twilio
from pydantic import BaseModel, SecretStr
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect

from channels.odoo_livechat import signing
from channels.telegram.adapter import WEBHOOK_PATH as TELEGRAM_PATH
from channels.whatsapp.adapter import INBOUND_PATH, STATUS_PATH

PUBLIC = "https://tienda.example"
ODOO_SECRET = "shared-secret-of-the-fuzz-0123456789"
MEGABYTE = "ñ" * 500_000
STRINGS = [
    "hola\x00mundo",
    "\x00",
    "hola\ud800",
    "\udfff",
    "\u202eodnum aloh\u202c \u200f",
    "١٢٣ \u061c",
    " ",
    "../../etc/passwd",
    "%00",
    "' OR 1=1 --",
    "x" * 10_000,
]
"""Hostile strings for paths, queries and form fields."""
VALUES: list[Any] = [*STRINGS[:6], MEGABYTE, 5, -1, 1e308, None, True, [], {}, ["\x00"], {"a": 1}]
"""Hostile JSON values for every field of a body."""
JSON_TYPE = {"content-type": "application/json"}


def _url_text(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


def _json(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as JSON escapes, as a hostile client would send them.
    return json.dumps(value).encode()


def _body_fields(route: APIRoute) -> tuple[str, list[str]] | None:
    """("json", field names) or ("form", field names) of a route that takes a body."""
    params = route.dependant.body_params
    if not params:
        return None
    if len(params) == 1:
        annotation = params[0].field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return "json", list(annotation.model_fields)
    names = [p.alias for p in params]
    if any(type(p.field_info).__name__ in ("Form", "File") for p in params):
        return "form", names
    return "json", names


def requests(app_routes: list[Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, httpx arguments) for each route, parameter and hostile value."""
    for context in iter_route_contexts(app_routes):
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        method = sorted(route.methods - {"HEAD"})[0]
        path_names = [p.alias for p in route.dependant.path_params]
        template: str = context.path_format
        clean_path = template
        for name in path_names:
            clean_path = clean_path.replace("{" + name + "}", "1")
        for name in path_names:
            for value in STRINGS:
                url = template
                for other in path_names:
                    url = url.replace("{" + other + "}", _url_text(value) if other == name else "1")
                yield method, url, {}
        for param in route.dependant.query_params:
            for value in STRINGS:
                yield method, f"{clean_path}?{param.alias}={_url_text(value)}", {}
        body = _body_fields(route)
        if body is None:
            continue
        kind, fields = body
        for field in fields:
            for value in VALUES:
                if kind == "json":
                    base: dict[str, Any] = dict.fromkeys(fields, "x")
                    content = _json({**base, field: value})
                    yield (
                        method,
                        clean_path,
                        {
                            "content": content,
                            "headers": {"content-type": "application/json"},
                        },
                    )
                elif isinstance(value, str):
                    data = {f: "x" for f in fields if f != field} | {field: value}
                    encoded = {k: v.encode("utf-8", "surrogatepass") for k, v in data.items()}
                    files = {k: (None, v) for k, v in encoded.items()}
                    yield method, clean_path, {"files": files}
        for raw in (b"\xff\xfe{}", '{"a": 1}'.encode("utf-16"), b"[" * 100_000, b"{"):
            yield (
                method,
                clean_path,
                {"content": raw, "headers": {"content-type": "application/json"}},
            )


@pytest.fixture
async def server(demo_postgres_url: str) -> AsyncIterator[LiveServer]:
    async with twilio() as fake_twilio, bot_api() as fake_telegram:
        with odoo_running(19) as odoo:
            settings = with_odoo(
                make_settings(demo_postgres_url),
                odoo,
                odoo_livechat_enabled=True,
                odoo_webhook_secret=SecretStr(ODOO_SECRET),
                public_base_url=PUBLIC,
                twilio_account_sid=ACCOUNT_SID,
                twilio_auth_token=SecretStr(AUTH_TOKEN),
                twilio_whatsapp_from=SENDER,
                twilio_api_base_url=fake_twilio.url,
                telegram_bot_token=SecretStr(TOKEN),
                telegram_webhook_secret=SecretStr(TELEGRAM_SECRET),
                telegram_api_base_url=fake_telegram.url,
                api_rate_limit_per_minute=0,
                chat_rate_limit_per_minute=0,
                api_key_failures_per_minute=0,
                sender_rate_per_minute=0,
            )
            async with serving(settings) as live:
                yield live


async def _send_all(
    http: httpx.AsyncClient, batch: list[tuple[str, str, dict[str, Any]]]
) -> list[str]:
    failures: list[str] = []
    for method, url, kwargs in batch:
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TransportError as err:
            failures.append(f"{method} {url[:120]} -> {type(err).__name__}")
            continue
        if response.status_code >= 500:
            failures.append(f"{method} {url[:120]} -> {response.status_code} {response.text[:200]}")
    return failures


@pytest.mark.postgres
async def test_hostile_input_never_gets_a_500_and_the_server_keeps_answering(
    server: LiveServer,
) -> None:
    started = time.monotonic()
    key = await new_key(server.runtime.settings)
    headers = {"authorization": f"Bearer {key}"}
    batch = list(requests(server.app.routes))
    assert len(batch) > 1000  # every route of the app, each parameter, each value
    async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=headers) as http:
        await http.post("/chat/text", json={"chat_id": "1", "message": "hola"})  # a chat to read
        failures = await _send_all(http, batch)
        failures += await _signed_webhooks(http)
        failures += await _socket_frames(server)

        assert failures == []
        assert (await http.get("/health")).json()["database"] == "ok"
        answer = await http.post("/chat/text", json={"chat_id": "after", "message": "hola"})
        assert answer.status_code == 200 and answer.json()["reply"]
    assert time.monotonic() - started < 60


async def _signed_webhooks(http: httpx.AsyncClient) -> list[str]:
    """Hostile updates as each vendor signs them: they pass the signature and meet the app."""
    batch: list[tuple[str, str, dict[str, Any]]] = []
    validator = RequestValidator(AUTH_TOKEN)
    for path in (INBOUND_PATH, STATUS_PATH):
        for value in [*STRINGS[:6], MEGABYTE[:100_000]]:
            form = {
                "MessageSid": "SM" + "1" * 32,
                "From": value,
                "To": SENDER,
                "Body": value,
                "NumMedia": value,
                "MessageStatus": value,
            }
            wire = {k: v.encode("utf-8", "surrogatepass") for k, v in form.items()}
            signature = validator.compute_signature(
                PUBLIC + path, {k: v.decode("utf-8", "replace") for k, v in wire.items()}
            )
            batch.append(
                ("POST", path, {"data": wire, "headers": {"X-Twilio-Signature": signature}})
            )
    telegram = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    message = {
        "message_id": 1,
        "date": 1,
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 7, "is_bot": False, "first_name": "Ana"},
        "text": "hola",
    }
    updates: list[Any] = [{"update_id": "x", "message": 5}, [], None, "x", 5]
    for field in message:
        for value in VALUES:
            updates.append({"update_id": 1, "message": {**message, field: value}})
    for update in updates:
        batch.append(
            (
                "POST",
                TELEGRAM_PATH,
                {
                    "content": _json(update),
                    "headers": telegram | {"content-type": "application/json"},
                },
            )
        )
    event: dict[str, Any] = {
        "version": 1,
        "database": DATABASE,
        "channel_id": 1,
        "message_id": 1,
        "body": "hola",
        "author_role": "visitor",
        "author_name": "Ana",
        "visitor_name": "Ana",
        "language": "es_CO",
        "livechat_channel_id": 1,
        "bot_partner_id": 1,
    }
    for number, field in enumerate(event, start=2):
        for value in VALUES:
            body = _json({**event, "message_id": number, field: value})
            now = int(time.time())
            signed = {
                signing.TIMESTAMP_HEADER: str(now),
                signing.SIGNATURE_HEADER: signing.expected_signature(ODOO_SECRET, now, body),
            }
            batch.append(("POST", "/webhooks/odoo/livechat", {"content": body, "headers": signed}))
    return await _send_all(http, batch)


async def _socket_frames(server: LiveServer) -> list[str]:
    """Hostile frames on one socket, and hostile chat ids: errors, never a dead socket."""
    failures: list[str] = []
    frames: list[str | bytes] = ["", "{", "[]", "null", '{"type": 5}', b"\x00\xff"]
    for field in ("type", "message", "message_id", "tone"):
        for value in VALUES:
            base = {"type": "message", "message": "hola"}
            frames.append(_json({**base, field: value}).decode())
    async with connect(server.chat_url("fuzz"), max_size=None) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_status"
        for frame in frames:
            await ws.send(frame)
        await ws.send('{"type": "ping"}')
        while (event := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] != "pong":
            if event["type"] == "error" and event.get("code") == "turn_failed":
                failures.append(f"socket turn failed: {event}")
    for chat_id in STRINGS:
        try:
            async with connect(server.chat_url(_url_text(chat_id))) as ws:
                await asyncio.wait_for(ws.recv(), 10)
        except Exception as err:  # refused or closed: anything but a server error
            if "500" in str(err):
                failures.append(f"socket {chat_id[:20]!r}: {err}")
    return failures
