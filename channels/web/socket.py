"""The web chat WebSocket: `/ws/chat/{chat_id}`, replies streamed as they are written.

Client → server: `{"type": "message", "message": "...", "tone": "amigable", "message_id": "..."}`
(tone and message_id optional; the same message_id twice is answered once), `{"type": "ping"}`
and `{"type": "pong"}`. Server → client: `connection_status` on connect; per message
`processing`, `typing`, `response_start`, `response_chunk` × n, `response_end`; `message` for a
reply that did not come from a turn (a person from the shop, named in `sender`);
`ping`/`pong` heartbeats; `error` for a frame that cannot be used (the socket stays open). A
socket the server cannot write to is closed with 1011, and one whose live feed broke (Redis
restarting, with several processes) with 1012: the widget reconnects and sends again the
messages it has no `response_end` for, which are answered once, from the stored turn. A turn run
again (its worker killed after answering, or a message sent again) never shows twice on one
socket: its events after the first `response_end` are not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, cast

from fastapi import APIRouter, WebSocket, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.clean_text import text_problem
from agent.errors import NotFoundError, TurnTimeoutError
from agent.live_events import Event, EventQueue
from agent.messages import InboundMessage
from agent.models import Conversation
from agent.outbox import OutboxDispatcher
from agent.provided import DispatcherDep, SessionsDep, SettingsDep
from agent.settings import Settings
from agent.shops.current import shop_scope
from agent.shops.directory import WidgetShop, widget_shop
from channels.web.deps import WebOutputDep, WebTurnsDep
from channels.web.origins import OriginPolicy
from channels.web.output import CHANNEL, WebOutput, agent_message, timestamp
from channels.web.senders import staff_names
from channels.web.turns import WebTurns

log = logging.getLogger(__name__)

router = APIRouter()

MAX_CHAT_ID = 200
MAX_MESSAGE_ID = 200
MAX_TONE = 40
MAX_QUEUED_TURNS = 20
"""Messages a socket may have waiting for their turn; more are refused with an `error`."""
TURN_EVENTS = frozenset({"typing", "response_start", "response_chunk", "response_end"})
"""The events of a turn's reply, which a socket sends once per message."""
ENDED_KEPT = 200
"""How many ended messages a socket remembers."""


class EndedTurns:
    """The messages whose `response_end` a socket sent: a turn run again is not shown twice."""

    def __init__(self, keep: int = ENDED_KEPT) -> None:
        self._ids: deque[object] = deque(maxlen=keep)

    def repeated(self, event: Event) -> bool:
        """True for an event of a turn whose reply this socket already ended."""
        if event.get("type") not in TURN_EVENTS:
            return False
        message_id = event.get("message_id")
        if message_id in self._ids:
            return True
        if event["type"] == "response_end":
            self._ids.append(message_id)
        return False


@dataclass(frozen=True, slots=True)
class ChatFrame:
    """A customer's message from the socket."""

    message: str
    message_id: str | None = None
    tone: str | None = None


class FrameError(ValueError):
    """A frame the socket cannot use; `code` and the message go back in an `error` event."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


def parse_frame(text: str, *, max_chars: int) -> ChatFrame | str:
    """A chat message, or the type of a control frame (`ping`, `pong`); FrameError otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FrameError("invalid_json", f"the frame is not valid JSON ({err.msg})") from err
    if not isinstance(data, dict):
        raise FrameError("invalid_frame", "the frame must be a JSON object with a 'type'")
    kind = data.get("type")
    if kind in ("ping", "pong"):
        return cast(str, kind)
    if kind != "message":
        raise FrameError(
            "invalid_type", f"type must be 'message', 'ping' or 'pong', not {kind!r}", field="type"
        )
    message = data.get("message")
    if message is None:
        raise FrameError("invalid_message", "message: field required", field="message")
    if not isinstance(message, str):
        raise FrameError("invalid_message", "message: must be a string", field="message")
    if not message.strip():
        raise FrameError("invalid_message", "message: must not be empty", field="message")
    problem = text_problem(message)
    if problem is not None:
        raise FrameError("invalid_message", f"message: {problem}", field="message")
    if len(message) > max_chars:
        raise FrameError(
            "invalid_message",
            f"message: {len(message)} characters long; the limit is {max_chars}",
            field="message",
        )
    return ChatFrame(
        message=message,
        message_id=_optional_text(data, "message_id", MAX_MESSAGE_ID),
        tone=_optional_text(data, "tone", MAX_TONE),
    )


def _optional_text(data: dict[str, Any], field: str, limit: int) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise FrameError(
            f"invalid_{field}", f"{field}: must be a string of 1 to {limit} characters", field=field
        )
    problem = text_problem(value)
    if problem is not None:
        raise FrameError(f"invalid_{field}", f"{field}: {problem}", field=field)
    return value.strip()


def error_event(chat_id: str, code: str, message: str, field: str | None = None) -> Event:
    """An `error` event for one socket."""
    event: Event = {
        "type": "error",
        "code": code,
        "message": message,
        "chat_id": chat_id,
        "timestamp": timestamp(),
    }
    if field is not None:
        event["field"] = field
    return event


@dataclass(frozen=True, slots=True)
class SocketParts:
    """What a chat socket uses of the running product."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    dispatcher: OutboxDispatcher
    turns: WebTurns


@router.websocket("/ws/chat/{chat_id}")
async def chat_socket(
    websocket: WebSocket,
    chat_id: str,
    settings: SettingsDep,
    sessions: SessionsDep,
    dispatcher: DispatcherDep,
    turns: WebTurnsDep,
    output: WebOutputDep,
) -> None:
    """One customer's socket on a chat: messages in, events out. The widget's key (`?key=`,
    none for the default shop's) says whose shop the chat is with and which sites may open it."""
    async with sessions() as session:
        try:
            widget: WidgetShop | None = await widget_shop(
                session, websocket.query_params.get("key")
            )
        except NotFoundError:
            widget = None
    origin = websocket.headers.get("origin")
    allowed = widget is not None and OriginPolicy.for_widget(settings, widget.origins).allows(
        origin, host=websocket.headers.get("host"), secure=websocket.url.scheme == "wss"
    )
    await websocket.accept()
    if widget is None:
        await websocket.close(status.WS_1008_POLICY_VIOLATION, "no shop has this widget key")
        return
    if not allowed:
        log.info("web socket from origin %s refused", origin)
        await websocket.close(status.WS_1008_POLICY_VIOLATION, f"origin not allowed: {origin}")
        return
    if not chat_id.strip() or len(chat_id) > MAX_CHAT_ID or text_problem(chat_id):
        reason = f"the chat id must be 1 to {MAX_CHAT_ID} printable characters"
        await websocket.close(status.WS_1008_POLICY_VIOLATION, reason)
        return
    parts = SocketParts(settings, sessions, dispatcher, turns)
    with shop_scope(widget.shop_id):  # its turns' messages and reads are the shop's
        await ChatSocket(websocket, chat_id, parts, output).run()


class ChatSocket:
    """The tasks of one socket: read frames, run turns in order, send events, heartbeat."""

    def __init__(
        self, websocket: WebSocket, chat_id: str, parts: SocketParts, output: WebOutput
    ) -> None:
        self.websocket = websocket
        self.chat_id = chat_id
        self.parts = parts
        self.output = output
        # Not bounded by the queue itself: the `None` that ends the worker must always fit.
        self.turns: asyncio.Queue[ChatFrame | None] = asyncio.Queue()

    async def run(self) -> None:
        """Serve the socket until the client leaves; messages already received still get a turn."""
        worker = asyncio.create_task(self._work())
        try:
            async with self.output.fanout.subscribe(self.chat_id) as subscription:
                subscription.put(await self._status())
                waiting = await self.parts.dispatcher.take_waiting(CHANNEL, self.chat_id)
                async with self.parts.sessions() as session:
                    senders = await staff_names(
                        session, (row.message_id for row in waiting if row.message_id)
                    )
                for row in waiting:
                    sender = senders.get(row.message_id) if row.message_id else None
                    subscription.put(
                        agent_message(
                            self.chat_id, row.text, message_id=row.message_id, sender=sender
                        )
                    )
                helpers = [
                    asyncio.create_task(self._send(subscription)),
                    asyncio.create_task(self._beat(subscription)),
                ]
                try:
                    await self._read(subscription)
                finally:
                    for task in helpers:
                        task.cancel()
                    await asyncio.gather(*helpers, return_exceptions=True)
        finally:
            # Unsubscribed first: a reply no socket saw stays in the outbox for the next visit.
            self.turns.put_nowait(None)
            await worker

    async def _status(self) -> Event:
        async with self.parts.sessions() as session:
            owner = (
                await session.execute(
                    select(Conversation.owner).where(
                        Conversation.channel == CHANNEL,
                        Conversation.external_chat_id == self.chat_id,
                    )
                )
            ).scalar_one_or_none()
        return {
            "type": "connection_status",
            "status": "connected",
            "chat_id": self.chat_id,
            "resumed": owner is not None,
            "owner": owner or "bot",
            "heartbeat_seconds": self.parts.settings.web_heartbeat_seconds,
            "timestamp": timestamp(),
        }

    async def _read(self, subscription: EventQueue) -> None:
        limit = self.parts.settings.max_message_chars
        while True:
            received = await self.websocket.receive()
            if received["type"] == "websocket.disconnect":
                return
            text = received.get("text")
            if text is None:
                subscription.put(
                    error_event(self.chat_id, "invalid_frame", "send JSON text frames, not binary")
                )
                continue
            try:
                frame = parse_frame(text, max_chars=limit)
            except FrameError as err:
                subscription.put(error_event(self.chat_id, err.code, str(err), err.field))
                continue
            if frame == "ping":
                subscription.put({"type": "pong", "timestamp": timestamp()})
            elif isinstance(frame, ChatFrame):
                if self.turns.qsize() < MAX_QUEUED_TURNS:
                    self.turns.put_nowait(frame)
                else:
                    message = f"{MAX_QUEUED_TURNS} messages are already waiting for a reply"
                    subscription.put(error_event(self.chat_id, "busy", message))

    async def _send(self, subscription: EventQueue) -> None:
        ended = EndedTurns()
        while True:
            event = await subscription.get()
            if subscription.overflowed:
                # The client reads slower than its chat produces: it reconnects and reloads.
                await self.websocket.close(status.WS_1013_TRY_AGAIN_LATER, "too slow to keep up")
                return
            if subscription.lost:
                # Events may have been missed: the client reconnects and catches up.
                await self.websocket.close(status.WS_1012_SERVICE_RESTART, "feed restarted")
                return
            if ended.repeated(event):
                continue
            try:
                await self.websocket.send_json(event)
            except Exception as err:  # whatever failed, this socket cannot write
                # Gone, or an event it cannot carry: closed so the client reconnects and
                # reloads, never left open and silent.
                log.warning("web socket of chat %s could not send: %s", self.chat_id, err)
                with contextlib.suppress(Exception):
                    await self.websocket.close(status.WS_1011_INTERNAL_ERROR, "could not send")
                return

    async def _beat(self, subscription: EventQueue) -> None:
        interval = self.parts.settings.web_heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            subscription.put({"type": "ping", "timestamp": timestamp()})

    async def _work(self) -> None:
        while (frame := await self.turns.get()) is not None:
            try:
                await self._turn(frame)
            except Exception:  # the outer edge of a socket's turn: logged, the socket lives on
                log.exception("web turn failed on chat %s", self.chat_id)
                await self.output.fanout.publish(
                    self.chat_id,
                    error_event(
                        self.chat_id,
                        "turn_failed",
                        "the message could not be answered now; please send it again",
                    ),
                )

    async def _turn(self, frame: ChatFrame) -> None:
        chat_id = self.chat_id
        message_id = frame.message_id or uuid.uuid4().hex
        inbound = InboundMessage(
            channel=CHANNEL,
            external_message_id=message_id,
            external_chat_id=chat_id,
            text=frame.message,
            sender=chat_id,
            tone=frame.tone,
        )

        event = {"type": "processing", "chat_id": chat_id, "message_id": message_id}
        event |= {"message": frame.message, "timestamp": timestamp()}
        await self.output.fanout.publish(chat_id, event)
        try:
            await self.parts.turns.stream(inbound)
        except TurnTimeoutError as err:
            # Queued behind other turns: still queued, and its events reach the chat's sockets
            # through the fan-out when a worker runs it. An error would ask for it again.
            log.warning("web turn on chat %s still queued: %s", chat_id, err)
