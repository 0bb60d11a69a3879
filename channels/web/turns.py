"""Web chat turns: streamed to the chat's sockets, or answered in the HTTP response.

`stream` and `answer` are the turn itself, wherever it runs. `WebTurns` is where a route sends
it: `LocalWebTurns` runs it in this process (the embedded default); with `salesagent worker`
processes the wiring gives a queue that runs the same functions in a worker.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from agent.engine import TurnEngine
from agent.messages import InboundMessage, TurnResult
from channels.web.output import WebOutput, timestamp


async def answer(engine: TurnEngine, output: WebOutput, inbound: InboundMessage) -> TurnResult:
    """Run the turn whose result is the HTTP response."""
    async with output.live.turn(inbound.external_chat_id) as mark:
        result = await engine.handle(inbound)
        if result.reply:
            mark(result.reply)  # the response delivers it: the outbox must not show it again
    return result


async def stream(engine: TurnEngine, output: WebOutput, inbound: InboundMessage) -> TurnResult:
    """Run a socket's turn, its events (`typing`, the reply's pieces, `response_end`) published
    to every socket on the chat."""
    chat_id = inbound.external_chat_id
    message_id = inbound.external_message_id

    async def publish(kind: str, **fields: Any) -> int:
        event = {"type": kind, "chat_id": chat_id, "message_id": message_id, **fields}
        return await output.fanout.publish(chat_id, event | {"timestamp": timestamp()})

    async with output.live.turn(chat_id) as mark:
        await publish("typing")
        started = False
        reached = 0

        async def on_chunk(piece: str) -> None:
            nonlocal started, reached
            if not started:
                started = True
                await publish("response_start")
            reached = max(reached, await publish("response_chunk", content=piece))

        result = await engine.handle(inbound, on_chunk=on_chunk)
        if result.reply and reached:
            mark(result.reply)  # seen live: the outbox must not show it again
        if not started:
            await publish("response_start")
        await publish("response_end", **result.model_dump(mode="json"))
    return result


@runtime_checkable
class WebTurns(Protocol):
    """Where the web chat's routes send their turns."""

    async def stream(self, inbound: InboundMessage) -> TurnResult:
        """Run a socket's turn (its events reach the chat's sockets); its result."""
        ...

    async def answer(self, inbound: InboundMessage) -> TurnResult:
        """Run the turn of `POST /chat/text`; its result."""
        ...


class LocalWebTurns:
    """Web turns run in this process."""

    def __init__(self, engine: TurnEngine, output: WebOutput) -> None:
        self._engine = engine
        self._output = output

    async def stream(self, inbound: InboundMessage) -> TurnResult:
        """Run a socket's turn here."""
        return await stream(self._engine, self._output, inbound)

    async def answer(self, inbound: InboundMessage) -> TurnResult:
        """Run the turn of `POST /chat/text` here."""
        return await answer(self._engine, self._output, inbound)
