"""The Redis fan-out between processes: a `serve` process hears every turn a worker finishes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from channels.web.redis_fanout import RedisFanOut

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def serve_and_worker() -> AsyncIterator[tuple[RedisFanOut, RedisFanOut]]:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    serve, worker = (RedisFanOut.from_url(REDIS_URL, prefix=prefix, pool_size=10) for _ in range(2))
    await serve.start()
    await worker.start()
    yield serve, worker
    await serve.close()
    await worker.close()


async def test_the_first_turns_waited_at_once_are_all_told(
    serve_and_worker: tuple[RedisFanOut, RedisFanOut],
) -> None:
    serve, worker = serve_and_worker

    async def wait(key: str, subscribed: asyncio.Event) -> str:
        async with serve.wait_notice(key) as done:
            subscribed.set()
            return await asyncio.wait_for(done, 5)

    keys = [f"web:chat:m{n}" for n in range(3)]  # a fresh process's first turns, all at once
    ready = [asyncio.Event() for _ in keys]
    waits = [asyncio.create_task(wait(key, event)) for key, event in zip(keys, ready, strict=True)]
    for event in ready:
        await event.wait()
    for key in keys:
        await worker.notice(key, f"done {key}")
    assert await asyncio.gather(*waits) == [f"done {key}" for key in keys]
