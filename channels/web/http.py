"""HTTP chat: one message in and the turn's result out, a chat's history, health and info."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

import agent
from agent.errors import InvalidInputError
from agent.messages import InboundMessage, TurnResult
from agent.provided import OutputsDep, SessionDep, SessionsDep, SettingsDep
from agent.shops.current import shop_scope
from agent.shops.directory import widget_shop
from channels.web.deps import WebOutputDep, WebTurnsDep
from channels.web.fanout import LocalFanOut
from channels.web.history import ChatHistory, chat_history, shop_counts
from channels.web.output import CHANNEL

router = APIRouter(tags=["chat"])

WidgetKey = Annotated[
    str | None, Query(max_length=200, description="The shop's widget key; none: the default shop.")
]


class ChatTextRequest(BaseModel):
    """A customer's text message."""

    chat_id: str = Field(min_length=1, max_length=200, description="The customer's chat id.")
    message: str = Field(description="What the customer wrote.")
    message_id: str | None = Field(
        default=None,
        max_length=200,
        description="The sender's id for this message; the same id twice is answered once.",
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message must not be empty")
        return value


@router.post("/chat/text", response_model=TurnResult)
async def chat_text(
    body: ChatTextRequest,
    settings: SettingsDep,
    turns: WebTurnsDep,
    sessions: SessionsDep,
    key: WidgetKey = None,
) -> TurnResult:
    """Answer one message: reply, intent, confidence, sale state, order, cart and products."""
    if len(body.message) > settings.max_message_chars:
        raise InvalidInputError(
            f"message is {len(body.message)} characters long; "
            f"the limit is {settings.max_message_chars}",
            field="message",
        )
    async with sessions() as session:
        widget = await widget_shop(session, key)
    inbound = InboundMessage(
        channel=CHANNEL,
        external_message_id=body.message_id or uuid.uuid4().hex,
        external_chat_id=body.chat_id,
        text=body.message,
        sender=body.chat_id,
        shop_id=widget.shop_id,
    )
    return await turns.answer(inbound)


@router.get(
    "/chat/history/{chat_id}",
    response_model=ChatHistory,
    responses={404: {"description": "No chat with this id has written yet."}},
)
async def history(
    chat_id: str,
    sessions: SessionsDep,
    key: WidgetKey = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Messages per page.")] = 50,
    before: Annotated[
        int | None, Query(ge=1, description="Only messages older than this message id.")
    ] = None,
) -> ChatHistory:
    """The chat's messages, newest page first (oldest first within the page)."""
    async with sessions() as session:
        widget = await widget_shop(session, key)
    with shop_scope(widget.shop_id):
        async with sessions() as session:
            return await chat_history(
                session, channel=CHANNEL, chat_id=chat_id, limit=limit, before=before
            )


@router.get("/chat/health", tags=["health"])
async def chat_health(output: WebOutputDep) -> dict[str, Any]:
    """The chat service answers (no database work: the framework's floor)."""
    fanout = output.fanout
    sockets = fanout.sockets if isinstance(fanout, LocalFanOut) else None
    return {"status": "ok", "channel": CHANNEL, "sockets": sockets}


@router.get("/info", tags=["health"])
async def info(settings: SettingsDep, outputs: OutputsDep, session: SessionDep) -> dict[str, Any]:
    """Version, language-model provider, channels enabled and the shop's counts."""
    return {
        "name": "salesagent",
        "version": agent.__version__,
        "shop": settings.shop_name,
        "llm_provider": getattr(settings, "llm_provider", None) or "offline",
        "channels": sorted(outputs),
        "counts": await shop_counts(session),
    }
