"""No model call waits inside a write transaction: while one chat's model thinks, the other
chats keep being answered (on SQLite a transaction holds the write lock from BEGIN)."""

from __future__ import annotations

import asyncio
import time

from conftest import Chat
from fixtures.llm_servers import ScriptedServer, gemini_json
from fixtures.llm_setup import messages_of, reading

from agent.models import Direction
from salesagent.runtime import Runtime

UNSURE = "quisiera algo para proteger la cabeza en obra"


async def test_other_chats_are_answered_while_a_model_call_is_slow(
    gemini: Runtime, server: ScriptedServer
) -> None:
    server.script(
        "generate", gemini_json(reading("inventory.category", category="cabeza"), delay=2.0)
    )
    slow = asyncio.create_task(Chat(gemini, "slow").say(UNSURE))
    await asyncio.sleep(0.2)

    started = time.perf_counter()
    quick = await asyncio.gather(
        *(Chat(gemini, f"quick-{i}").say("quiero 2 cascos") for i in range(3))
    )
    quick_seconds = time.perf_counter() - started

    assert not slow.done(), "the quick chats finished after the slow model answered"
    assert quick_seconds < 1.5  # the slow model takes 2 s: the quick chats did not wait
    assert all(r.reply for r in quick)
    assert (await slow).intent == "inventory.category"


async def test_one_chat_keeps_its_order_and_loses_nothing_while_the_model_is_slow(
    gemini: Runtime, server: ScriptedServer
) -> None:
    server.script(
        "generate", gemini_json(reading("inventory.category", category="cabeza"), delay=0.5)
    )
    chat = Chat(gemini, "ordered")

    first = asyncio.create_task(chat.say(UNSURE))
    await asyncio.sleep(0.1)
    second = await chat.say("¿tienen botas de seguridad?")
    await first

    rows = await messages_of(gemini, "ordered")
    inbound = [m.text for m in rows if m.direction == Direction.INBOUND]
    assert inbound == [UNSURE, "¿tienen botas de seguridad?"]
    assert [m.direction for m in rows] == [Direction.INBOUND, Direction.OUTBOUND] * 2
    assert second.reply and "bota" in second.reply.lower()
