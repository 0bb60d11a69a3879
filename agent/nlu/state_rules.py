"""Which intents the state of the conversation allows, whoever proposes them (the intent
classifier or a language model): a yes or a no needs something to answer, data needs a sale
open, and a change or a removal needs a cart."""

from __future__ import annotations

from agent.models import SaleState
from agent.nlu.types import DialogState

_NEEDS_SUMMARY = {"purchase.confirm", "purchase.deny"}
_NEEDS_SALE = {"purchase.data"}
_NEEDS_CART = {"purchase.change", "purchase.remove"}
_OPEN_SALE = (SaleState.CART, SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)


def refusal(intent: str, state: DialogState) -> str | None:
    """Why the state of the conversation does not allow `intent` (None: it does)."""
    summary = state.sale_state == SaleState.READY_TO_CONFIRM
    if intent == "purchase.confirm" and state.sale_state == SaleState.CLOSED:
        return None  # a yes once the order is placed: the agent says it already is
    if intent in _NEEDS_SUMMARY and not summary and state.offer is None:
        return f"{intent} with no summary or offer to answer"
    if intent in _NEEDS_SALE and state.sale_state not in _OPEN_SALE:
        return f"{intent} with no sale open"
    if intent in _NEEDS_CART and not state.has_cart:
        return f"{intent} with an empty cart"
    return None
