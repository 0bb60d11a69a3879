"""Helpers of the storage tests: the app under uvicorn, varied bytes, files written in pieces."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from agent.app import create_app
from agent.runtime import Runtime
from agent.settings import Settings
from storage.base import Storage

PIECE = 64 * 1024


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
    """Serve the app on a free port of 127.0.0.1 until the block ends."""
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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


def pieces(total: int) -> Iterator[bytes]:
    """`total` random bytes in pieces of 64 KiB (never one piece repeated)."""
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        yield os.urandom(size)
        sent += size


async def write_file(
    storage: Storage, key: str, total: int, *, content_type: str = "text/csv"
) -> str:
    """Write `total` varied bytes under `key`; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    async with storage.writer(key, content_type=content_type) as out:
        for piece in pieces(total):
            digest.update(piece)
            await out.write(piece)
        assert out.size == total
    return digest.hexdigest()


async def read_digest(storage: Storage, key: str) -> tuple[int, str]:
    """The size and SHA-256 of a stored file, read back through the store."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in storage.read(key):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
