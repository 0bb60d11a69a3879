"""Several asks in one message: each clause read on its own, only when they ask different
things the shop answers."""

from __future__ import annotations

import pytest

from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState

NEW = DialogState()
SHOWN = DialogState(last_products=["BOT-PVC-41", "BOT-ACE-41"])


@pytest.fixture(scope="module")
def reader() -> OfflineReader:
    return OfflineReader(Lexicon())


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        (
            "hola tengo 4 preguntas, cuanto vale el extintor de 20 libras, tienen botas talla 41,"
            " a q hora cierran el sabado y hacen envios a chinchina?",
            ["inventory.price", "inventory.stock", "company.hours", "company.shipping"],
        ),
        (
            "do you have orange vests, how much is the dielectric helmet, and do you take nequi?",
            ["inventory.stock", "inventory.price", "company.payment"],
        ),
        (
            "cuanto vale el arnes de 4 argollas y agregueme 2 eslingas",
            ["inventory.price", "purchase.add"],
        ),
    ],
)
def test_each_question_is_a_part(reader: OfflineReader, text: str, intents: list[str]) -> None:
    parts = reader.understand(text, NEW).parts

    assert [part.understanding.intent for part in parts] == intents


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("necesito 10 guantes de nitrilo, 5 cascos blancos y 5 gafas oscuras", NEW),
        ("hola, cuanto vale el casco dielectrico?", NEW),
        ("la de 135 mil, 2 pares", SHOWN),
        ("cuanto vale el casco dielectrico y el de ala completa", NEW),
    ],
)
def test_one_ask_stays_whole(reader: OfflineReader, text: str, state: DialogState) -> None:
    assert reader.understand(text, state).parts == []
