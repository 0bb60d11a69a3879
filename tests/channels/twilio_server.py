"""A server on 127.0.0.1 speaking the part of Twilio's REST API the product uses.

- `POST /2010-04-01/Accounts/{sid}/Messages.json` (basic auth): 201 and a Message resource, or
  the next scripted failure (429 with Retry-After, 500).
- `GET .../Messages/{sid}/Media/{id}` (basic auth): a 307 to the media on another host
  (`localhost` instead of `127.0.0.1`), as Twilio redirects to its CDN; the CDN notes whether
  the login followed the redirect (it must not).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from vendor_server import running

from agent.models import utcnow

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SENDER = "whatsapp:+14155238886"


@dataclass
class TwilioServer:
    """What the fake Twilio saw, and what it will answer next."""

    url: str = ""
    attempts: list[dict[str, str]] = field(default_factory=list)
    """Every Messages create request's form, accepted or not."""
    created: list[dict[str, str]] = field(default_factory=list)
    """The messages accepted (201), with their `Sid`."""
    failures: list[int] = field(default_factory=list)
    """Statuses to answer the next creates with, in order (201: accept); then 201 again."""
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[dict[str, Any]] = field(default_factory=list)

    def media_url(self, media_id: str, data: bytes, content_type: str = "audio/ogg") -> str:
        """Keep a media file and return the URL Twilio would put in MediaUrl0."""
        self.media[media_id] = (data, content_type)
        message = "MM" + secrets.token_hex(16)
        return f"{self.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message}/Media/{media_id}"

    def bodies(self, to: str | None = None) -> list[str]:
        """The texts of the accepted messages (to one chat)."""
        return [m.get("Body", "") for m in self.created if to is None or m["To"] == to]


def _authorized(request: Request) -> bool:
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return request.headers.get("authorization") == f"Basic {expected}"


def _error(status: int, message: str, code: int) -> JSONResponse:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    headers = {"Retry-After": "1"} if status == 429 else {}
    return JSONResponse(body, status_code=status, headers=headers)


def build(state: TwilioServer) -> Starlette:
    async def create_message(request: Request) -> Response:
        if not _authorized(request):
            return _error(401, "Authenticate", 20003)
        form = {k: str(v) for k, v in (await request.form()).items()}
        state.attempts.append(form)
        status = state.failures.pop(0) if state.failures else 201
        if status != 201:
            return _error(status, "Too Many Requests" if status == 429 else "Internal Error", 0)
        sid = "SM" + secrets.token_hex(16)
        state.created.append({**form, "Sid": sid})
        now = format_datetime(utcnow())
        message = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body", ""),
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "subresource_uris": {},
        }
        return JSONResponse(message, status_code=201)

    async def media(request: Request) -> Response:
        if not _authorized(request):
            return _error(401, "Authenticate", 20003)
        media_id = request.path_params["media_id"]
        cdn = state.url.replace("127.0.0.1", "localhost")
        return RedirectResponse(f"{cdn}/cdn/{media_id}", status_code=307)

    async def cdn(request: Request) -> Response:
        media_id = request.path_params["media_id"]
        state.media_requests.append(
            {"media_id": media_id, "authorization": request.headers.get("authorization")}
        )
        if media_id not in state.media:
            return Response(status_code=404)
        data, content_type = state.media[media_id]
        return Response(data, media_type=content_type)

    prefix = "/2010-04-01/Accounts/{account}"
    return Starlette(
        routes=[
            Route(prefix + "/Messages.json", create_message, methods=["POST"]),
            Route(prefix + "/Messages/{message}/Media/{media_id}", media, methods=["GET"]),
            Route("/cdn/{media_id}", cdn, methods=["GET"]),
        ]
    )


@asynccontextmanager
async def twilio() -> AsyncIterator[TwilioServer]:
    """A fake Twilio on a free port."""
    state = TwilioServer()
    async with running(build(state)) as url:
        state.url = url
        yield state
