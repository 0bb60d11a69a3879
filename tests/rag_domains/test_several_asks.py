"""Several questions or requests in one message, each answered; what shipping the cart costs;
a pack or the single item, as the customer counted."""

from __future__ import annotations

from conftest import Chat


def lines(result: object) -> list[tuple[str, int]]:
    return [(c.sku, c.quantity) for c in getattr(result, "cart", [])]


async def test_four_questions_in_one_message_get_four_answers(chat: Chat) -> None:
    asked = await chat.say(
        "hola tengo 4 preguntas, cuanto vale el extintor multiproposito de 20 libras, tienen "
        "botas dielectricas talla 41, a q hora cierran el sabado y hacen envios a chinchina?"
    )
    reply = asked.reply or ""
    for answer in ("$145.000", "Bota dieléctrica punta de composite talla 41", "1:00 p. m."):
        assert answer in reply
    assert "Chinchiná" in reply
    both = await chat.say("listo, agregueme el extintor y la bota")
    assert lines(both) == [("EXT-PQS-20", 1), ("BOT-DIEL-41", 1)], both.reply


async def test_a_question_and_an_order_in_one_message(chat: Chat) -> None:
    mixed = await chat.say("cuanto vale el arnes de 4 argollas y agregueme 2 eslingas en Y")
    assert "$185.000" in (mixed.reply or "")
    assert [quantity for _, quantity in lines(mixed)] == [2]
    assert "Eslinga doble terminal en Y" in (mixed.reply or "")


async def test_a_list_of_items_is_one_request(chat: Chat) -> None:
    added = await chat.say(
        "hi I need 10 orange reflective vests, 10 pairs of foam earplugs and 2 wet floor signs"
    )
    assert len(lines(added)) == 3 and ("TAP-ESP", 10) in lines(added), added.reply


async def test_the_total_with_shipping_for_the_cart(chat: Chat) -> None:
    await chat.say("una docena de mantas termicas y un par de collares cervicales")
    total = await chat.say("cuanto es todo con envio a dosquebradas")
    # $54.000 + $56.000 = $110.000, below the $300.000 of free shipping: $8.000 more.
    assert "$8.000" in (total.reply or "") and "$118.000" in (total.reply or ""), total.reply
    await chat.say("y 2 extintores multiproposito de 20 libras")  # $400.000: ships free
    free = await chat.say("cuanto queda el envio a pereira")
    assert free.intent == "company.shipping"
    assert "Envío gratis a Pereira" in (free.reply or ""), free.reply


async def test_a_pack_or_the_single_item_as_the_customer_counted(chat: Chat) -> None:
    pairs = await chat.say("necesito 10 pares de guantes de nitrilo")
    assert lines(pairs) == [("GUA-NIT-IND", 10)], pairs.reply
    boxes = await chat.say("y 2 cajas de guantes de nitrilo")
    assert lines(boxes) == [("GUA-NIT-IND", 10), ("GUA-NIT-DES", 2)], boxes.reply
