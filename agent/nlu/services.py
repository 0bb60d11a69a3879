"""A service named with what it is done to: "recargar 4 extintores de 10 libras" is 4 refills.

The reader finds two mentions there, the service ("recarga") and the thing serviced ("4
extintores de 10 libras"); when one product of the shop is named by both words (a "Recarga de
extintor …"), they are one mention, with the thing's words and the quantity said of either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from agent.nlu.tokens import Token
from agent.nlu.vocabulary import ARTICLES, CONNECTORS, QUANTITY_CONNECTORS

_GAP = ARTICLES | CONNECTORS | QUANTITY_CONNECTORS
"""Words that may stand between a service and what it is done to ("mantenimiento a los 6")."""


class _Named(Protocol):
    def named_together(self, first: str, second: str) -> bool: ...


class _Mention(Protocol):
    words: list[str]
    quantity: int | None
    category: str
    broad: bool


M = TypeVar("M", bound=_Mention)


def join_serviced(
    mentions: list[M],
    spans: Sequence[tuple[int, int]],
    tokens: Sequence[Token],
    lexicon: _Named,
) -> list[M]:
    """The mentions with each bare service joined to the thing it is done to, right after it.

    `spans` are the (start, end) token positions of the mentions; between the two only a
    count and small words may stand ("recargar *4* extintores", "mantenimiento *a 6*
    extintores"), and one quantity at most is said.
    """
    joined: list[M] = []
    i = 0
    while i < len(mentions):
        service = mentions[i]
        if i + 1 < len(mentions) and _serves(service, mentions[i + 1], lexicon):
            gap = tokens[spans[i][1] : spans[i + 1][0]]
            if all(t.is_word and (t.text in _GAP or t.text.isdigit()) for t in gap):
                thing = mentions[i + 1]
                service.words = [*service.words, "de", *thing.words]
                service.quantity = service.quantity or thing.quantity
                service.broad = False
                joined.append(service)
                i += 2
                continue
        joined.append(service)
        i += 1
    return joined


def _serves(service: _Mention, thing: _Mention, lexicon: _Named) -> bool:
    """A lone word of another kind, one product named by both, one quantity at most."""
    return (
        len(service.words) == 1
        and service.category != thing.category
        and (service.quantity is None or thing.quantity is None)
        and lexicon.named_together(service.words[0], thing.words[0])
    )
