"""Price bounds and superlatives read from Colombian and English messages."""

from __future__ import annotations

import pytest

from agent.nlu.prices import read_price, said_amounts
from agent.nlu.tokens import fold, scan
from agent.nlu.types import PriceRequest


def _read(text: str) -> PriceRequest | None:
    reading = read_price([token.text for token in scan(fold(text))])
    return None if reading is None else reading.request


@pytest.mark.parametrize(
    "text",
    [
        "algo por debajo de 50 mil",
        "por debajo de 50.000",
        "menos de $50000",
        "que no pase de 50 mil pesos",
        "menos de 50k",
        "hasta 50 lucas",
        "por menos de cincuenta mil",
        "under 50,000 pesos",
        "por menos de 50",  # a bare hundred or less after a price bound is thousands
    ],
)
def test_money_words_give_the_same_upper_bound(text: str) -> None:
    assert _read(text) == PriceRequest(high=50_000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entre 10 y 20 mil", PriceRequest(low=10_000, high=20_000)),
        ("entre 100 y 200 mil", PriceRequest(low=100_000, high=200_000)),
        ("between 200,000 and 300,000", PriceRequest(low=200_000, high=300_000)),
        ("de 1 a 2 palos", PriceRequest(low=1_000_000, high=2_000_000)),
        ("desde 80 mil", PriceRequest(low=80_000)),
        ("more than $100000", PriceRequest(low=100_000)),
        ("cual es el casco mas barato", PriceRequest(order="cheapest")),
        ("the cheapest one in stock", PriceRequest(order="cheapest")),
        ("un arnes economico", PriceRequest(order="cheapest")),
        ("y el mas caro?", PriceRequest(order="dearest")),
        ("the best you have", PriceRequest(order="dearest")),
        ("el de mejor precio", PriceRequest(order="cheapest")),
        (
            "el mas barato por debajo de 100 mil",
            PriceRequest(high=100_000, order="cheapest"),
        ),
    ],
)
def test_ranges_and_orders(text: str, expected: PriceRequest) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "dame 10 y 20 cascos",  # quantities, no money word
        "mas de 2 pares",
        "hasta mañana",
        "mejor que sean 12",  # a change of quantity, not "the best"
        "el de 20 libras",
        "esta muy caro",
    ],
)
def test_no_price_request_where_none_was_made(text: str) -> None:
    assert _read(text) is None


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("la de 135 mil, 2 pares", [135_000]),
        ("la de $72.000 y la de 135 lucas", [72_000, 135_000]),
        ("deme 2 de 20 libras", []),
    ],
)
def test_amounts_said(text: str, amounts: list[int]) -> None:
    assert said_amounts([token.text for token in scan(fold(text))]) == amounts
