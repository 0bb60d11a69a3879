"""A staff question, start to finish: the rules' reading, else the model's choice, then the one
query it names, or what the assistant can answer. A request to restock or change a price is read
first, and answered with the proposal it makes (`console/assistant/proposing.py`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex
from agent.db import reading_session
from agent.llm.factory import LLM
from agent.settings import Settings
from agent.words import N_, t
from console.assistant import model
from console.assistant.answers import Answer
from console.assistant.queries import run
from console.assistant.questions import MONEY_QUERIES, Ask, QueryName
from console.assistant.reader import Reader
from console.assistant.requests import MANAGER_REQUESTS, Request, read_request

MAX_QUESTION = 300
HELP = {
    QueryName.LOW_STOCK: N_("assistant.help.low_stock"),
    QueryName.SALES: N_("assistant.help.sales"),
    QueryName.TOP_PRODUCTS: N_("assistant.help.top_products"),
    QueryName.BUYERS: N_("assistant.help.buyers"),
    QueryName.OPEN_ORDERS: N_("assistant.help.open_orders"),
    QueryName.NEW_CUSTOMERS: N_("assistant.help.new_customers"),
    QueryName.WAITING_HANDOFFS: N_("assistant.help.waiting_handoffs"),
}
"""An example question of each query, what the assistant says it can answer."""


class Source(enum.StrEnum):
    """Who read the question."""

    RULES = "rules"
    MODEL = "model"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Reply:
    """The question as read, and its answer (None: the assistant says what it can do)."""

    language: str
    source: Source
    ask: Ask | None
    answer: Answer | None
    request: Request | None = None
    """A restock or price change asked for (then `ask` is None)."""

    def as_json(self, settings: Settings, *, manager: bool) -> dict[str, Any]:
        """The reply for the page's script (the examples those a manager or an agent may ask)."""
        return {
            "language": self.language,
            "source": self.source.value,
            "query": self.ask.query.value
            if self.ask
            else self.request.name.value
            if self.request
            else None,
            "params": self.ask.params()
            if self.ask
            else self.request.params()
            if self.request
            else {},
            "answer": None
            if self.answer is None
            else self.answer.as_json(
                language=self.language,
                currency=settings.currency,
                zone=ZoneInfo(settings.shop_timezone),
            ),
            "help": None if self.answer is not None else help_text(self.language, manager=manager),
        }


def examples(language: str, *, manager: bool) -> list[str]:
    """An example question of each query the staff member may ask."""
    return [
        t(language, key) for query, key in HELP.items() if manager or query not in MONEY_QUERIES
    ]


def help_text(language: str, *, manager: bool) -> dict[str, object]:
    """What the assistant can answer, with an example question for each query."""
    return {
        "message": t(language, "assistant.help.message"),
        "examples": examples(language, manager=manager),
    }


async def read_question(
    question: str, *, index: ProductIndex, llm: LLM | None, shop: str, budget: float
) -> Reply:
    """The query or request `question` asks for (no answer yet): the rules' reading, else a
    configured model's choice, else none."""
    request = read_request(question, index)
    if request is not None:
        return Reply(request.language, Source.RULES, None, None, request)
    reading = Reader(index).read(question)
    if reading.ask is not None:
        return Reply(reading.language, Source.RULES, reading.ask, None)
    if llm is not None and llm.service.enabled:
        chosen = await model.choose(llm, index, question, shop=shop, budget=budget)
        if isinstance(chosen, Request):
            chosen = replace(chosen, language=reading.language)
            return Reply(reading.language, Source.MODEL, None, None, chosen)
        if chosen is not None:
            return Reply(reading.language, Source.MODEL, chosen, None)
    return Reply(reading.language, Source.NONE, None, None)


def needs_manager(reply: Reply) -> bool:
    """Whether the query is about revenue, or the request changes a price (managers only, as
    the dashboard)."""
    if reply.request is not None:
        return reply.request.name in MANAGER_REQUESTS
    return reply.ask is not None and reply.ask.query in MONEY_QUERIES


async def answer(
    ask: Ask,
    *,
    sessions: async_sessionmaker[AsyncSession],
    index: ProductIndex,
    settings: Settings,
    language: str,
) -> Answer:
    """Run the one query `ask` names, read-only."""
    zone = ZoneInfo(settings.shop_timezone)
    async with reading_session(sessions) as session:
        return await run(
            session, index, ask, language=language, today=datetime.now(zone).date(), zone=zone
        )
