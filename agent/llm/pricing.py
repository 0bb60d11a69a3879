"""Estimated cost of a call: USD per million tokens, from a small table or the settings.

The table holds list prices of the Gemini API's paid tier as published by the vendor for
text input and output; they change, so a shop can set LLM_PRICE_INPUT_PER_MTOK and
LLM_PRICE_OUTPUT_PER_MTOK, which win. A local model (Ollama) costs nothing per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from agent.llm.types import Usage

MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million prompt tokens and per million completion tokens."""

    input: Decimal
    output: Decimal

    def cost(self, usage: Usage) -> Decimal:
        """What `usage` costs, in USD."""
        spent = self.input * usage.prompt_tokens + self.output * usage.completion_tokens
        return (spent / MILLION).quantize(Decimal("0.000001"))


FREE = Price(Decimal(0), Decimal(0))

# Matched by the first family the model name contains (most specific first).
GEMINI_PRICES: tuple[tuple[str, Price], ...] = (
    ("flash-lite", Price(Decimal("0.10"), Decimal("0.40"))),
    ("flash", Price(Decimal("0.30"), Decimal("2.50"))),
    ("pro", Price(Decimal("1.25"), Decimal("10.00"))),
)


def price_for(
    provider: str,
    model: str,
    *,
    input_per_mtok: float | None = None,
    output_per_mtok: float | None = None,
) -> Price:
    """The price of `model`: the settings when given, else the table, else free (local)."""
    if input_per_mtok is not None or output_per_mtok is not None:
        return Price(Decimal(str(input_per_mtok or 0)), Decimal(str(output_per_mtok or 0)))
    if provider != "gemini":
        return FREE
    for family, price in GEMINI_PRICES:
        if family in model:
            return price
    return GEMINI_PRICES[1][1]
