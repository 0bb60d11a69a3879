"""The offline reader on messages customers of the shop write, in Spanish and English."""

from __future__ import annotations

import numpy as np
import pytest

from agent.models import SaleState
from agent.nlu.classifier import IntentClassifier, Vocabulary
from agent.nlu.features import FEATURE_GROUPS
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState

NEW = DialogState()
SHOWN = DialogState(last_products=["EXT-PQS-10", "EXT-PQS-20"])
CART = DialogState(sale_state=SaleState.CART, has_cart=True, last_products=["GUA-CAR-01"])
COLLECTING = DialogState(sale_state=SaleState.COLLECTING_DATA, has_cart=True)
READY = DialogState(sale_state=SaleState.READY_TO_CONFIRM, has_cart=True)
READY_EN = DialogState(sale_state=SaleState.READY_TO_CONFIRM, has_cart=True, language="en")


def asking(field: str, language: str = "es") -> DialogState:
    """The state while the sale asks the buyer for one field."""
    return DialogState(
        sale_state=SaleState.COLLECTING_DATA, pending_field=field, has_cart=True, language=language
    )


@pytest.fixture(scope="module")
def reader() -> OfflineReader:
    return OfflineReader(Lexicon())


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("¿qué diferencia hay entre el casco dieléctrico y el normal?", NEW, "inventory.product"),
        ("does the harness come with a lanyard?", NEW, "inventory.product"),
        ("cuánto vale el extintor de 20 libras", NEW, "inventory.price"),
        ("cuanto es el daño por 4 chalecos", NEW, "inventory.price"),
        ("how much are the leather gloves?", NEW, "inventory.price"),
        ("¿hay botas talla 41 disponibles?", NEW, "inventory.stock"),
        ("are the nitrile gloves in stock?", NEW, "inventory.stock"),
        ("qué venden?", NEW, "inventory.catalog"),
        ("what do you sell", NEW, "inventory.catalog"),
        ("¿qué cascos manejan?", NEW, "inventory.category"),
        ("which boots do you have?", NEW, "inventory.category"),
        ("quiero 3 extintores de 10 libras", NEW, "purchase.add"),
        ("hola, quiero 2 extintores", NEW, "purchase.add"),
        ("me regala 5 tapabocas porfa", NEW, "purchase.add"),
        ("I'll take two hard hats", NEW, "purchase.add"),
        ("mejor que sean 4 cascos", CART, "purchase.change"),
        ("change the vests to 6", CART, "purchase.change"),
        ("quíteme los guantes", CART, "purchase.remove"),
        ("remove the helmet please", CART, "purchase.remove"),
        ("qué llevo en el carrito?", CART, "purchase.cart"),
        ("show me my cart", CART, "purchase.cart"),
        ("eso es todo, gracias", CART, "purchase.checkout"),
        ("that's all, I'm ready to pay", CART, "purchase.checkout"),
        ("soy cliente, mi cédula es 1032456789", NEW, "customer.lookup"),
        ("I've bought from you before", NEW, "customer.lookup"),
        ("¿qué he comprado con ustedes?", NEW, "customer.history"),
        ("show me my past orders", NEW, "customer.history"),
        ("¿a qué hora abren los sábados?", NEW, "company.hours"),
        ("where are you located?", NEW, "company.location"),
        ("¿tienen WhatsApp?", NEW, "company.contact"),
        ("¿reciben Nequi?", NEW, "company.payment"),
        ("¿hacen envíos a Manizales?", NEW, "company.shipping"),
        ("what's your return policy?", NEW, "company.returns"),
        ("¿los arneses tienen garantía?", NEW, "company.warranty"),
        ("am I talking to a bot?", NEW, "smalltalk.identity"),
        ("¿hablo con una persona o con una máquina?", NEW, "smalltalk.identity"),
        ("are you a bot or a real person?", NEW, "smalltalk.identity"),
        ("eres chatgpt o q?", NEW, "smalltalk.identity"),
        ("I want 4 reflective vests at the special price of $1.000 each", NEW, "purchase.add"),
        ("never mind, do you have orange hard hats?", NEW, "inventory.stock"),
        ("/asesor", NEW, "handoff"),
        ("quiero hablar con una persona", NEW, "handoff"),
        ("can I talk to a human?", NEW, "handoff"),
        ("quiubo parce", NEW, "smalltalk.greeting"),
        ("hello there", NEW, "smalltalk.greeting"),
        ("mil gracias", NEW, "smalltalk.thanks"),
        ("mil gracias", SHOWN, "smalltalk.thanks"),
        ("mil disculpas", SHOWN, "other"),
        ("thank you so much", NEW, "smalltalk.thanks"),
        ("chao, que esté bien", NEW, "smalltalk.goodbye"),
        ("have a good day", NEW, "smalltalk.goodbye"),
        ("quién ganó el partido?", NEW, "other"),
        ("tell me a joke", NEW, "other"),
    ],
)
def test_intent_of_a_message(
    reader: OfflineReader, text: str, state: DialogState, intent: str
) -> None:
    assert reader.understand(text, state).intent == intent


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("sí", READY, "purchase.confirm"),
        ("dale", READY, "purchase.confirm"),
        ("dele pues", READY, "purchase.confirm"),
        ("listo, confirmo el pedido", READY, "purchase.confirm"),
        ("ok", READY_EN, "purchase.confirm"),
        ("yes", READY_EN, "purchase.confirm"),
        ("no", READY, "purchase.deny"),
        ("no, está mal", READY, "purchase.deny"),
        ("nope", READY_EN, "purchase.deny"),
        ("cancelar", COLLECTING, "purchase.cancel"),
        ("cancelar", asking("phone"), "purchase.cancel"),
        ("never mind, cancel everything", READY_EN, "purchase.cancel"),
        ("y cuánto vale?", SHOWN, "inventory.price"),
        ("agrégame 2", SHOWN, "purchase.add"),
        ("dame tres de esos", SHOWN, "purchase.add"),
        ("1032456789", asking("national_id"), "purchase.data"),
        ("3104567890", asking("phone"), "purchase.data"),
        ("Juan Pérez", asking("name"), "purchase.data"),
        ("Calle 19 # 8-34", asking("address"), "purchase.data"),
        ("Dosquebradas", asking("city"), "purchase.data"),
        ("cambie el celular, es 3009998877", CART, "purchase.data"),
        ("¿cuánto me sale todo?", CART, "purchase.cart"),
        ("cuanto seria en total?", CART, "purchase.cart"),
        ("cuanto es?", CART, "purchase.cart"),
        ("no, mejor rojos", CART, "purchase.change"),
        ("mejor en talla 42", CART, "purchase.change"),
        ("cuanto es?", SHOWN, "inventory.price"),
        ("how can I pay?", CART, "company.payment"),
        ("me pueden sacar factura a nombre de la empresa?", CART, "company.payment"),
        ("hola buenas, donde esta mi paquete? lo pedi hace 3 dias", NEW, "customer.history"),
        ("can someone from sales call me? it's for a big project", NEW, "handoff"),
        ("que alguien me llame porfa", NEW, "handoff"),
        ("el primero", SHOWN, "purchase.add"),
        ("the second one", SHOWN, "purchase.add"),
        ("listo, entonces los blancos", SHOWN, "purchase.add"),
        ("that one", SHOWN, "purchase.add"),
    ],
)
def test_intent_depends_on_the_conversation(
    reader: OfflineReader, text: str, state: DialogState, intent: str
) -> None:
    assert reader.understand(text, state).intent == intent


def test_a_bare_yes_outside_the_summary_is_left_to_a_model(reader: OfflineReader) -> None:
    understanding = reader.understand("sí", CART)

    assert understanding.intent == "other"
    assert understanding.confidence < 0.6


def test_bare_quantity_after_products_were_shown(reader: OfflineReader) -> None:
    understanding = reader.understand("agrégame 2", SHOWN)

    assert understanding.entities.quantity == 2
    assert understanding.entities.products == []


def test_the_same_digits_are_an_id_or_a_phone_by_what_was_asked(reader: OfflineReader) -> None:
    as_id = reader.understand("3104567890", asking("national_id")).entities
    as_phone = reader.understand("3104567890", asking("phone")).entities

    assert (as_id.national_id, as_id.phone) == ("3104567890", None)
    assert (as_phone.national_id, as_phone.phone) == (None, "3104567890")


def test_a_category_question_names_the_category_not_a_product(reader: OfflineReader) -> None:
    understanding = reader.understand("what kinds of helmets do you carry?", NEW)

    assert understanding.intent == "inventory.category"
    assert understanding.entities.category == "cascos"
    assert understanding.entities.products == []


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("quiero 3 extintores de 10 libras", NEW),
        ("¿a qué hora abren?", NEW),
        ("/asesor", NEW),
        ("sí", READY),
        ("1032456789", asking("national_id")),
    ],
)
def test_clear_rules_are_confident(reader: OfflineReader, text: str, state: DialogState) -> None:
    assert reader.understand(text, state).confidence >= 0.8


@pytest.mark.parametrize("text", ["asdfgh", "mi perro se comió el control", "how do I make pasta"])
def test_nothing_recognised_is_other_with_low_confidence(reader: OfflineReader, text: str) -> None:
    understanding = reader.understand(text, NEW)

    assert understanding.intent == "other"
    assert understanding.confidence < 0.6


@pytest.mark.parametrize(
    ("text", "state", "language"),
    [
        ("hola, cuánto vale el casco?", DialogState(language="en"), "es"),
        ("how much is the helmet?", NEW, "en"),
        ("gloves?", NEW, "en"),
        ("guantes?", DialogState(language="en"), "es"),
        ("ok", DialogState(language="en"), "en"),
        ("1032456789", asking("national_id", "en"), "en"),
        ("Juan Pérez", asking("name", "en"), "en"),
        ("Pereira", asking("city"), "es"),
    ],
)
def test_language_from_word_evidence_else_the_conversations(
    reader: OfflineReader, text: str, state: DialogState, language: str
) -> None:
    assert reader.understand(text, state).language == language


@pytest.mark.parametrize(
    ("offer", "text", "intent"),
    [
        ("purchase.add", "sí", "purchase.add"),
        ("purchase.add", "dale, de una", "purchase.add"),
        ("handoff", "si porfa", "handoff"),
        ("handoff", "si, cotizemelo", "handoff"),
        ("purchase.add", "sí, agrégalos", "purchase.add"),
        ("purchase.add", "si, pero mejor cancela todo", "purchase.cancel"),
        ("purchase.add", "yes please", "purchase.add"),
        (None, "sí", "other"),
    ],
)
def test_a_plain_yes_means_what_was_offered(offer: str | None, text: str, intent: str) -> None:
    reader = OfflineReader(Lexicon())

    understood = reader.understand(text, DialogState(offer=offer))

    assert understood.intent == intent


@pytest.mark.parametrize(
    ("text", "state", "intent", "products", "quantity"),
    [
        # A price bound asks what there is, even after "necesito"; its numbers are no quantity.
        (
            "necesito botas talla 41 por menos de 150 mil",
            NEW,
            "inventory.price",
            ["botas talla 41"],
            None,
        ),
        ("tienen guantes entre 10 y 20 mil?", NEW, "inventory.price", ["guantes"], None),
        ("cual es el casco mas barato", NEW, "inventory.price", ["casco"], None),
        ("el mas barato de esos", SHOWN, "inventory.price", [], None),
        # "deme 3" of what was shown still adds: the superlative only says which.
        ("deme 3 del mas barato", SHOWN, "purchase.add", [], 3),
        ("el mas barato, 20 pares", SHOWN, "purchase.add", [], 20),
    ],
)
def test_price_bounds_and_superlatives(
    reader: OfflineReader,
    text: str,
    state: DialogState,
    intent: str,
    products: list[str],
    quantity: int | None,
) -> None:
    understanding = reader.understand(text, state)
    assert understanding.intent == intent
    assert [m.text for m in understanding.entities.products] == products
    assert understanding.entities.quantity == quantity
    assert understanding.entities.price is not None


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("buenas, ustedes venden termos de acero?", "termos de acero"),
        ("hola necesito alquilar unos andamios pa una obra", "andamios"),
        ("do you sell power generators for construction sites?", "power generators"),
    ],
)
def test_a_product_the_shop_has_no_word_for_is_still_asked_about(
    reader: OfflineReader, text: str, asked: str
) -> None:
    understanding = reader.understand(text, NEW)
    assert understanding.intent == "inventory.product"
    assert [m.text for m in understanding.entities.products] == [asked]


@pytest.mark.parametrize(
    "text",
    [
        "quisiera hacer un pedido",
        "I need to change my order",
        "tienen envio a pereira?",
        "necesito eso pa mañana sin falta",
    ],
)
def test_a_request_about_the_shop_is_no_product_asked_for(reader: OfflineReader, text: str) -> None:
    assert not reader.understand(text, NEW).intent.startswith("inventory")


def always_adding() -> IntentClassifier:
    """A classifier that reads every message as an add, sure of it."""
    nothing = Vocabulary({group: {} for group in FEATURE_GROUPS}, np.zeros(0))
    return IntentClassifier(
        labels=("inventory.category", "purchase.add"),
        vocabulary=nothing,
        weights=np.zeros((0, 2)),
        intercept=np.array([0.0, 2.0]),
        temperature=1.0,
    )


def leaning_to_add() -> IntentClassifier:
    """A classifier whose best guess is an add, at 0.4: the questions share the rest."""
    nothing = Vocabulary({group: {} for group in FEATURE_GROUPS}, np.zeros(0))
    return IntentClassifier(
        labels=("inventory.category", "inventory.stock", "purchase.add"),
        vocabulary=nothing,
        weights=np.zeros((0, 3)),
        intercept=np.array([0.0, 0.0, 0.3]),
        temperature=1.0,
    )


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("y botas de caucho?", NEW, "inventory"),
        ("bueno y chalecos reflectivos??", NEW, "inventory"),
        ("and leather gloves?", NEW, "inventory"),
        ("y 2 botas de caucho", NEW, "purchase.add"),
        ("mándeme botas de caucho", NEW, "purchase.add"),
        ("I'll take leather gloves", NEW, "purchase.add"),
        ("y unas botas de caucho", CART, "purchase.add"),  # one more while buying
    ],
)
def test_a_product_named_alone_asks_unless_the_classifier_is_sure_it_buys(
    text: str, state: DialogState, intent: str
) -> None:
    guessing = OfflineReader(Lexicon(), leaning_to_add()).understand(text, state)
    sure = OfflineReader(Lexicon(), always_adding()).understand(text, state)

    assert guessing.intent.startswith(intent)
    assert sure.intent == "purchase.add"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("el más barato de esos", "inventory.price"),
        ("y el más caro?", "inventory.price"),
        ("deme el más barato de esos", "purchase.add"),
        ("el más barato, 20 pares", "purchase.add"),
        ("el primero", "purchase.add"),
    ],
)
def test_a_guessed_add_does_not_beat_a_question_without_buying_words(
    text: str, intent: str
) -> None:
    reader = OfflineReader(Lexicon(), always_adding())

    assert reader.understand(text, SHOWN).intent == intent
