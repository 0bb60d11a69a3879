"""Rate-limit buckets in Redis: two processes' limiters spend one bucket."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from agent.ratelimit import Decision
from agent.redis_ratelimit import RedisRateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def clients() -> AsyncIterator[tuple[Redis, Redis]]:
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_two_processes_share_one_bucket_which_refills(clients: tuple[Redis, Redis]) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    one, other = (
        RedisRateLimiter(client, prefix=prefix, per_minute=600, burst=3) for client in clients
    )
    spent = [await one.hit("ip:1"), await other.hit("ip:1"), await one.hit("ip:1")]
    assert spent == [Decision(allowed=True)] * 3
    assert await other.hit("ip:1") == Decision(allowed=False, retry_after=1)
    assert await one.check("ip:1") == Decision(allowed=False, retry_after=1)
    assert await other.hit("ip:2") == Decision(allowed=True)  # another address: its own bucket
    await asyncio.sleep(0.25)  # 10 tokens a second: two are back
    assert await other.check("ip:1") == Decision(allowed=True)
    assert [(await one.hit("ip:1")).allowed for _ in range(3)] == [True, True, False]
