"""Several sizes of one product in one message ("8 de 10 libras y 4 de 20 libras"), each with
its count; the answer that settles which kind the first is settles the others too."""

from __future__ import annotations

from conftest import Chat


def lines(result: object) -> list[tuple[str, int]]:
    return [(c.sku, c.quantity) for c in getattr(result, "cart", [])]


async def test_a_second_size_said_without_the_product_is_one_more_item(chat: Chat) -> None:
    added = await chat.say("buenas, mandeme 2 extintores multiproposito de 10 libras y 1 de 30")
    assert lines(added) == [("EXT-PQS-10", 2), ("EXT-PQS-30", 1)], added.reply


async def test_a_second_size_in_english(chat: Chat) -> None:
    added = await chat.say("I need 4 multipurpose extinguishers of 20 lb and 2 of 10 lb")
    assert lines(added) == [("EXT-PQS-20", 4), ("EXT-PQS-10", 2)], added.reply


async def test_the_kind_chosen_for_the_first_size_is_the_kind_of_the_next(chat: Chat) -> None:
    asked = await chat.say("me toca recargar 2 extintores de 10 libras y 3 de 20 libras")
    assert lines(asked) == [] and "Recarga de extintor PQS 10 lb" in (asked.reply or "")
    settled = await chat.say("los ABC")
    assert lines(settled) == [("REC-PQS-10", 2), ("REC-PQS-20", 3)], settled.reply


async def test_a_product_added_while_a_choice_is_open_keeps_the_choice(chat: Chat) -> None:
    asked = await chat.say("necesito recargar 3 extintores de 10 libras")
    assert lines(asked) == []
    added = await chat.say("y agregueme tambien 2 soportes de pared")
    assert lines(added) == [("SOP-EXT-PARED", 2)]
    assert "Recarga de extintor PQS 10 lb" in (added.reply or ""), added.reply
    picked = await chat.say("el 1")
    assert sorted(lines(picked)) == [("REC-PQS-10", 3), ("SOP-EXT-PARED", 2)], picked.reply
