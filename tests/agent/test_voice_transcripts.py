"""The understanding on what speech recognition really gives: the words of a product survive,
numbers and small words are misheard ("tres" → "comprarles", "two" → "to", "three" → "free"),
accents and capitals come and go. The product must still be found; a misheard quantity falls
back to one (the cart the reply shows lets the customer correct it)."""

from __future__ import annotations

import pytest
from conftest import Chat


@pytest.mark.parametrize(
    ("transcript", "product"),
    [
        ("Quiero comprarles chalecos efectivos.", "Chaleco reflectivo"),
        ("quiero comprarles chalecos reflectivos", "Chaleco reflectivo"),
        ("Quiero cinco pares de guantes de nitilo.", "Guante de nitrilo"),
        ("Necesito los extintores de yes, livas.", "Extintor"),
        ("quiero comprar guantes para solar amor", "Guante"),
        ("Quiero un casco ni eléctrico", "Casco"),
    ],
)
async def test_a_misheard_spanish_note_still_shows_the_product(
    chat: Chat, transcript: str, product: str
) -> None:
    result = await chat.say(transcript)

    assert result.intent == "purchase.add"
    assert result.products and product.lower() in result.products[0].name.lower()


@pytest.mark.parametrize(
    ("transcript", "name", "quantity"),
    [
        ("Quiero comprar tres casco dieléctrico", "Casco dieléctrico tipo II clase E", 3),
        ("necesito un arnes dielectrico", "Arnés dieléctrico 5 argollas", 1),
        ("I need to dielectric helmets.", "Casco dieléctrico tipo II clase E", 1),
        ("I want free dielectric helmets", "Casco dieléctrico tipo II clase E", 1),
        ("I need for welding gloves", "Guante para soldador en carnaza forrado 35 cm", 1),
    ],
)
async def test_a_misheard_note_naming_one_product_fills_the_cart(
    chat: Chat, transcript: str, name: str, quantity: int
) -> None:
    result = await chat.say(transcript)

    assert [(line.name, line.quantity) for line in result.cart] == [(name, quantity)]


async def test_a_pick_after_a_misheard_note_completes_the_cart(chat: Chat) -> None:
    shown = await chat.say("Quiero comprarles chalecos efectivos.")
    picked = await chat.say("el tercero")

    assert shown.sale_state is None or not shown.cart
    assert [line.name for line in picked.cart] == [shown.products[2].name]
