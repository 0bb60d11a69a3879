"""A burst of chats on PostgreSQL queues for its turn instead of failing on the pool."""

from __future__ import annotations

import asyncio
import uuid

from conftest import Chat, make_settings

from salesagent.runtime import Runtime

CHATS = 80


async def test_a_burst_larger_than_the_pool_is_answered_in_full(demo_postgres_url: str) -> None:
    # A pool far smaller than the burst, with a short wait: only admission control saves it.
    # Its two bounds fill the pool and no more (2 turns + 2 messages stored at once).
    settings = make_settings(
        demo_postgres_url,
        database_pool_size=4,
        database_pool_overflow=0,
        database_pool_timeout=2.0,
        max_parallel_turns=2,
        max_parallel_intake=2,
    )
    runtime = await Runtime.start(settings, migrate=False)
    try:
        chats = [
            Chat(runtime, f"burst-{uuid.uuid4().hex[:6]}", channel="cli") for _ in range(CHATS)
        ]

        results = await asyncio.gather(
            *(c.say("¿cuánto vale el casco dieléctrico?") for c in chats)
        )
        await runtime.engine.drain_deliveries()
    finally:
        await runtime.close()

    failed = [r for r in results if r.reply is None or "problema" in r.reply]
    assert failed == []
    assert all("$95.000" in (r.reply or "") for r in results)
