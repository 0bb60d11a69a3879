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
        ("y el arnes tambien 2", CART, "purchase.add"),
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
        ("la de cuero en 37, una", OFFERED, 1),
        ("quiero 3 cascos, pedido #999", NEW, 3),
        ("agrégame #999 unidades", OFFERED, None),
        ("en qué va la orden 2210", NEW, None),
        ("dame 2 de esos", OFFERED, 2),
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


EXTINGUISHER = DialogState(
    focus="Extintor multipropósito PQS ABC 10 lb", topic="inventory.price", last_products=["X"]
)
HELMET = DialogState(
    focus="Casco de seguridad tipo I clase E con ratchet blanco",
    topic="inventory.stock",
    last_products=["X"],
)
HELMET_EN = DialogState(
    focus="Casco de seguridad tipo I clase E con ratchet blanco", topic="inventory", language="en"
)
BOOT_IN_CART = DialogState(
    sale_state=SaleState.CART,
    has_cart=True,
    focus="Bota de seguridad punta de acero caña alta talla 43",
    topic="purchase.add",
)
HOURS = DialogState(topic="company.hours")


@pytest.mark.parametrize(
    ("text", "state", "intent", "product", "quantity"),
    [
        ("y el de 20?", EXTINGUISHER, "inventory.product", "pqs abc 20 lb", None),
        ("y del de 30 cuantos hay", EXTINGUISHER, "inventory.stock", "pqs abc 30 lb", None),
        ("deme 1 del de 20", EXTINGUISHER, "purchase.add", "pqs abc 20 lb", 1),
        ("lo tienen en azul?", HELMET, "inventory.stock", "ratchet azul", None),
        ("y en verde?", HELMET, "inventory.product", "ratchet verde", None),
        ("entonces 4 azules", HELMET, "purchase.add", "ratchet azul", 4),
        ("and in blue?", HELMET_EN, "inventory.product", "ratchet azul", None),
        ("I'll take 3 red ones", HELMET_EN, "purchase.add", "ratchet rojo", 3),
        ("and one of the yellow ones", HELMET_EN, "purchase.add", "ratchet amarillo", 1),
        ("y 2 de la 42", BOOT_IN_CART, "purchase.add", "talla 42", 2),
        ("y en talla 44?", BOOT_IN_CART, "inventory.product", "talla 44", None),
    ],
)
def test_follow_ups_name_the_product_in_focus(
    reader: OfflineReader,
    text: str,
    state: DialogState,
    intent: str,
    product: str,
    quantity: int | None,
) -> None:
    reading = reader.understand(text, state)
    assert reading.intent == intent
    [mention] = reading.entities.products
    assert mention.text.endswith(product)
    assert mention.quantity == quantity


@pytest.mark.parametrize("text", ["y el domingo?", "y los festivos?", "and sundays?"])
def test_follow_ups_keep_the_topic(reader: OfflineReader, text: str) -> None:
    assert reader.understand(text, HOURS).intent == "company.hours"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("y el de 20?", NEW),  # nothing in focus: nothing to refer to
        ("y 2 cascos blancos", EXTINGUISHER),  # a product of its own
        ("dejalo en 5", BOOT_IN_CART),  # a new quantity, not size 5
        ("y el domingo?", EXTINGUISHER),  # a day means nothing for a product
        ("and one of the co2 20 lb", EXTINGUISHER),  # another kind, said by its words
    ],
)
def test_not_a_follow_up(reader: OfflineReader, text: str, state: DialogState) -> None:
    reading = reader.understand(text, state)
    assert not any(m.text.startswith("extintor multiproposito") for m in reading.entities.products)
    assert not (reading.intent == "company.hours" and state.topic != "company.hours")


@pytest.mark.parametrize(
    ("text", "products"),
    [
        (
            "2 pares de botas de caucho talla 40 y 1 par talla 42",
            [("botas de caucho talla 40", 2), ("botas de caucho talla 42", 1)],
        ),
        ("quiero 2 botas talla 40 y 3 de la 41", [("botas talla 40", 2), ("botas talla 41", 3)]),
        ("quiero 2 cascos y 3 de la 41", [("cascos", 2)]),  # no size to swap: one item
    ],
)
def test_another_size_in_the_same_message_is_another_item(
    reader: OfflineReader, text: str, products: list[tuple[str, int]]
) -> None:
    reading = reader.understand(text, NEW)
    assert [(m.text, m.quantity) for m in reading.entities.products] == products


def test_make_the_named_line_a_new_quantity(reader: OfflineReader) -> None:
    reading = reader.understand("make the lanyards 4", CART)
    assert reading.intent == "purchase.change" and reading.entities.quantity == 4


RED_HELMET = DialogState(
    focus="Casco de seguridad tipo I clase E con ratchet rojo", last_products=["X"]
)
ORANGE_VEST = DialogState(focus="Chaleco reflectivo en malla naranja", last_products=["X"])
ORANGE_VEST_EN = DialogState(
    focus="Chaleco reflectivo en malla naranja", last_products=["X"], language="en"
)


@pytest.mark.parametrize(
    ("text", "state", "products"),
    [
        ("bueno mandeme esos 3 y 2 azules", RED_HELMET, [("ratchet rojo", 3), ("ratchet azul", 2)]),
        (
            "deme 10 del naranja y 10 del verde",
            ORANGE_VEST,
            [("malla naranja", 10), ("malla verde", 10)],
        ),
        ("5 of each, orange and green", ORANGE_VEST_EN, [("malla naranja", 5), ("malla verde", 5)]),
    ],
)
def test_several_follow_ups_in_one_message_are_several_items(
    reader: OfflineReader, text: str, state: DialogState, products: list[tuple[str, int]]
) -> None:
    reading = reader.understand(text, state)
    assert reading.intent == "purchase.add"
    got = [(m.text, m.quantity) for m in reading.entities.products]
    assert len(got) == len(products)
    for (text_got, qty_got), (end, qty) in zip(got, products, strict=True):
        assert text_got.endswith(end) and qty_got == qty


@pytest.mark.parametrize(
    ("text", "intent", "before"),
    [
        ("bueno entonces sin los guantes, solo eso", "purchase.checkout", "purchase.remove"),
        ("quite las gafas y ponga 3 monogafas", "purchase.add", "purchase.remove"),
        ("agregue 2 cascos y eso es todo", "purchase.checkout", "purchase.add"),
        ("quite las gafas", "purchase.remove", None),
        ("eso es todo", "purchase.checkout", None),
    ],
)
def test_an_edit_before_the_main_act(
    reader: OfflineReader, text: str, intent: str, before: str | None
) -> None:
    reading = reader.understand(text, CART)
    assert (reading.intent, reading.before) == (intent, before)


@pytest.mark.parametrize(
    ("text", "intent"),
    [("y mas tarde abren?", "company.hours"), ("por ahora no, cuanto vale el envio?", "company")],
)
def test_a_question_with_a_not_now_is_answered(
    reader: OfflineReader, text: str, intent: str
) -> None:
    assert reader.understand(text, OFFERED).intent.startswith(intent)


def test_a_price_said_to_pick_one_is_no_size(reader: OfflineReader) -> None:
    reading = reader.understand("la de 135 mil, 2 pares", BOOT_IN_CART)
    assert not any("talla 135" in m.text for m in reading.entities.products)
