"""A server on 127.0.0.1 speaking the part of Telegram's Bot API the product uses.

`/bot<token>/<method>` answers `{"ok": true, "result": ...}` (getMe, sendMessage, getFile,
setWebhook, getWebhookInfo, deleteWebhook, getUpdates) or a scripted error (429 with
`retry_after`); `/file/bot<token>/<path>` serves the files getFile named.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from vendor_server import running

BOT_ID = 7000001
TOKEN = f"{BOT_ID}:AAE-test-token-abcdefghijklmnopqrstuv"
SECRET = "webhook-secret_0123456789"


@dataclass
class BotApiServer:
    """What the fake Bot API saw, and what it will answer next."""

    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    """The messages accepted by sendMessage."""
    failures: list[int] = field(default_factory=list)
    """Error codes for the next sendMessage calls (then success again)."""
    files: dict[str, bytes] = field(default_factory=dict)
    """file_id → bytes, for getFile and the download."""
    updates: list[dict[str, Any]] = field(default_factory=list)
    """What the next getUpdates gives."""
    webhook: dict[str, Any] = field(default_factory=dict)

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [m["text"] for m in self.sent if chat_id is None or m["chat"]["id"] == chat_id]


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _params(raw: dict[str, str]) -> dict[str, Any]:
    """python-telegram-bot sends each parameter JSON-encoded (strings as they are)."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def build(state: BotApiServer) -> Starlette:
    async def method(request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        name = request.path_params["method"]
        if request.headers.get("content-type", "").startswith("application/json"):
            params = await request.json()
        else:
            params = _params({k: str(v) for k, v in (await request.form()).items()})
        state.calls.append((name, params))
        if name == "getMe":
            return _ok(
                {"id": BOT_ID, "is_bot": True, "first_name": "Tienda", "username": "tienda_bot"}
            )
        if name == "sendMessage":
            if state.failures:
                code = state.failures.pop(0)
                body: dict[str, Any] = {"ok": False, "error_code": code}
                if code == 429:
                    body["description"] = "Too Many Requests: retry after 1"
                    body["parameters"] = {"retry_after": 1}
                else:
                    body["description"] = "Internal Server Error"
                return JSONResponse(body, status_code=code)
            message = {
                "message_id": len(state.sent) + 1,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tienda"},
                "text": params["text"],
            }
            state.sent.append(message)
            return _ok(message)
        if name == "getFile":
            file_id = params["file_id"]
            if file_id not in state.files:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    status_code=400,
                )
            return _ok(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id[-8:],
                    "file_size": len(state.files[file_id]),
                    "file_path": f"voice/{file_id}.oga",
                }
            )
        if name == "setWebhook":
            state.webhook = params
            return _ok(True)
        if name == "getWebhookInfo":
            return _ok(
                {
                    "url": state.webhook.get("url", ""),
                    "has_custom_certificate": False,
                    "pending_update_count": 0,
                }
            )
        if name == "deleteWebhook":
            state.webhook = {}
            return _ok(True)
        if name == "getUpdates":
            if not state.updates:
                await asyncio.sleep(0.2)  # a long poll that ends empty
            offset = int(params.get("offset") or 0)
            given = [u for u in state.updates if u["update_id"] >= offset]
            state.updates = []
            return _ok(given)
        return JSONResponse(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
        )

    async def download(request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return Response(status_code=401)
        file_id = request.path_params["path"].removeprefix("voice/").removesuffix(".oga")
        if file_id not in state.files:
            return Response(status_code=404)
        return Response(state.files[file_id], media_type="audio/ogg")

    return Starlette(
        routes=[
            Route("/bot{token}/{method}", method, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", download, methods=["GET"]),
        ]
    )


@asynccontextmanager
async def bot_api() -> AsyncIterator[BotApiServer]:
    """A fake Bot API on a free port."""
    state = BotApiServer()
    async with running(build(state)) as url:
        state.url = url
        yield state
