"""Answers from the shop's documents (the knowledge base): the best passage, quoted and named.

Offline the passage is the answer as it is; with a model the reply is phrased from it under the
grounding guard (the passage is in the facts: no number that is not in it).
"""

from __future__ import annotations

import re

from agent.domain import DomainHandler, DomainResult, TurnContext
from agent.knowledge.search import KnowledgeBase, Passage
from agent.text import normalize
from agent.words import t

_ASKS_TO_KNOW = re.compile(
    r"\b(?:cada cuanto|con que frecuencia|cuanto dura|cuanto tiempo|cuantos? (?:anos|meses|dias)"
    r"|como (?:se|hago|funciona|es|puedo|debo)|por que|para que sirve|que (?:cubre|incluye|pasa"
    r"|significa|norma|requisitos?)|que es (?:el|la|un|una)|hay que|se debe|dan|ofrecen|dictan"
    r"|how (?:often|long|do|does|to|many years)|what (?:is|does|happens|covers?)|why|when should"
    r"|do you (?:offer|give|run|teach)|which standard)\b"
)
"""A question that asks to know something (how often, what it covers, do you offer courses),
not to see products: the shop's documents answer it when a passage holds it."""
_BROWSING = frozenset(
    {"inventory.product", "inventory.category", "inventory.catalog", "inventory.stock"}
)


def quoted(passage: Passage, language: str) -> DomainResult:
    """The reply that quotes `passage` and names its document."""
    reply = t(language, "documents.quote", place=passage.place) + "\n\n" + passage.text
    facts = {
        "section": "documents",
        "document": passage.document,
        "heading": passage.heading,
        "passage": passage.text,
    }
    return DomainResult(reply=reply, facts=facts)


def unknown(language: str) -> DomainResult:
    """ "No sé": nothing in the shop's file or documents answers the question."""
    return DomainResult(reply=t(language, "documents.unknown"), facts={"section": "unknown"})


async def from_documents(knowledge: KnowledgeBase | None, ctx: TurnContext) -> DomainResult | None:
    """The answer the shop's documents give to the turn's question, if any passage holds it."""
    if knowledge is None or not ctx.text.strip():
        return None
    passage = await knowledge.answer_in(ctx.session, ctx.text)
    return quoted(passage, ctx.language) if passage is not None else None


class DocumentsFirst:
    """The inventory handler, but a question that asks to know something the shop's documents
    answer ("¿cada cuánto se recarga un extintor?") is answered from them. Prices and stock
    are always the catalog's."""

    name = "inventory"

    def __init__(self, inventory: DomainHandler, knowledge: KnowledgeBase) -> None:
        self._inventory = inventory
        self._knowledge = knowledge

    async def handle(self, ctx: TurnContext) -> DomainResult:
        """The documents' answer to a question to know something, else the inventory's."""
        if ctx.understanding.intent in _BROWSING and _ASKS_TO_KNOW.search(normalize(ctx.text)):
            documented = await from_documents(self._knowledge, ctx)
            if documented is not None:
                return documented
        return await self._inventory.handle(ctx)
