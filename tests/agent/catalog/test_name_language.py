"""What a product's name says the product is, in Spanish and in English."""

from __future__ import annotations

import pytest

from agent.catalog.name_language import Language, name_language
from agent.catalog.search import ProductIndex, _build, _Row
from agent.catalog.vocabulary import BUILT_IN, Vocabulary


@pytest.mark.parametrize(
    ("name", "catalog", "language"),
    [
        ("Escritorio en L", "en", "es"),  # its own words say
        ("Casco dieléctrico clase E", "en", "es"),
        ("Cabinet with Doors", "es", "en"),
        ("Desk Pad", "en", "en"),  # nothing says: the catalog's
        ("Chaleco reflectivo", "es", "es"),
    ],
)
def test_a_name_is_read_in_its_own_language(name: str, catalog: Language, language: str) -> None:
    assert name_language(name, catalog) == language


def _index(names: list[str], language: Language) -> ProductIndex:
    rows = [
        _Row(id=i, sku=f"S{i}", name=name, category="Office", family=None, description="",
             synonyms=(), attributes=())
        for i, name in enumerate(names, start=1)
    ]  # fmt: skip
    index = ProductIndex(language=language)
    index._state = _build(rows, Vocabulary(BUILT_IN), language)
    return index


def _found(index: ProductIndex, names: list[str], query: str) -> list[str]:
    return [names[hit.product_id - 1] for hit in index.search(query, limit=3)]


def test_an_english_catalog_ranks_what_its_names_end_with() -> None:
    names = ["Desk Pad", "Desk Organizer", "Desk Combination", "Customizable Desk (Steel)",
             "Office Chair Black", "Large Desk (Wood)", "Four Person Desk"]  # fmt: skip
    index = _index(names, "en")
    assert set(_found(index, names, "escritorios")) == {
        "Customizable Desk (Steel)", "Large Desk (Wood)", "Four Person Desk"
    }  # fmt: skip
    assert _found(index, names, "sillas")[0] == "Office Chair Black"  # a colour ends it
    assert [names[hit.product_id - 1] for hit in index.matching("desk")] == [
        "Four Person Desk", "Large Desk (Wood)", "Customizable Desk (Steel)"
    ]  # fmt: skip


def test_a_spanish_catalog_still_ranks_what_its_names_start_with() -> None:
    names = ["Gabinete para extintor", "Extintor de 10 libras", "Soporte de pared para extintor"]
    index = _index(names, "es")
    assert _found(index, names, "extintores")[0] == "Extintor de 10 libras"
    assert [names[hit.product_id - 1] for hit in index.matching("extintores")] == [
        "Extintor de 10 libras"
    ]


@pytest.mark.parametrize(
    ("text", "head", "at_odds"),
    [
        # English names a Spanish catalog reads by their first word ("Small", "Office"):
        # the words said are in the name of one of the kind asked for, so none is at odds.
        ("mesa pequeña", "mesa", []),
        ("silla de oficina negra", "silla", []),
        ("silla de cocina", "silla", ["cocina"]),  # only a towel is for kitchens
        ("mesa negra", "mesa", ["negro"]),  # the black one is a chair
    ],
)
def test_words_a_name_says_in_the_other_language_are_not_at_odds(
    text: str, head: str, at_odds: list[str]
) -> None:
    names = ["Office Chair Black", "Silla plegable", "Small Table", "Mesa de cocina",
             "Kitchen Towel"]  # fmt: skip
    assert _index(names, "es").at_odds(text, head) == at_odds
