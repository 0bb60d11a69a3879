"""Dialogue acts read in context: answers to an offer, a closed order, quantities that are not."""

from __future__ import annotations

import pytest

from agent.models import SaleState
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState

OFFERED = DialogState(offer="purchase.add", last_products=["RES-CARA-01"])
OFFERED_EN = DialogState(offer="purchase.add", last_products=["RES-CARA-01"], language="en")
CART = DialogState(sale_state=SaleState.CART, has_cart=True, last_products=["TAP-SIL-01"])
CLOSED = DialogState(sale_state=SaleState.CLOSED)
NEW = DialogState()


@pytest.fixture(scope="module")
def reader() -> OfflineReader:
    return OfflineReader(Lexicon())


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("por ahora no, gracias", OFFERED, "purchase.deny"),
        ("dejeme consultarlo con mi jefe", OFFERED, "purchase.deny"),
        ("ok dejeme lo pienso", OFFERED, "purchase.deny"),
        ("no gracias", OFFERED, "purchase.deny"),
        ("not now, thanks", OFFERED_EN, "purchase.deny"),
        ("let me think about it", OFFERED_EN, "purchase.deny"),
        ("si porfa", OFFERED, "purchase.add"),
        ("bueno, mandeme esas 2", OFFERED, "purchase.add"),
        ("mejor que sean 12", CART, "purchase.change"),
        ("no, mejor 8", CART, "purchase.change"),
        ("solo eso", CART, "purchase.checkout"),
        ("ok solo eso", CART, "purchase.checkout"),
        ("cerremos", CART, "purchase.checkout"),
        ("listo cerremos", CART, "purchase.checkout"),
        ("let's wrap it up", CART, "purchase.checkout"),
        ("si", CLOSED, "purchase.confirm"),
        ("yes", CLOSED, "purchase.confirm"),
    ],
)
def test_acts_in_context(reader: OfflineReader, text: str, state: DialogState, intent: str) -> None:
    assert reader.understand(text, state).intent == intent


@pytest.mark.parametrize("text", ["por ahora no", "dejeme lo pienso", "ok, luego le digo"])
def test_putting_off_is_not_a_decline_without_an_offer(reader: OfflineReader, text: str) -> None:
    assert reader.understand(text, NEW).intent != "purchase.deny"


@pytest.mark.parametrize(
    ("text", "state", "quantity"),
    [
        ("mil gracias", NEW, None),
        ("mil gracias", OFFERED, None),
        ("quiero mil guantes de nitrilo", NEW, 1000),
    ],
)
def test_numbers_that_are_not_quantities(
    reader: OfflineReader, text: str, state: DialogState, quantity: int | None
) -> None:
    assert reader.understand(text, state).entities.quantity == quantity


def test_each_item_keeps_its_own_quantity(reader: OfflineReader) -> None:
    reading = reader.understand(
        "necesito 20 cascos amarillos de pines 40 pares de guantes de hilaza", NEW
    )
    assert [m.quantity for m in reading.entities.products] == [20, 40]
