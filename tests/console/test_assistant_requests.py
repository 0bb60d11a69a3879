"""The assistant's offline reading of a staff request: a restock or a price change in Spanish
and English, its product words and its number; a question stays a question for the queries."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fixtures.demo_catalog import demo_index

from agent.catalog.search import ProductIndex
from console.assistant.requests import Request, RequestName, read_request

RESTOCK, PRICE = RequestName.RESTOCK, RequestName.PRICE_CHANGE


@pytest.fixture(scope="module")
def index(demo_template: Path) -> ProductIndex:
    """The demo shop's catalog search."""
    return demo_index(demo_template)


@pytest.mark.parametrize(
    ("question", "name", "product", "number", "language"),
    [
        ("reponer 50 cascos blancos", RESTOCK, "cascos blancos", "50", "es"),
        ("pide 200 guantes de nitrilo talla M", RESTOCK, "guantes de nitrilo talla m", "200", "es"),
        ("Por favor, reponer doscientos tapabocas", RESTOCK, "tapabocas", "200", "es"),
        ("reponer 50 extintores de 10 lb", RESTOCK, "extintores de 10 lb", "50", "es"),
        ("reponer gafas oscuras x 30", RESTOCK, "gafas oscuras", "30", "es"),
        ("encarga gafas oscuras, 30 unidades", RESTOCK, "gafas oscuras", "30", "es"),
        ("reponer gafas oscuras", RESTOCK, "gafas oscuras", None, "es"),
        ("restock 30 CO2 extinguishers", RESTOCK, "co2 extinguishers", "30", "en"),
        ("order 12 more 10 lb extinguishers", RESTOCK, "10 lb extinguishers", "12", "en"),
        ("sube el casco blanco a 45.000", PRICE, "casco blanco", "45000", "es"),
        ("baja el precio de las gafas oscuras a 12 mil", PRICE, "gafas oscuras", "12000", "es"),
        ("pon el precio del casco blanco en $41.500", PRICE, "casco blanco", "41500", "es"),
        ("cambia el precio de las gafas oscuras", PRICE, "gafas oscuras", None, "es"),
        ("set the nitrile gloves price to 9,500", PRICE, "nitrile gloves", "9500", "en"),
        ("raise the dark lens glasses to 7,000", PRICE, "dark lens glasses", "7000", "en"),
        ("change the price of the white helmet to 45k", PRICE, "white helmet", "45000", "en"),
    ],
)
def test_a_request_is_read_with_its_product_and_number(
    index: ProductIndex,
    question: str,
    name: RequestName,
    product: str,
    number: str | None,
    language: str,
) -> None:
    expected = Request(name, product, None if number is None else Decimal(number), language)

    assert read_request(question, index) == expected


@pytest.mark.parametrize(
    "question",
    [
        "¿qué hay que reponer de extintores?",  # a question: the low-stock query
        "¿reponemos gafas oscuras?",
        "reponer",
        "reorder suggestions",
        "pedidos pendientes",
        "sube el casco",  # says no price
        "ventas de esta semana por canal",
        "top products this month",
    ],
)
def test_a_question_is_no_request(index: ProductIndex, question: str) -> None:
    assert read_request(question, index) is None
