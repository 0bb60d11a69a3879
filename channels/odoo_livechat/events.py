"""The addon's webhook body as the agent reads it, and the ids it becomes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

CHANNEL = "odoo"
"""The channel name of Odoo livechat conversations (inbox, conversations, outbox)."""


class LivechatEvent(BaseModel):
    """A message posted in a livechat session the agent serves (see the addon's webhook.py)."""

    version: int = 1
    database: str = Field(min_length=1, max_length=100)
    channel_id: int = Field(gt=0, description="The session's discuss.channel id.")
    message_id: int = Field(gt=0, description="The mail.message id.")
    body: str = Field(default="", max_length=20_000)
    author_role: Literal["visitor", "operator"]
    author_name: str = ""
    visitor_name: str = ""
    language: str | None = None
    country: str | None = None
    livechat_channel_id: int | None = None
    bot_partner_id: int | None = None
    odoo_version: str | None = None

    @property
    def chat_id(self) -> str:
        """The conversation's external chat id: one livechat session of one database."""
        return chat_id(self.database, self.channel_id)

    @property
    def external_message_id(self) -> str:
        """The inbox key: a message id is unique within its database."""
        return f"{self.database}:{self.message_id}"


def chat_id(database: str, channel_id: int) -> str:
    """`<database>:<discuss.channel id>`."""
    return f"{database}:{channel_id}"


def channel_of(chat: str) -> tuple[str, int]:
    """The database and discuss.channel id of a chat id made by `chat_id`."""
    database, _, channel = chat.rpartition(":")
    if not database or not channel.isdigit():
        raise ValueError(f"{chat!r} is not an Odoo livechat chat id")
    return database, int(channel)
