"""HTTP chat: one message in, the turn's result out."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from agent.deps import EngineDep, SettingsDep
from agent.errors import InvalidInputError
from agent.messages import InboundMessage, TurnResult

router = APIRouter(tags=["chat"])

CHANNEL = "api"


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
async def chat_text(body: ChatTextRequest, engine: EngineDep, settings: SettingsDep) -> TurnResult:
    """Answer one message: reply, intent, confidence, sale state, order, cart and products."""
    if len(body.message) > settings.max_message_chars:
        raise InvalidInputError(
            f"message is {len(body.message)} characters long; "
            f"the limit is {settings.max_message_chars}",
            field="message",
        )
    inbound = InboundMessage(
        channel=CHANNEL,
        external_message_id=body.message_id or uuid.uuid4().hex,
        external_chat_id=body.chat_id,
        text=body.message,
        sender=body.chat_id,
    )
    return await engine.handle(inbound)
