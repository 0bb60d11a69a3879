"""A pick from the list just shown: said by its place ("el 2"), never a bare count ("dame 2")."""

from __future__ import annotations

import pytest

from rag_domains.sales.picks import pointed_pick


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("el 2", 2),
        ("la segunda", 2),
        ("quiero el 3", 3),
        ("the second one", 2),
        ("option 1", 1),
        ("#4", 4),
    ],
)
def test_a_place_in_the_list_is_a_pick(text: str, number: int) -> None:
    assert pointed_pick(text, 4) == number


@pytest.mark.parametrize("text", ["dame 2", "2", "deme 2 de ese", "el 5", "la de cuero"])
def test_a_count_or_a_place_beyond_the_list_is_not(text: str) -> None:
    assert pointed_pick(text, 4) is None
