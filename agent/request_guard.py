"""What a request may carry, checked as it comes in: body size, and text a database can keep.

- **Size**: a body whose `Content-Length` is over its endpoint's limit is answered 413 before
  any of it is read; a body sent in chunks is counted as it streams and refused (413) as soon as
  it passes the limit. Uploads (`/chat/audio`, `/chat/image`) may be as large as their file's
  limit (`VOICE_MAX_BYTES`, `MAX_IMAGE_BYTES`) plus room for the form; every other body
  `MAX_BODY_BYTES`.
- **Text**: a NUL character or a lone surrogate in the path or the query is answered 422 at
  once; in a JSON or form body, when the endpoint reads it (so a webhook checks its signature
  headers first). A JSON body must be UTF-8 (RFC 8259): anything else is 422.

Refusals are JSON naming the field (`{"detail", "errors": [{"field", "message"}]}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.clean_text import first_unclean, text_problem

FORM_ROOM = 64 * 1024
"""What an upload's form may add to its file (boundaries, part headers, the other fields)."""


class RequestRefused(HTTPException):
    """A request refused for what it carries; raised from `receive` while the app reads it."""

    def __init__(self, status_code: int, message: str, *, field: str) -> None:
        super().__init__(status_code, message)
        self.field = field
        self.message = message

    def body(self) -> bytes:
        """The JSON answer."""
        errors = [{"field": self.field, "message": self.message}]
        return json.dumps({"detail": self.message, "errors": errors}).encode()


def too_large(limit: int) -> RequestRefused:
    """The 413 of a body over `limit` bytes."""
    return RequestRefused(
        413, f"the body is larger than this endpoint's limit of {limit} bytes", field="body"
    )


def check_json(body: bytes) -> None:
    """`RequestRefused` (422) for a JSON body that is not UTF-8, not JSON, or has bad text."""
    if not body:
        return
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RequestRefused(
            422,
            f"the body is not UTF-8 (byte {err.start}: {err.reason}); JSON must be UTF-8 encoded",
            field="body",
        ) from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestRefused(
            422, f"the body is not valid JSON ({err.msg} at character {err.pos})", field="body"
        ) from err
    except RecursionError as err:
        raise RequestRefused(422, "the body's JSON is nested too deeply", field="body") from err
    _refuse_unclean(first_unclean(data))


def check_form(body: bytes) -> None:
    """`RequestRefused` (422) for a URL-encoded form with a field that is not storable text."""
    _refuse_unclean(_unclean_pair(body.decode("latin-1"), where="body"))


def _unclean_pair(encoded: str, *, where: str) -> tuple[str, str] | None:
    """The first name=value pair (repeated names too) that is not storable text."""
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        problem = text_problem(name)
        if problem is not None:
            return where, f"a field name {problem}"
        problem = text_problem(value)
        if problem is not None:
            return name, problem
    return None


def _unclean_refusal(found: tuple[str, str] | None) -> RequestRefused | None:
    """The 422 naming the field of a (field, problem) pair, if there is one."""
    if found is None:
        return None
    field, problem = found
    return RequestRefused(422, f"{field}: {problem}", field=field)


def _refuse_unclean(found: tuple[str, str] | None) -> None:
    refused = _unclean_refusal(found)
    if refused is not None:
        raise refused


def _url_problem(scope: Scope) -> RequestRefused | None:
    problem = text_problem(scope.get("path", ""))
    if problem is not None:
        return RequestRefused(422, f"the path {problem}", field="path")
    query = scope.get("query_string", b"").decode("latin-1")
    return _unclean_refusal(_unclean_pair(query, where="query"))


class RequestGuard:
    """The ASGI middleware that applies the limits above to every HTTP request and socket."""

    def __init__(self, app: ASGIApp, *, max_body: int, uploads: Mapping[str, int]) -> None:
        self.app = app
        self.max_body = max_body
        self.uploads = {path: limit + FORM_ROOM for path, limit in uploads.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request, or pass it on with a `receive` that counts and checks the body."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = _url_problem(scope)
        if refused is not None:
            await _answer(scope, receive, send, refused)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.uploads.get(scope["path"], self.max_body)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _answer(scope, receive, send, too_large(limit))
            return
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        check = (
            check_json
            if content_type == "application/json" or content_type.endswith("+json")
            else check_form
            if content_type == "application/x-www-form-urlencoded"
            else None
        )
        received = 0
        kept: list[bytes] = []
        started = False

        async def guarded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise too_large(limit)
                if check is not None:
                    kept.append(chunk)
                    if not message.get("more_body", False):
                        check(b"".join(kept))
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracked_send)
        except RequestRefused as err:  # raised outside the app's own error handlers
            if started:
                raise
            await _answer(scope, receive, send, err)


async def _answer(scope: Scope, receive: Receive, send: Send, refused: RequestRefused) -> None:
    payload = refused.body()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if scope["type"] == "http":
        await send(
            {"type": "http.response.start", "status": refused.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": payload})
        return
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        start = {"type": "websocket.http.response.start", "status": refused.status_code}
        await send({**start, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": payload})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": refused.message[:120]})
