"""Counted pieces of a message that point at products by what describes them."""

from __future__ import annotations

import pytest

from rag_domains.sales.described import counted_items


@pytest.mark.parametrize(
    ("text", "items"),
    [
        (
            "deme 24 pares de los de hilaza y 12 de carnaza cortos",
            [("deme 24 pares de los de hilaza", 24), ("12 de carnaza cortos", 12)],
        ),
        ("three of the white ones and two red", [("three of the white ones", 3), ("two red", 2)]),
        ("5 azules, 5 blancos", [("5 azules", 5), ("5 blancos", 5)]),
    ],
)
def test_each_counted_piece_and_its_count(text: str, items: list[tuple[str, int]]) -> None:
    assert counted_items(text) == items


@pytest.mark.parametrize("text", ["deme 24 de los de hilaza", "los blancos y los azules", ""])
def test_one_count_or_none_is_no_list(text: str) -> None:
    assert counted_items(text) == []
