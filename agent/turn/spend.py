"""Model spend accounting: calls, tokens and cost, on the message and on its conversation."""

from __future__ import annotations

from decimal import Decimal

from agent.llm.service import Spend
from agent.models import Conversation, Message


def record_spend(conversation: Conversation, message: Message, spend: Spend) -> None:
    """Add a model spend to a message row and to its conversation's totals."""
    if spend.calls == 0:
        return
    message.llm_model = spend.model
    message.llm_calls = (message.llm_calls or 0) + spend.calls
    message.prompt_tokens = (message.prompt_tokens or 0) + spend.usage.prompt_tokens
    message.completion_tokens = (message.completion_tokens or 0) + spend.usage.completion_tokens
    message.llm_cost_usd = (message.llm_cost_usd or Decimal(0)) + spend.cost_usd
    conversation.llm_calls = (conversation.llm_calls or 0) + spend.calls
    conversation.prompt_tokens = (conversation.prompt_tokens or 0) + spend.usage.prompt_tokens
    conversation.completion_tokens = (
        conversation.completion_tokens or 0
    ) + spend.usage.completion_tokens
    conversation.llm_cost_usd = (conversation.llm_cost_usd or Decimal(0)) + spend.cost_usd
