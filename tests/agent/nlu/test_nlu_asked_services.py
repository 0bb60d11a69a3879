"""Services asked of the shop, read as what is asked for ("¿me bordan el logo?" asks for
embroidery), and how long a service takes, which is no shipping question."""

from __future__ import annotations

import pytest

from agent.models import SaleState
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState

NEW = DialogState()
NEW_EN = DialogState(language="en")
CHECKOUT = DialogState(
    sale_state=SaleState.COLLECTING_DATA, pending_field="national_id", has_cart=True
)
REFILL_IN_CART = DialogState(sale_state=SaleState.CART, has_cart=True, last_products=["REC-PQS-20"])


@pytest.fixture(scope="module")
def reader() -> OfflineReader:
    return OfflineReader(Lexicon())


@pytest.mark.parametrize(
    ("text", "state", "service"),
    [
        ("ustedes estampan camisetas con el logo?", NEW, "estampado"),
        ("oiga y me pueden bordar el nombre en las camisas?", CHECKOUT, "bordado"),
        ("hacen instalacion de gabinetes en la oficina?", NEW, "instalación"),
        ("ustedes arreglan extintores viejos?", NEW, "reparación"),
        ("do you embroider logos on work shirts?", NEW_EN, "embroidery"),
        ("can you engrave our name on the helmets?", NEW_EN, "engraving"),
    ],
)
def test_a_service_asked_of_the_shop_is_what_is_asked_for(
    reader: OfflineReader, text: str, state: DialogState, service: str
) -> None:
    understanding = reader.understand(text, state)
    assert understanding.intent == "inventory.product"
    assert [m.text for m in understanding.entities.products] == [service]


def test_a_word_of_a_product_name_asks_for_no_service() -> None:
    desks = Lexicon.from_products(
        [("Customizable Desk (Steel, White)", "Office Furniture", [])], language="en"
    )
    reader = OfflineReader(desks)
    understanding = reader.understand("quiero 1 Customizable Desk (Steel, White)", NEW)
    assert "personalización" not in [m.text for m in understanding.entities.products]


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("y cuanto tardan en revisarlos?", REFILL_IN_CART),
        ("cuanto se demoran en hacerles la recarga", REFILL_IN_CART),
    ],
)
def test_how_long_a_service_takes_is_a_question_about_it(
    reader: OfflineReader, text: str, state: DialogState
) -> None:
    assert reader.understand(text, state).intent == "inventory.product"


@pytest.mark.parametrize("text", ["cuanto se demoran en llegar a cali?", "cuanto tardan?"])
def test_how_long_delivery_takes_stays_a_shipping_question(
    reader: OfflineReader, text: str
) -> None:
    assert reader.understand(text, NEW).intent == "company.shipping"
