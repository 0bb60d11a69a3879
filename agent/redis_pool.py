"""The Redis client every process part shares: a bounded pool whose commands wait for a free
connection instead of failing when a burst takes them all."""

from __future__ import annotations

from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis


def redis_client(url: str, *, pool_size: int, **connection: Any) -> Redis:
    """A client on the Redis server at `url`, at most `pool_size` connections, each made with
    the `connection` options (retry, retry_on_error); closing it closes its pool."""
    # No pool timeout: a connection comes back as soon as a command ends (they are short), and
    # an unreachable server still fails on connecting.
    pool = BlockingConnectionPool.from_url(
        url, max_connections=pool_size, timeout=None, **connection
    )
    return Redis.from_pool(pool)
