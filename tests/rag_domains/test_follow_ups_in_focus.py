"""Follow-ups that resolve against the products just discussed: one of several shown, a
question the product in focus (or the one before it) answers in its description, a service's
duration, and a pick from a list while the cart holds something else."""

from __future__ import annotations

from conftest import Chat


def lines(result: object) -> list[tuple[str, int]]:
    return [(c.sku, c.quantity) for c in getattr(result, "cart", [])]


async def test_a_kind_word_picks_the_one_shown_product_it_fits(chat: Chat) -> None:
    await chat.say("how much is the water extinguisher?")
    refill = await chat.say("and the refill for it?")
    assert "Recarga de extintor de agua 2,5 galones" in (refill.reply or "")
    assert "$25.000" in (refill.reply or "")
    assert "PQS" not in (refill.reply or "")


async def test_a_question_the_refill_does_not_answer_is_answered_by_its_extinguisher(
    chat: Chat,
) -> None:
    await chat.say("q precio tiene el extintor de agua a presion")
    await chat.say("y la recarga de ese cuanto?")
    asked = await chat.say("se puede usar en fuegos electricos?")
    assert "No usar en fuegos eléctricos" in (asked.reply or "")
    added = await chat.say("bueno, mandeme 3 recargas de esas")
    assert lines(added) == [("REC-H2O-25", 3)], added.reply


async def test_how_long_a_service_takes_comes_from_its_description(chat: Chat) -> None:
    await chat.say("necesito recargar 2 extintores multiproposito de 20 libras")
    asked = await chat.say("y cuanto tardan en tenerlos listos?")
    reply = asked.reply or ""
    assert "24 horas" in reply and "Hacemos envíos" not in reply
    closed = await chat.say("listo, es todo")
    assert lines(closed) == [("REC-PQS-20", 2)], closed.reply


async def test_how_long_the_refill_takes_in_english(chat: Chat) -> None:
    await chat.say("I need to refill 3 multipurpose extinguishers of 10 lb")
    asked = await chat.say("how long does the refill take?")
    assert "24 horas" in (asked.reply or "")
    assert lines(asked) == [("REC-PQS-10", 3)]


async def test_a_pick_from_the_list_shown_is_added_next_to_the_cart(chat: Chat) -> None:
    await chat.say("quiero 1 casco blanco con ratchet")
    await chat.say("y tienen botas dielectricas?")
    added = await chat.say("bueno entonces la dielectrica en 41, una")
    assert ("BOT-DIEL-41", 1) in lines(added), added.reply
    assert len(lines(added)) == 2


async def test_a_size_picks_the_one_shown_it_fits(chat: Chat) -> None:
    await chat.say("que extintores multiproposito tienen?")
    asked = await chat.say("y cuanto vale el de 30 libras?")
    reply = asked.reply or ""
    assert reply.startswith("*Extintor multipropósito PQS ABC 30 lb* cuesta *$210.000*"), reply


async def test_a_count_pointing_back_takes_the_offer_next_to_another_item(chat: Chat) -> None:
    await chat.say("cuanto vale el extintor multiproposito de 20 libras")
    added = await chat.say("ok entonces 3 de esos y 3 soportes de pared")
    assert sorted(lines(added)) == [("EXT-PQS-20", 3), ("SOP-EXT-PARED", 3)], added.reply


async def test_a_service_not_offered_mid_checkout_keeps_the_data_asked(chat: Chat) -> None:
    await chat.say("necesito 3 chalecos de brigadista")
    await chat.say("eso es todo")
    asked = await chat.say("y ustedes me bordan el nombre de la empresa atras?")
    reply = asked.reply or ""
    assert "No manejamos" in reply and "cédula" in reply, reply
    assert asked.sale_state is not None and asked.sale_state.value == "collecting_data"
    assert lines(asked) == [("CHAL-BRIG", 3)]


async def test_a_service_not_offered_in_english(chat: Chat) -> None:
    asked = await chat.say("hi, can you embroider our logo on the reflective vests?")
    assert "We don't carry" in (asked.reply or ""), asked.reply
