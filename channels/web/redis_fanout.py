"""The web chat's fan-out over Redis pub/sub: an event reaches the chat's sockets whichever
process holds them (several `salesagent serve` processes, and the workers that run the turns).

Each process keeps one pub/sub connection: it subscribes to a chat's Redis channel while one of
its sockets is open on it, and hands what arrives to the local subscriptions (`LocalFanOut`).
The same connection carries the notices of finished turns (`notice`, `wait_notice`) and named
feeds every process hears (`feed`: the staff console's live feed).

Redis restarting: a publish retries for a few seconds, then gives up quietly (it reached
nobody; the outbox keeps a reply no socket saw, and the turn is stored either way). When the
pub/sub connection breaks, whatever was published meanwhile is lost to this process: every
local socket is marked `lost` (closed, so its client reconnects and catches up), and every
waiter on a notice gets `FeedInterruptedError` (it reads the database instead). The connection
comes back by itself with its subscriptions. A read that fails otherwise (a subscription
reconnecting while the feed reads) is treated as a break too, on a new connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from agent.errors import FeedInterruptedError
from agent.live_events import Event, EventQueue
from agent.redis_pool import redis_client
from agent.stopping import stop_tasks
from channels.web.fanout import LocalFanOut

log = logging.getLogger(__name__)

PUBLISH_RETRIES = 12
"""A publish tries again this many times (0.05 s doubling up to 0.5 s: about 5 s in all)."""


class RedisFanOut:
    """Chat events and turn notices shared by every process through Redis pub/sub."""

    def __init__(
        self, client: Redis, listener: Redis, *, prefix: str, queue_size: int = 1000
    ) -> None:
        self._client = client
        self._listener = listener
        self._prefix = prefix
        self._local = LocalFanOut(queue_size=queue_size)
        self._feeds = LocalFanOut(queue_size=queue_size)
        self._pubsub = listener.pubsub()
        self._notices: dict[str, set[asyncio.Future[str]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str, *, prefix: str, pool_size: int) -> RedisFanOut:
        """A fan-out on the Redis server at `url`, at most `pool_size` connections: publishes
        ride out a restart; the pub/sub connection reports a break at once (what was published
        meanwhile is lost)."""
        errors: list[type[Exception]] = [RedisConnectionError, RedisTimeoutError]
        backoff = ExponentialBackoff(cap=0.5, base=0.05)
        retry = Retry(backoff, PUBLISH_RETRIES)
        client = redis_client(url, pool_size=pool_size, retry=retry, retry_on_error=errors)
        listener = Redis.from_url(url, retry=Retry(NoBackoff(), 0))
        return cls(client, listener, prefix=prefix)

    async def start(self) -> None:
        """Check the server answers, open the pub/sub connection, and start reading what it
        sends. Opened here, not on the first subscription: a process's first turn would wait
        for it (queued behind a chat's later message sent to another process), and subscriptions
        made at once would each open one, all but one never read (their notices lost)."""
        await self._client.ping()
        await self._pubsub.connect()  # type: ignore[no-untyped-call]
        self._reader = asyncio.create_task(self._read(), name="redis fan-out")

    async def close(self) -> None:
        """Stop reading and close the connections."""
        if self._reader is not None:
            await stop_tasks([self._reader], what="the Redis fan-out's reader")
        await self._pubsub.aclose()
        await self._listener.aclose()
        await self._client.aclose()

    def _chat(self, chat_id: str) -> str:
        return f"{self._prefix}chat:{chat_id}"

    def _notice(self, key: str) -> str:
        return f"{self._prefix}done:{key}"

    def _feed(self, name: str) -> str:
        return f"{self._prefix}feed:{name}"

    def subscribe(self, chat_id: str) -> AbstractAsyncContextManager[EventQueue]:
        """Receive the chat's events, from any process, for the duration of the block."""
        return self._listen(self._local, chat_id, self._chat(chat_id))

    def feed(self, name: str) -> RedisFeed:
        """A named feed of events every process hears (the staff console's)."""
        return RedisFeed(self, name)

    @asynccontextmanager
    async def _listen(
        self, local: LocalFanOut, key: str, channel: str
    ) -> AsyncIterator[EventQueue]:
        first = local.listeners(key) == 0
        async with local.subscribe(key) as subscription:
            if first:
                await self._pubsub.subscribe(channel)
            try:
                yield subscription
            finally:
                if local.listeners(key) == 1:
                    await self._forget(channel)

    async def _forget(self, channel: str) -> None:
        # Redis away: the subscription is made again on reconnection, and ignored.
        try:
            await self._pubsub.unsubscribe(channel)
        except RedisError as err:
            log.warning("redis fan-out: could not unsubscribe %s: %s", channel, err)

    async def publish(self, chat_id: str, event: Event) -> int:
        """Send `event` to the chat's sockets in every process; how many processes hold one
        (0 when Redis stayed unreachable: the event is dropped, logged)."""
        return await self._publish(self._chat(chat_id), json.dumps(event))

    async def _publish(self, channel: str, data: str) -> int:
        try:
            return int(await self._client.publish(channel, data))
        except RedisError as err:
            log.warning("redis fan-out: %s not published: %s", channel, err)
            return 0

    def listeners(self, chat_id: str) -> int:
        """How many sockets are open on the chat in this process."""
        return self._local.listeners(chat_id)

    async def notice(self, key: str, text: str) -> None:
        """Tell whoever waits on `key` (a finished turn) that it is done (best effort: a waiter
        that misses it reads the database)."""
        await self._publish(self._notice(key), text)

    @asynccontextmanager
    async def wait_notice(self, key: str) -> AsyncIterator[asyncio.Future[str]]:
        """A future set when the notice of `key` arrives, subscribed before the block runs; it
        fails with FeedInterruptedError when the feed breaks (or Redis cannot be reached)."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        waiters = self._notices.setdefault(key, set())
        waiters.add(future)
        try:
            try:
                await self._pubsub.subscribe(self._notice(key))
            except RedisError as err:
                future.set_exception(FeedInterruptedError(f"Redis unreachable: {err}"))
            yield future
        finally:
            waiters.discard(future)
            if not waiters:
                del self._notices[key]
                await self._forget(self._notice(key))

    def _interrupted(self) -> None:
        """The pub/sub connection broke: sockets catch up, waiters read the database."""
        self._local.lose_all()
        self._feeds.lose_all()
        for waiters in self._notices.values():
            for future in waiters:
                if not future.done():
                    future.set_exception(FeedInterruptedError("the Redis feed was interrupted"))

    async def _drop_connection(self) -> None:
        """Close the pub/sub connection; the next read opens it again, resubscribed."""
        connection: Connection | None = self._pubsub.connection  # redis-py types it None
        if connection is not None:
            try:
                await connection.disconnect()
            except Exception:  # closing a connection that is already broken
                log.exception("redis fan-out: could not close the feed's connection")

    async def _read(self) -> None:
        chats = f"{self._prefix}chat:"
        notices = f"{self._prefix}done:"
        feeds = f"{self._prefix}feed:"
        while True:
            if not self._pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=1.0
                )
            except RedisError as err:  # Redis restarting; the next read reconnects, resubscribed
                log.warning("redis fan-out: the feed broke (%s); reconnecting", err)
                self._interrupted()
                await asyncio.sleep(0.5)
                continue
            except Exception:  # the reader's edge: the connection may have lost messages
                # A subscription that reconnects the pub/sub connection (Redis just restarted)
                # reads its replies while this loop reads too ("readuntil() called while
                # another coroutine is already waiting"): either read may have taken the
                # other's data. As for a break: catch up, and start again on a new connection.
                log.exception("redis fan-out: could not read; reconnecting")
                self._interrupted()
                await self._drop_connection()
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"].decode()
            data = message["data"].decode()
            if channel.startswith(chats):
                await self._local.publish(channel.removeprefix(chats), json.loads(data))
            elif channel.startswith(feeds):
                await self._feeds.publish(channel.removeprefix(feeds), json.loads(data))
            elif channel.startswith(notices):
                for future in self._notices.get(channel.removeprefix(notices), ()):
                    if not future.done():
                        future.set_result(data)


class RedisFeed:
    """One named feed every process hears, on the fan-out's connection (console/feed.py's
    `StaffFeed`): published to Redis, handed to this process's listeners."""

    def __init__(self, fanout: RedisFanOut, name: str) -> None:
        self._fanout = fanout
        self._name = name

    def subscribe(self) -> AbstractAsyncContextManager[EventQueue]:
        """Receive every event of the feed, from any process, for the duration of the block."""
        fanout = self._fanout
        return fanout._listen(fanout._feeds, self._name, fanout._feed(self._name))

    async def publish(self, event: Event) -> int:
        """Send `event` to the feed's listeners in every process; how many processes hold one."""
        return await self._fanout._publish(self._fanout._feed(self._name), json.dumps(event))
