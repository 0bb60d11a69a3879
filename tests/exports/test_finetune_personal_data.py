"""Personal data replaced in one text: the records' values however written, and patterns."""

from __future__ import annotations

import pytest

from exports.finetune.personal_data import PersonRecord, Redactor

MARIA = PersonRecord(
    name="María Fernanda Ospina Giraldo",
    national_id="1088245671",
    phone="+573104567821",
    email="maria.ospina@example.com",
    address="Carrera 7 # 19-42, oficina 501, Centro",
)


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("soy maria fernanda ospina giraldo", "soy <NAME>"),
        ("habla MARÍA OSPINA", "habla <NAME> <NAME>"),
        ("cc 1.088.245.671", "cc <CEDULA>"),
        ("mi cédula es 1088 245 671", "mi cédula es <CEDULA>"),
        ("cel 310 456 7821 o +57 310-456-7821", "cel <PHONE> o <PHONE>"),
        ("escribe a Maria.Ospina@example.com", "escribe a <EMAIL>"),
        ("Carrera 7 #19-42, oficina 501, Centro", "<ADDRESS>"),
    ],
    ids=["full-name", "parts", "dotted-id", "spaced-id", "phones", "email-case", "address"],
)
def test_a_records_values_are_replaced_however_they_are_written(text: str, cleaned: str) -> None:
    redactor = Redactor([MARIA])
    assert redactor.clean(text) == cleaned


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        (
            "me llamo Sandra Milena Rojas y mi cel es 3157894561",
            "me llamo <NAME> y mi cel es <PHONE>",
        ),
        ("my name is John Smith", "my name is <NAME>"),
        ("cc 43.123.456, Cra 16 # 40-15 apto 201", "cc <CEDULA>, <ADDRESS>"),
        ("NIT 900123456", "NIT <CEDULA>"),
        ("mi documento: 1094887652", "mi documento: <CEDULA>"),
        ("fijo 606 333 4455", "fijo <PHONE>"),
        ("ventas@tienda.com.co", "<EMAIL>"),
        ("calle 50 # 16-22", "<ADDRESS>"),
    ],
    ids=[
        "name-and-phone",
        "english-name",
        "id-and-address",
        "nit",
        "document",
        "landline",
        "email",
        "street",
    ],
)
def test_what_no_record_holds_is_replaced_by_pattern(text: str, cleaned: str) -> None:
    assert Redactor([]).clean(text) == cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Total: $1.250.000 (4 × $312.500)",
        "quiero 20 cascos y 3 extintores de 10 lb",
        "Tu pedido *#16* quedó confirmado por $66.000. Envío a Pereira: $8.000.",
        "el SKU EXT-PQS-10 cuesta $ 95.000",
    ],
)
def test_prices_quantities_and_order_numbers_are_kept(text: str) -> None:
    redactor = Redactor([MARIA])
    assert redactor.clean(text) == text
    assert sum(redactor.replaced.values()) == 0
