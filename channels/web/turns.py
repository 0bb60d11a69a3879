"""A web chat turn answered over HTTP: the reply goes in the response, not again by the outbox."""

from __future__ import annotations

from agent.engine import TurnEngine
from agent.messages import InboundMessage, TurnResult
from channels.web.output import WebOutput


async def answer(engine: TurnEngine, output: WebOutput, inbound: InboundMessage) -> TurnResult:
    """Run the turn whose result is the HTTP response."""
    async with output.live.turn(inbound.external_chat_id) as mark:
        result = await engine.handle(inbound)
        if result.reply:
            mark(result.reply)  # the response delivers it: the outbox must not show it again
    return result
