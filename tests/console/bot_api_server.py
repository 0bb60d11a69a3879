"""A local server speaking the Telegram Bot API (`/bot<token>/<method>`), for the staff chat's
notifications: `getMe` and `sendMessage` answered as Telegram answers them, every call kept."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fixtures.live_server import running
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-staff-bot-token"


@dataclass
class BotApi:
    """The calls received, by method."""

    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: int = 0
    """Answer this many `sendMessage` calls with a 502 before accepting them."""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    """The `sendMessage` calls answered with a message: what the chat shows."""

    def attempts(self) -> list[dict[str, Any]]:
        """Every `sendMessage` call, refused ones included."""
        return [params for method, params in self.calls if method == "sendMessage"]

    def sent(self) -> list[dict[str, Any]]:
        """The messages the staff chat shows."""
        return self.accepted


def _app(api: BotApi) -> Starlette:
    async def method(request: Request) -> JSONResponse:
        token, name = request.path_params["token"], request.path_params["method"]
        if token != TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        if request.headers.get("content-type", "").startswith("application/json"):
            params = json.loads(await request.body() or b"{}")
        else:
            params = dict(await request.form())
        api.calls.append((name, params))
        if name == "getMe":
            me = {"id": 42, "is_bot": True, "first_name": "Tienda", "username": "tienda_bot"}
            return JSONResponse({"ok": True, "result": me})
        if name == "sendMessage":
            if api.fail > 0:
                api.fail -= 1
                return JSONResponse(
                    {"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502
                )
            api.accepted.append(params)
            chat = {"id": int(params["chat_id"]), "type": "group", "title": "Ventas"}
            message = {"message_id": len(api.sent()), "date": int(time.time()), "chat": chat}
            return JSONResponse({"ok": True, "result": message | {"text": params["text"]}})
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    return Starlette(routes=[Route("/bot{token}/{method}", method, methods=["GET", "POST"])])


@asynccontextmanager
async def bot_api() -> AsyncIterator[BotApi]:
    """The server, running on a free local port until the block ends."""
    api = BotApi()
    async with running(_app(api)) as url:
        api.url = url
        yield api
