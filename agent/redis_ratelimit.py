"""Rate-limit buckets in Redis, shared by every process (TASK_QUEUE=postgres).

The same token bucket as `InMemoryRateLimiter`, kept in a Redis hash and updated by one Lua
script, so a client spending its burst on one `serve` process finds it spent on the others.
The clock is Redis's own: the processes' clocks need not agree. While Redis cannot be reached
(restarting) a limiter lets requests through (`fail_open`, logged) or refuses them for a second.
"""

from __future__ import annotations

import logging
import math

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from agent.ratelimit import Decision

BUCKET = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local take = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or burst
local updated = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  allowed = 1
  if take == 1 then tokens = tokens - 1 end
end
if take == 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
  redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
end
return {allowed, tostring(tokens)}
"""
"""Refill the bucket to now, then take a token (ARGV[3] = 1) or only look (0)."""

log = logging.getLogger(__name__)


class RedisRateLimiter:
    """A token bucket per key in Redis: `burst` at once, refilled at `per_minute` a minute."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str,
        per_minute: float,
        burst: int,
        fail_open: bool = True,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self._client = client
        self._fail_open = fail_open
        self._prefix = prefix
        self._rate = per_minute / 60.0
        self._burst = burst
        self._script = client.register_script(BUCKET)

    async def hit(self, key: str) -> Decision:
        """Spend one token of `key`'s bucket, or say when the next one comes."""
        return await self._ask(key, take=True)

    async def check(self, key: str) -> Decision:
        """Whether `key` has a token now, without taking it."""
        return await self._ask(key, take=False)

    async def _ask(self, key: str, *, take: bool) -> Decision:
        try:
            allowed, tokens = await self._script(
                keys=[self._prefix + key], args=[self._rate, self._burst, int(take)]
            )
        except (RedisConnectionError, RedisTimeoutError) as err:
            log.warning("rate limit %s unknown, Redis unreachable: %s", self._prefix, err)
            return Decision(allowed=True) if self._fail_open else Decision(False, retry_after=1)
        if allowed:
            return Decision(allowed=True)
        missing = 1.0 - float(tokens)
        return Decision(allowed=False, retry_after=max(1, math.ceil(missing / self._rate)))
