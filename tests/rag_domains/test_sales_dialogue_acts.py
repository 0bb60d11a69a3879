"""Dialogue acts carried out by the sales machine and the inventory answer: a decline, a new
quantity, a follow-up on the product in focus, a pick from the list, several items at once."""

from __future__ import annotations

from conftest import Chat

from agent.models import SaleState


def lines(result: object) -> list[tuple[str, int]]:
    return [(c.sku, c.quantity) for c in getattr(result, "cart", [])]


async def test_not_now_to_an_offer_adds_nothing_and_a_yes_later_still_does(chat: Chat) -> None:
    asked = await chat.say("cuanto vale el extintor multiproposito de 10 libras")
    assert "¿Te" in (asked.reply or "") and "$85.000" in (asked.reply or "")

    later = await chat.say("por ahora no, déjeme consultarlo")
    assert later.intent == "purchase.deny"
    assert lines(later) == [] and "Agregué" not in (later.reply or "")
    assert "no agrego nada" in (later.reply or "")

    added = await chat.say("listo, mándeme 1 del de 10")
    assert lines(added) == [("EXT-PQS-10", 1)]


async def test_a_new_quantity_replaces_the_old_one(chat: Chat) -> None:
    await chat.say("quiero 10 tapones de silicona con cordon")
    more = await chat.say("mejor que sean 12")
    assert lines(more) == [("TAP-SIL", 12)]
    fewer = await chat.say("no, mejor 8")
    assert fewer.intent == "purchase.change" and lines(fewer) == [("TAP-SIL", 8)]
    closing = await chat.say("listo cerremos")
    assert closing.sale_state == SaleState.COLLECTING_DATA and "cédula" in (closing.reply or "")


async def test_follow_ups_change_only_the_size_or_colour_of_the_product_in_focus(
    chat: Chat,
) -> None:
    await chat.say("cuanto vale el extintor multiproposito de 10 libras")
    bigger = await chat.say("y el de 20?")
    assert bigger.intent.startswith("inventory")
    assert "Extintor multipropósito PQS ABC 20 lb" in (bigger.reply or "")
    assert "$145.000" in (bigger.reply or "") and lines(bigger) == []

    added = await chat.say("deme 1 del de 30")
    assert lines(added) == [("EXT-PQS-30", 1)]

    helmet = await chat.say("cuanto vale el casco con ratchet blanco?")
    assert "ratchet blanco" in (helmet.reply or "")
    blue = await chat.say("lo tienen en azul?")
    assert "Casco de seguridad tipo I clase E con ratchet azul" in (blue.reply or "")
    four = await chat.say("entonces 4 azules")
    assert lines(four) == [("EXT-PQS-30", 1), ("CAS-I-E-AZ", 4)]


async def test_a_follow_up_keeps_the_topic(chat: Chat) -> None:
    await chat.say("a q hora abren el sabado?")
    sunday = await chat.say("y el domingo?")
    assert sunday.intent == "company.hours" and "cerrado" in (sunday.reply or "").lower()


async def test_two_sizes_in_one_message_are_two_lines(chat: Chat) -> None:
    both = await chat.say("2 pares de botas de caucho talla 40 y 1 par talla 42")
    assert lines(both) == [("BOT-PVC-40", 2), ("BOT-PVC-42", 1)]


async def test_clear_items_go_in_and_only_the_unclear_one_is_asked(chat: Chat) -> None:
    first = await chat.say("necesito 5 gafas oscuras y 5 cascos blancos")
    assert lines(first) == [("GAF-OSCURO", 5)]
    assert "Respóndeme con el número" in (first.reply or "")
    picked = await chat.say("los de ratchet")
    assert lines(picked) == [("GAF-OSCURO", 5), ("CAS-I-E-BL", 5)]


async def test_after_the_order_is_closed_a_yes_gives_its_number_a_change_a_person(
    chat: Chat,
) -> None:
    for text in [
        "quiero 1 botiquin tipo A",
        "solo eso",
        "1092334455",
        "Paola Andrea Gil",
        "3017654321",
        "Pereira",
        "Calle 14 # 9-22",
    ]:
        await chat.say(text)
    placed = await chat.say("si")
    assert placed.sale_state == SaleState.CLOSED and placed.order_id is not None
    again = await chat.say("si")
    assert f"#{placed.order_id}" in (again.reply or "") and "ya" in (again.reply or "")
    assert "no te entendí" not in (again.reply or "")
    change = await chat.say("necesito cambiar mi pedido, eran 2 no 1")
    assert f"#{placed.order_id}" in (change.reply or "") and "asesor" in (change.reply or "")
    assert change.owner.value == "waiting_human"


async def test_an_edit_and_a_checkout_in_one_message(chat: Chat) -> None:
    await chat.say("quiero 4 gafas oscuras y 2 tapones de silicona con cordon")
    swapped = await chat.say("quite las gafas y ponga 3 monogafas")
    assert [sku for sku, _ in lines(swapped)][:1] == ["TAP-SIL"]
    assert ("GAF-OSCURO", 4) not in lines(swapped) and len(lines(swapped)) == 2
    done = await chat.say("bueno entonces sin los tapones, solo eso")
    assert done.sale_state == SaleState.COLLECTING_DATA and "cédula" in (done.reply or "")
    assert [sku for sku, _ in lines(done)] != [] and ("TAP-SIL", 2) not in lines(done)


async def test_another_colour_or_size_swaps_the_cart_line_and_keeps_its_quantity(
    chat: Chat,
) -> None:
    await chat.say("quiero 3 cascos amarillos con ratchet")
    red = await chat.say("no, mejor rojos")
    assert lines(red) == [("CAS-I-E-RO", 3)]
    assert "$114.000" in (red.reply or "")
    white = await chat.say("actually, make them white instead")
    assert lines(white) == [("CAS-I-E-BL", 3)]

    await chat.say("agregue 2 extintores multiproposito de 10 libras")
    bigger = await chat.say("mejor que sean los de 20 libras")
    assert lines(bigger) == [("CAS-I-E-BL", 3), ("EXT-PQS-20", 2)]

    quantity = await chat.say("mejor que sean 4")
    assert lines(quantity) == [("CAS-I-E-BL", 3), ("EXT-PQS-20", 4)]


async def test_a_colour_the_kind_does_not_come_in_changes_nothing(chat: Chat) -> None:
    await chat.say("2 chalecos reflectivos naranja")
    purple = await chat.say("mejor en morado")
    assert lines(purple) == [("CHAL-MALLA-NA", 2)]


async def test_so_many_of_each_counts_the_two_products_just_discussed(chat: Chat) -> None:
    await chat.say("cuanto vale el casco blanco con ratchet?")
    await chat.say("y en azul?")
    both = await chat.say("listo, deme 2 de cada uno")
    assert lines(both) == [("CAS-I-E-BL", 2), ("CAS-I-E-AZ", 2)]
    assert "$152.000" in (both.reply or "")


async def test_what_is_said_after_the_product_picks_one_of_its_kind(chat: Chat) -> None:
    helmet = await chat.say("quiero un casco con ratchet, el azul")
    assert lines(helmet) == [("CAS-I-E-AZ", 1)]
    boots = await chat.say("and a pair of rubber boots, the size 42 ones")
    assert lines(boots) == [("CAS-I-E-AZ", 1), ("BOT-PVC-42", 2)]


async def test_counted_items_described_are_picked_from_the_list_just_shown(chat: Chat) -> None:
    await chat.say("q guantes tienen por menos de 8 mil")
    both = await chat.say("mándeme 10 de los de latex y 6 de los de carnaza")
    assert lines(both) == [("GUA-LAT-IND", 10), ("GUA-CARN-COR", 6)]
    latex = await chat.say("mejor que los de latex sean 20")
    assert lines(latex) == [("GUA-LAT-IND", 20), ("GUA-CARN-COR", 6)]


async def test_a_product_discussed_before_the_last_reply_is_found_by_its_words(
    chat: Chat,
) -> None:
    await chat.say("how much is the 10 lb CO2 steel extinguisher?")
    await chat.say("add 2 recharges for 10 lb dry chemical extinguishers")
    co2 = await chat.say("and one of the CO2 10 lb")
    assert lines(co2) == [("REC-PQS-10", 2), ("EXT-CO2-10", 1)]


async def test_a_count_said_alone_before_and_takes_the_offered_product(chat: Chat) -> None:
    await chat.say("cuanto vale el extintor multiproposito de 10 libras")
    both = await chat.say("me manda 2 y 3 triangulos reflectivos")
    assert lines(both) == [("EXT-PQS-10", 2), ("TRI-REFL-PAR", 3)]


async def test_a_need_named_by_a_category_word_lists_that_category(chat: Chat) -> None:
    # "Linterna Dinamo" is wound by hand, but "algo pa las manos" asks for hand protection.
    need = await chat.say("busco algo pa las manos")
    assert (need.reply or "").startswith("En *Protección de manos* tenemos")
    assert lines(need) == []
