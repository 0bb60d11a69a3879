"""The web chat's fan-out over Redis pub/sub: an event reaches the chat's sockets whichever
process holds them (several `salesagent serve` processes, and the workers that run the turns).

Each process keeps one pub/sub connection: it subscribes to a chat's Redis channel while one of
its sockets is open on it, and hands what arrives to the local subscriptions (`LocalFanOut`).
The same connection carries the notices of finished turns (`notice`, `wait_notice`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from agent.live_events import Event, EventQueue
from agent.redis_pool import redis_client
from channels.web.fanout import LocalFanOut

log = logging.getLogger(__name__)


class RedisFanOut:
    """Chat events and turn notices shared by every process through Redis pub/sub."""

    def __init__(self, client: Redis, *, prefix: str, queue_size: int = 1000) -> None:
        self._client = client
        self._prefix = prefix
        self._local = LocalFanOut(queue_size=queue_size)
        self._pubsub = client.pubsub()
        self._notices: dict[str, asyncio.Future[str]] = {}
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str, *, prefix: str, pool_size: int) -> RedisFanOut:
        """A fan-out on the Redis server at `url`, with at most `pool_size` connections."""
        return cls(redis_client(url, pool_size=pool_size), prefix=prefix)

    async def start(self) -> None:
        """Check the server answers, and start reading what it sends."""
        await self._client.ping()
        self._reader = asyncio.create_task(self._read(), name="redis fan-out")

    async def close(self) -> None:
        """Stop reading and close the connections."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
        await self._client.aclose()

    def _chat(self, chat_id: str) -> str:
        return f"{self._prefix}chat:{chat_id}"

    def _notice(self, key: str) -> str:
        return f"{self._prefix}done:{key}"

    @asynccontextmanager
    async def subscribe(self, chat_id: str) -> AsyncIterator[EventQueue]:
        """Receive the chat's events, from any process, for the duration of the block."""
        first = self._local.listeners(chat_id) == 0
        async with self._local.subscribe(chat_id) as subscription:
            if first:
                await self._pubsub.subscribe(self._chat(chat_id))
            try:
                yield subscription
            finally:
                if self._local.listeners(chat_id) == 1:
                    await self._pubsub.unsubscribe(self._chat(chat_id))

    async def publish(self, chat_id: str, event: Event) -> int:
        """Send `event` to the chat's sockets in every process; how many processes hold one."""
        return int(await self._client.publish(self._chat(chat_id), json.dumps(event)))

    def listeners(self, chat_id: str) -> int:
        """How many sockets are open on the chat in this process."""
        return self._local.listeners(chat_id)

    async def notice(self, key: str, text: str) -> None:
        """Tell whoever waits on `key` (a finished turn) that it is done."""
        await self._client.publish(self._notice(key), text)

    @asynccontextmanager
    async def wait_notice(self, key: str) -> AsyncIterator[asyncio.Future[str]]:
        """A future set when the notice of `key` arrives; subscribed before the block runs."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._notices[key] = future
        await self._pubsub.subscribe(self._notice(key))
        try:
            yield future
        finally:
            del self._notices[key]
            await self._pubsub.unsubscribe(self._notice(key))

    async def _read(self) -> None:
        chats = f"{self._prefix}chat:"
        notices = f"{self._prefix}done:"
        while True:
            if not self._pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except Exception:  # the reader's edge: Redis restarting; the next read reconnects
                log.exception("redis fan-out: could not read; trying again")
                await asyncio.sleep(1.0)
                continue
            if message is None:
                continue
            channel = message["channel"].decode()
            data = message["data"].decode()
            if channel.startswith(chats):
                await self._local.publish(channel.removeprefix(chats), json.loads(data))
            elif channel.startswith(notices):
                future = self._notices.get(channel.removeprefix(notices))
                if future is not None and not future.done():
                    future.set_result(data)
