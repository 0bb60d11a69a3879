"""The rules that read a discount asked in a message (its percentage, or nothing), a request
to set the cart aside, a special quote (a wholesale price, or the full count insisted on), and a
return or refund (its order, its products, damaged or not)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.proposals.asks import (
    QuoteAsk,
    RefundAsk,
    discount_asked,
    lines_named,
    order_answered,
    quote_asked,
    refund_asked,
    reservation_asked,
)


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


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("precio por mayor de 200 cascos", QuoteAsk(200, wholesale=True, insists=False)),
        ("¿Cuál es el precio mayorista para 300 guantes?", QuoteAsk(300, True, False)),
        ("¿lo venden al por mayor? serían 1.000 guantes", QuoteAsk(1000, True, False)),
        ("¿Cuánto me dejan si llevo 200?", QuoteAsk(200, False, False)),
        ("qué precio me hacen por 120 extintores de 10 libras", QuoteAsk(120, False, False)),
        ("cotícenme las 40", QuoteAsk(40, False, True)),
        ("necesito una cotización de 80 botas", QuoteAsk(80, False, True)),
        ("quiero las 40 completas", QuoteAsk(40, False, True)),
        ("wholesale price for 150 helmets", QuoteAsk(150, True, False)),
        ("bulk price for 300", QuoteAsk(300, True, False)),
        ("what's the best price for 75 vests?", QuoteAsk(75, False, False)),
        ("I need all 40", QuoteAsk(40, False, True)),
        ("quote 40", QuoteAsk(40, False, True)),
        ("do you sell wholesale?", QuoteAsk(None, True, False)),
    ],
)
def test_a_special_quote_is_read_with_its_count(text: str, asked: QuoteAsk) -> None:
    assert quote_asked(text) == asked


@pytest.mark.parametrize(
    "text",
    [
        "quiero 200 cascos",  # a plain order: the handlers answer it
        "¿cuánto cuesta el casco azul?",
        "¿me dejan el 15% de descuento?",
        "how much is the blue helmet?",
        "I want 40 helmets",
    ],
)
def test_a_message_without_a_quote_asks_for_none(text: str) -> None:
    assert quote_asked(text) is None


@pytest.mark.parametrize(
    ("text", "order_id", "damaged"),
    [
        ("quiero devolver el pedido 1234", 1234, False),
        ("Quisiera hacer la devolución de la orden #1234", 1234, False),
        ("me llegó dañado el casco, quiero la devolución", None, True),
        ("devuélvanme la plata", None, False),
        ("necesito que nos devuelvan el dinero del pedido número 77", 77, False),
        ("I want to return order 1234", 1234, False),
        ("refund please, the gloves were the wrong size", None, False),
        ("the helmet arrived broken, I want a refund", None, True),
        ("I'd like my money back for order #12", 12, False),
    ],
)
def test_a_return_or_refund_is_read_with_its_order(
    text: str, order_id: int | None, damaged: bool
) -> None:
    assert refund_asked(text) == RefundAsk(order_id, damaged)


@pytest.mark.parametrize(
    "text",
    [
        "¿cuál es la política de devoluciones?",  # the company handler answers these
        "como hago una devolucion",
        "me devuelven la plata si no me sirve",
        "puedo devolver el extintor si no lo uso",
        "can I get a refund if it doesn't fit?",
        "what is your refund policy",
        "quiero 2 cascos",
        "quiero cambiar unos guantes por otra talla",
    ],
)
def test_a_question_about_returns_asks_for_none(text: str) -> None:
    assert refund_asked(text) is None


@pytest.mark.parametrize(
    ("text", "order_id"),
    [("el 1234", 1234), ("#1234", 1234), ("1234", 1234), ("el pedido número 1234.", 1234)],
)
def test_the_answer_to_which_order_is_read(text: str, order_id: int) -> None:
    assert order_answered(text) == order_id
    assert order_answered("el de marzo") is None


ORDER = [
    "Extintor clase K 6 litros para cocina",
    "Extintor multipropósito PQS ABC 10 lb",
    "Guante de carnaza largo tipo mosquetero",
]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("quiero devolver 2 guantes", {2: 2}),
        ("refund please, the gloves were the wrong size", {2: None}),
        ("me llegó dañado un extintor PQS", {1: 1}),
        ("devuelvo los extintores y tres guantes", {0: None, 1: None, 2: 3}),
        ("quiero devolver el pedido 12", {}),
    ],
)
def test_the_lines_of_an_order_a_return_names(text: str, named: dict[int, int | None]) -> None:
    assert lines_named(text, ORDER) == named
