"""Hostile requests over real HTTP: bodies over their limit, text no database keeps, JSON that is
not UTF-8. Each is refused with a clear 4xx, nothing is stored, and the server keeps answering,
on SQLite and on PostgreSQL (which refuses a NUL in text)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from conftest import make_settings
from fixtures.api_keys import new_key
from fixtures.live_server import LiveServer, count, serving
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agent.models import InboxItem
from agent.settings import Settings

NUL = "\\u0000"
LONE = "\\ud800"
"""JSON escapes: a NUL character, and half of a surrogate pair."""


@pytest.fixture
async def shop(shop_url: str) -> AsyncIterator[LiveServer]:
    async with serving(make_settings(shop_url)) as live:
        yield live


@pytest.fixture
async def server(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as live:
        yield live


async def _raw(server: LiveServer, request: bytes, *, within: float = 5.0) -> bytes:
    """Send raw bytes and read what the server answers (its status line and headers)."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), within)
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"chat_id": "c1", "message": "hola' + NUL + '"}', "message"),
        ('{"chat_id": "c1", "message": "hola' + LONE + '"}', "message"),
        ('{"chat_id": "c1' + NUL + '", "message": "hola"}', "chat_id"),
        ('{"chat_id": "c1' + LONE + '", "message": "hola"}', "chat_id"),
        ('{"chat_id": "c1", "message": "hola", "message_id": "' + NUL + '"}', "message_id"),
        ('{"chat_id": "c1", "message": "hola", "message_id": "x' + LONE + '"}', "message_id"),
    ],
)
async def test_nul_and_lone_surrogates_are_refused_naming_the_field(
    shop: LiveServer, raw: str, field: str
) -> None:
    async with httpx.AsyncClient(base_url=shop.url, timeout=30) as http:
        response = await http.post(
            "/chat/text", content=raw.encode(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
        history = await http.get("/chat/history/c1%00")
        assert history.status_code == 422
        assert history.json()["errors"][0]["field"] == "path"
        assert (await http.post("/chat/text", json={"chat_id": "c1", "message": "hola"})).is_success
    assert await count(shop, InboxItem) == 1  # only the clean message


async def test_a_socket_refuses_bad_text_and_closes_1011_when_it_cannot_send(
    shop: LiveServer,
) -> None:
    async with connect(shop.chat_url("sock")) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_status"
        for frame in (
            '{"type": "message", "message": "hola' + LONE + '"}',
            '{"type": "message", "message": "hola' + NUL + '"}',
            '{"type": "message", "message": "hola", "message_id": "' + LONE + '"}',
        ):
            await ws.send(frame)
            error = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert error["type"] == "error" and error["field"] in ("message", "message_id")
        # An event the socket cannot write (a reply from elsewhere holding a lone surrogate)
        # closes the socket, so the widget reconnects, instead of leaving it open and silent.
        await shop.runtime.outputs["web"].fanout.publish(  # type: ignore[attr-defined]
            "sock", {"type": "message", "text": "\ud800"}
        )
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    async with connect(shop.chat_url("sock")) as again:
        assert json.loads(await again.recv())["type"] == "connection_status"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(shop.chat_url("sock%00")):
            pass
    assert refused.value.response.status_code == 422
    assert await count(shop, InboxItem) == 0


async def test_a_declared_huge_body_is_refused_before_it_is_read(server: LiveServer) -> None:
    head = (
        b"POST /chat/text HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: 100000000\r\n\r\n{"
    )
    answer = await _raw(server, head)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"262144" in answer


async def test_a_streamed_body_is_cut_off_at_the_limit(server: LiveServer) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"chat_id": "big", "message": "'
        for _ in range(160):  # 10 MB
            yield b"a" * 65536
        yield b'"}'

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/chat/text", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["field"] == "body"
        assert (await http.get("/chat/health")).status_code == 200
    assert await count(server, InboxItem) == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"chat_id": "u", "message": "hola"}'.encode("utf-16"),
        '{"chat_id": "u", "message": "hola"}'.encode("utf-32"),
        b'{"chat_id": "u", "message": "\xff\xfe hola"}',
        '{"chat_id": "u", "message": "año"}'.encode("latin-1"),
    ],
)
async def test_a_json_body_that_is_not_utf8_is_a_422(server: LiveServer, body: bytes) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        response = await http.post(
            "/chat/text", content=body, headers={"content-type": "application/json"}
        )

    assert response.status_code == 422, response.text
    assert "UTF-8" in response.json()["detail"] or "JSON" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "body"
    assert await count(server, InboxItem) == 0


async def test_query_and_path_parameters_with_nul_are_refused(shop: LiveServer) -> None:
    key = await new_key(shop.runtime.settings)
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=shop.url, timeout=30, headers=headers) as http:
        query = await http.get("/api/v1/customers", params={"q": "ana\x00"})
        repeated = await http.get("/api/v1/customers", params=[("q", "ana"), ("q", "x\x00")])
        path = await http.get("/api/v1/products/EXT%00")
        clean = await http.get("/api/v1/customers", params={"q": "ana"})

    assert query.status_code == 422 and query.json()["errors"][0]["field"] == "q"
    assert repeated.status_code == 422
    assert path.status_code == 422 and path.json()["errors"][0]["field"] == "path"
    assert clean.status_code == 200


async def test_an_upload_may_be_as_large_as_its_file_limit_and_no_larger(
    demo_settings: Settings,
) -> None:
    settings = demo_settings.model_copy(update={"voice_max_bytes": 100_000})
    note = {"chat_id": (None, b"voz"), "audio": ("nota.ogg", b"\x00" * 300_000, "audio/ogg")}

    async def streamed() -> AsyncIterator[bytes]:  # the same form, chunked
        boundary = b"--fuzz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="chat_id"\r\n\r\nvoz\r\n'
        yield boundary + (
            b'Content-Disposition: form-data; name="audio"; filename="n.ogg"\r\n'
            b"Content-Type: audio/ogg\r\n\r\n"
        )
        for _ in range(10):
            yield b"\x00" * 65536
        yield b"\r\n--fuzz--\r\n"

    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        declared = await http.post("/chat/audio", files=note)
        chunked = await http.post(
            "/chat/audio",
            content=streamed(),
            headers={"content-type": "multipart/form-data; boundary=fuzz"},
        )
        text = await http.post("/chat/text", json={"chat_id": "x", "message": "a" * 300_000})

    assert declared.status_code == 413 and "165536" in declared.json()["detail"]  # + 64 KiB
    assert chunked.status_code == 413
    assert text.status_code == 413 and "262144" in text.json()["detail"]  # not an upload
