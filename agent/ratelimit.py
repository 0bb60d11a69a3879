"""Rate limits: token buckets per API key and per client address, answered with 429.

The buckets live in this process (`InMemoryRateLimiter`, the default), or in Redis whenever
REDIS_URL is set (`agent.redis_ratelimit.RedisRateLimiter`), shared by every process; the
`RateLimiter` protocol is all the rest of the code knows.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.settings import Settings

PUBLIC_CHAT_PATHS = ("/chat/text", "/chat/audio", "/chat/image", "/chat/history/")
"""HTTP paths limited per client address (a trailing slash means every path under it)."""

PUBLIC_SOCKET_PATHS = ("/ws/chat/",)
"""WebSocket paths whose new connections are limited per client address."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one request may go ahead and, if not, in how many seconds to try again."""

    allowed: bool
    retry_after: int = 0


class RateLimiter(Protocol):
    """Something that lets a key spend one request at a time."""

    async def hit(self, key: str) -> Decision:
        """Spend one request of `key`, or say when the next one will be allowed."""
        ...

    async def check(self, key: str) -> Decision:
        """Whether `key` could spend one request now, spending nothing."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class InMemoryRateLimiter:
    """A token bucket per key: `burst` requests at once, refilled at `per_minute` a minute."""

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    async def hit(self, key: str) -> Decision:
        """Spend one token of `key`'s bucket; a bucket never holds more than `burst`."""
        # No await between reading and writing the bucket: in one event loop this is atomic.
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        else:
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Decision(allowed=True)
        return Decision(
            allowed=False, retry_after=max(1, math.ceil((1.0 - bucket.tokens) / self._rate))
        )

    async def check(self, key: str) -> Decision:
        """Whether `key` has a token now, without taking it."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return Decision(allowed=True)
        tokens = min(self._burst, bucket.tokens + (self._clock() - bucket.updated) * self._rate)
        if tokens >= 1.0:
            return Decision(allowed=True)
        return Decision(allowed=False, retry_after=max(1, math.ceil((1.0 - tokens) / self._rate)))

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (they are the same as new ones), else the oldest."""
        refill = self._burst / self._rate
        for key in [k for k, b in self._buckets.items() if now - b.updated >= refill]:
            del self._buckets[key]
        while len(self._buckets) >= self._max_keys:
            del self._buckets[next(iter(self._buckets))]


def shared_limiter(
    settings: Settings, per_minute: float, burst: int, *, name: str, fail_open: bool = True
) -> RateLimiter | None:
    """A limiter every process shares (in Redis) when REDIS_URL is set, else this process's
    own; None (no limit) when `per_minute` is 0. `name` keeps its buckets apart from the
    others'; `fail_open` lets requests through while Redis cannot be reached (else refused)."""
    if per_minute <= 0:
        return None
    if settings.redis_url is not None:
        from agent.redis_pool import redis_client
        from agent.redis_ratelimit import RedisRateLimiter

        client = redis_client(settings.redis_url, pool_size=settings.redis_pool_size)
        prefix = f"{settings.redis_prefix}rate:{name}:"
        return RedisRateLimiter(
            client, prefix=prefix, per_minute=per_minute, burst=burst, fail_open=fail_open
        )
    return InMemoryRateLimiter(per_minute=per_minute, burst=burst)


def limit_public_chat(app: Starlette, settings: Settings) -> None:
    """Limit the public chat endpoints of `app` per client address, as the settings say."""
    limiter = shared_limiter(
        settings, settings.chat_rate_limit_per_minute, settings.chat_rate_limit_burst, name="chat"
    )
    if limiter is not None:
        app.add_middleware(ClientRateLimitMiddleware, limiter=limiter)


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it (after trusted proxy headers, if any)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _limited_path(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    paths = PUBLIC_SOCKET_PATHS if scope["type"] == "websocket" else PUBLIC_CHAT_PATHS
    return any(path.startswith(p) if p.endswith("/") else path == p for p in paths)


class ClientRateLimitMiddleware:
    """Limits the public chat endpoints per client address (HTTP requests and new sockets)."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 429 (a socket: refuse its handshake) when over."""
        if scope["type"] not in ("http", "websocket") or not _limited_path(scope):
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.hit(f"ip:{client_address(scope)}")
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        retry_after = decision.retry_after
        detail = f"too many requests from this address; try again in {retry_after} s"
        payload = json.dumps({"detail": detail, "retry_after": retry_after}).encode()
        raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 429, "headers": raw_headers})
            await send({"type": "http.response.body", "body": payload})
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            start = {"type": "websocket.http.response.start", "status": 429, "headers": raw_headers}
            await send(start)
            await send({"type": "websocket.http.response.body", "body": payload})
        else:
            await send({"type": "websocket.close", "code": 1013, "reason": "try again later"})
