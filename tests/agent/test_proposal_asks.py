"""The rules that read a discount asked in a message (its percentage, or nothing) and a request
to set the cart aside."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.proposals.asks import discount_asked, reservation_asked


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("¿Me dejan el 15% de descuento?", "15"),
        ("hazme un descuento del 15 %", "15"),
        ("me haces el 20% de rebaja", "20"),
        ("un descuento de 12,5 por ciento", "12.5"),
        ("DESCUENTO DEL 10%!!", "10"),
        ("can I get 15% off?", "15"),
        ("15 percent discount please", "15"),
        ("any discount of 7.5%?", "7.5"),
        ("cincuenta por ciento de descuento", "50"),
        ("twenty five percent off", "25"),
        # Above the whole price too: the turn refuses it, and it is never 150 units.
        ("aplicar 100% de descuento a todo el pedido", "100"),
        ("¿me dejan el 150% de descuento?", "150"),
        ("150% off?", "150"),
    ],
)
def test_a_discount_with_its_percentage_is_read(text: str, percent: str) -> None:
    assert discount_asked(text) == Decimal(percent)


@pytest.mark.parametrize(
    "text",
    [
        "¿hay descuento?",  # no number: the handlers answer as before
        "si me hacen descuento sí",
        "quiero 15 cascos",
        "el 15% de los guantes",
        "0% de descuento",
        "what's the discount policy?",
    ],
)
def test_a_message_without_a_discount_percentage_asks_for_none(text: str) -> None:
    assert discount_asked(text) is None


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("¿me los pueden apartar hasta el viernes?", True),
        ("apártamelos por favor", True),
        ("resérvame esos cascos", True),
        ("quiero hacer una reserva", True),
        ("sepárenmelos", True),
        ("can you hold them for me until Friday?", True),
        ("please reserve the boots", True),
        ("put them aside for me", True),
        ("Carrera 12 # 45-10 apartamento 301", False),
        ("mándalos por separado", False),
        ("¿hacen reservas de salones?", False),
    ],
)
def test_a_reservation_is_read_from_its_verb(text: str, asked: bool) -> None:
    assert reservation_asked(text) is asked
