"""Product mentions and their quantities: numbers in digits and words, attributes, typos."""

from __future__ import annotations

import pytest

from agent.nlu.lexicon import Lexicon
from agent.nlu.numbers import read_number
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState, ProductMention
from agent.quantities import UNITS


@pytest.fixture(scope="module")
def reader() -> OfflineReader:
    return OfflineReader(Lexicon())


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("10", 10),
        ("1.000", 1000),
        ("2,5", 2.5),
        ("veinte", 20),
        ("treinta y dos", 32),
        ("ciento veinte", 120),
        ("dos mil", 2000),
        ("cien", 100),
        ("twenty - five", 25),
        ("one hundred and five", 105),
        ("un par", 2),
        ("a pair", 2),
        ("media docena", 6),
        ("half a dozen", 6),
        ("una docena", 12),
        ("a dozen", 12),
        ("dos docenas", 24),
    ],
)
def test_numbers_in_digits_and_words(words: str, value: float) -> None:
    number = read_number(words.split(), 0)

    assert number is not None
    assert number.value == value
    assert number.length == len(words.split())


@pytest.mark.parametrize("words", ["un", "una", "a", "hola", "y dos"])
def test_articles_and_words_are_not_numbers(words: str) -> None:
    assert read_number(words.split(), 0) is None


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("quiero 2 extintores de 10 libras", [("extintores de 10 libras", 2)]),
        ("me llevo el extintor de 20", [("extintor de 20", None)]),
        ("necesito un extintor", [("extintor", 1)]),
        ("un par de guantes de carnaza", [("guantes de carnaza", 2)]),
        ("media docena de cascos blancos", [("cascos blancos", 6)]),
        ("una docena de chalecos", [("chalecos", 12)]),
        ("dos docenas de tapabocas", [("tapabocas", 24)]),
        ("ponme 10 unidades de cinta de precaución", [("cinta de precaucion", 10)]),
        ("casco amarillo x3", [("casco amarillo", 3)]),
        ("3x botiquines", [("botiquines", 3)]),
        ("extintor de 20 lb x 2", [("extintor de 20 lb", 2)]),
        ("guantes de nitrilo 5 pares", [("guantes de nitrilo", 5)]),
        ("quiero veinte conos", [("conos", 20)]),
        ("me regala treinta y dos tapabocas", [("tapabocas", 32)]),
        ("súmele otro arnés", [("arnes", 1)]),
        ("tienen 12 pares de botas 40?", [("botas 40", 12)]),
        ("botas talla 42", [("botas talla 42", None)]),
        ("guantes dielectricos 20 kv", [("guantes dielectricos 20 kv", None)]),
        ("quiero 1 botiquín tipo A", [("botiquin tipo a", 1)]),
        (
            "2 extintores de 10 libras y 3 cascos",
            [("extintores de 10 libras", 2), ("cascos", 3)],
        ),
        ("cascos 5, guantes 10 y botas 3", [("cascos", 5), ("guantes", 10), ("botas", 3)]),
        ("I want two 10 lb extinguishers", [("10 lb extinguishers", 2)]),
        ("a pair of leather gloves", [("leather gloves", 2)]),
        ("a dozen reflective vests", [("reflective vests", 12)]),
        ("half a dozen N95 masks", [("n95 masks", 6)]),
        ("a first aid kit", [("first aid kit", 1)]),
        ("do you have size 10 safety boots?", [("size 10 safety boots", None)]),
        ("PRECIO DE LA PALETA PARE Y SIGA", [("paleta pare y siga", None)]),
        ("cuánto vale la caja de 100 guantes de nitrilo", [("guantes de nitrilo", None)]),
        ("I need 3 half face respirators", [("half face respirators", 3)]),
        (
            "quiero el casco blanco y las gafas oscuras, 3 de cada uno",
            [("casco blanco", 3), ("gafas oscuras", 3)],
        ),
        ("boots and helmets, 4 of each", [("boots", 4), ("helmets", 4)]),
        ("dos de cada: botas y conos", [("botas", 2), ("conos", 2)]),
    ],
)
def test_mentions_keep_the_words_and_take_the_quantity(
    reader: OfflineReader, text: str, products: list[tuple[str, int | None]]
) -> None:
    found = reader.understand(text, DialogState()).entities.products

    assert found == [ProductMention(words, quantity) for words, quantity in products]


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_every_unit_search_knows_makes_the_number_a_size(reader: OfflineReader, unit: str) -> None:
    # One vocabulary (agent/quantities.py): "extintor 20 kilovoltio" is not 20 extinguishers.
    found = reader.understand(f"extintor 20 {unit}", DialogState()).entities.products

    assert found == [ProductMention(f"extintor 20 {unit}", None)]


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("dame 3", 3),
        ("ponle 5", 5),
        ("agrégame dos de esos", 2),
        ("I'll take one", 1),
        ("the second one", None),
        ("add 4 more", 4),
        ("en vez de 2 extintores quiero 4", 4),
        ("make it 3 harnesses instead of 2", 3),
        ("cambia los guantes a 6", 6),
        ("quiero ese #999", None),
        ("véndemelo a $1", None),
        ("el de la referencia nro 12", None),
    ],
)
def test_the_quantity_said(reader: OfflineReader, text: str, quantity: int | None) -> None:
    shown = DialogState(last_products=["EXT-PQS-10"])

    assert reader.understand(text, shown).entities.quantity == quantity


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("¿me dejan el 150% de descuento?", []),
        ("me hacen el 150 por ciento de descuento", []),
        ("cincuenta por ciento de descuento?", []),
        ("150% off?", []),
        ("can I get 150 percent off?", []),
        ("quiero 2 cascos con el 150% de descuento", [("cascos", 2)]),
        ("3 cascos, 120% off", [("cascos", 3)]),
    ],
)
def test_a_percentage_is_never_a_quantity_nor_a_size(
    reader: OfflineReader, text: str, products: list[tuple[str, int]]
) -> None:
    in_cart = DialogState(has_cart=True, last_products=["EXT-CO2-10"])
    for state in (DialogState(), in_cart):
        understood = reader.understand(text, state)
        found = [(p.text, p.quantity) for p in understood.entities.products]

        assert found == products
        assert understood.entities.quantity in {None, *(q for _, q in products)}


def test_a_percentage_after_a_product_is_no_other_size_of_it(reader: OfflineReader) -> None:
    shown = DialogState(
        focus="Extintor de CO2 10 lb", topic="inventory.price", last_products=["EXT-CO2-10"]
    )

    understood = reader.understand("¿y el 150% de descuento?", shown)

    assert understood.entities.products == []  # not the "Extintor de CO2 150 lb"


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("extingidor de 10 lb", "extintor de 10 lb"),
        ("un estintor", "extintor"),
        ("guantez de carnasa", "guante de carnaza"),
        ("cazco blanco", "casco blanco"),
        ("mandame un botikin", "botiquin"),
        ("necesito GAFAS DE SEGURIDAD", "gafas de seguridad"),
        ("señales de salida", "señales de salida"),
        ("senales de salida", "senales de salida"),
        ("arnés de cuerpo completo", "arnes de cuerpo completo"),
    ],
)
def test_typos_accents_and_capitals(reader: OfflineReader, text: str, mention: str) -> None:
    products = reader.understand(text, DialogState()).entities.products

    assert [p.text for p in products] == [mention]


@pytest.mark.parametrize(
    "text", ["la gente de la obra", "vendo carro usado", "best price", "en ese caso no"]
)
def test_everyday_words_are_not_corrected_into_products(reader: OfflineReader, text: str) -> None:
    assert reader.understand(text, DialogState()).entities.products == []


def test_a_catalog_adds_its_own_words_and_categories() -> None:
    lexicon = Lexicon.from_products(
        [
            ("Colombina vial reflectiva", "Señalización vial", ["colombina"]),
            ("Paleta Pare y Siga", "Señalización vial", []),
            ("Rimax caja botiquín", "Primeros auxilios", ["caja rimax"]),
        ]
    )
    reader = OfflineReader(lexicon)

    found = reader.understand("quiero 2 rimax y una paleta pare y siga", DialogState())

    assert found.entities.products == [
        ProductMention("rimax", 2),
        ProductMention("paleta pare y siga", 1),
    ]


def test_words_one_product_is_called_by_stay_one_mention() -> None:
    lexicon = Lexicon.from_products(
        [
            ("Cono retráctil para carretera 30 cm", "Señalización vial", []),
            ("Bloque autorretráctil 6 m", "Trabajo en alturas", ["retráctil"]),
            ("Casco de seguridad", "Cascos", []),
            ("Guante de carnaza", "Guantes", []),
        ]
    )
    reader = OfflineReader(lexicon)

    cones = reader.understand("deme 4 conos retractiles de 30 cm", DialogState())
    two = reader.understand("2 cascos 3 guantes de carnaza", DialogState())

    assert cones.entities.products == [ProductMention("conos retractiles de 30 cm", 4)]
    assert [m.text for m in two.entities.products] == ["cascos", "guantes de carnaza"]


def test_the_base_vocabulary_works_without_a_catalog() -> None:
    found = OfflineReader(Lexicon()).understand("quiero 2 extintores", DialogState())

    assert found.entities.products == [ProductMention("extintores", 2)]


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("me recargan 3 extintores de 20 libras?", [("recarga de extintores de 20 libras", 3)]),
        ("toca hacerle mantenimiento a los 12 extintores", [("mantenimiento de extintores", 12)]),
        (
            "pa recargar 5 extintores y 2 soportes",
            [("recarga de extintores", 5), ("soportes", 2)],
        ),
        # No product is called by both words: two things.
        ("2 soportes 3 cascos", [("soportes", 2), ("cascos", 3)]),
        # Both counted: two things, even when one product has both words.
        ("4 recargas y 2 extintores", [("recargas", 4), ("extintores", 2)]),
    ],
)
def test_a_service_and_what_it_is_done_to_are_one_mention(
    text: str, products: list[tuple[str, int | None]]
) -> None:
    lexicon = Lexicon.from_products(
        [
            ("Recarga de extintor PQS 20 lb", "Recarga y mantenimiento", ["recargar extintor"]),
            ("Mantenimiento preventivo de extintor", "Recarga y mantenimiento", []),
            ("Soporte de pared para extintor", "Gabinetes y soportes", []),
            ("Extintor PQS 20 lb", "Extintores", []),
            ("Casco de seguridad", "Cascos", []),
        ]
    )

    found = OfflineReader(lexicon).understand(text, DialogState()).entities.products

    assert found == [ProductMention(words, quantity) for words, quantity in products]
