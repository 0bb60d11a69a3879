"""Prices as customers read them, in pesos and in the currencies of shops elsewhere."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.i18n import money


@pytest.mark.parametrize(
    ("amount", "currency", "language", "shown"),
    [
        ("180000", "COP", "es", "$180.000"),
        ("1680.80", "COP", "es", "$1.680,80"),
        ("1234.5", "USD", "es", "US$1.234,50"),
        ("1234.5", "USD", "en", "$1,234.50"),
        ("800.4", "EUR", "es", "€800,40"),
        ("1250000", "GBP", "en", "1,250,000.00 GBP"),
    ],
)
def test_a_price_is_written_the_way_its_currency_and_language_write_it(
    amount: str, currency: str, language: str, shown: str
) -> None:
    assert money(Decimal(amount), currency, language) == shown


def test_no_price_is_on_request() -> None:
    assert (money(None), money(None, "USD", "en")) == ("precio a consultar", "price on request")
