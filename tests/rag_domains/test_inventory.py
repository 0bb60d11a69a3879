"""The inventory handler's replies, as the customer reads them, in Spanish and English."""

from __future__ import annotations

import pytest
from fixtures.catalog_small import seed_catalog
from fixtures.turns import turn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex
from agent.domain import DomainResult
from agent.models import Product
from agent.nlu.types import PriceRequest, ProductMention
from rag_domains.inventory import InventoryHandler


@pytest.fixture
async def handler(session: AsyncSession) -> InventoryHandler:
    """The handler over the small catalog (it builds its index on the first turn)."""
    await seed_catalog(session)
    return InventoryHandler(ProductIndex(), limit=5)


def skus(result: DomainResult) -> list[str]:
    return [p.sku for p in result.products]


@pytest.mark.parametrize(
    ("language", "line", "call_to_action"),
    [
        (
            "es",
            "• *Extintor PQS 10 lb* — $180.000 · 12 disponibles",
            "¿Te agrego alguno al carrito?",
        ),
        (
            "en",
            "• *Extintor PQS 10 lb* — $180.000 · 12 in stock",
            "Want me to add one to your cart?",
        ),
    ],
)
async def test_a_product_question_lists_the_matches_with_live_price_and_stock(
    session: AsyncSession, handler: InventoryHandler, language: str, line: str, call_to_action: str
) -> None:
    ctx = await turn(
        session, "inventory.product", language=language, products=["extintores de 10 libras"]
    )
    result = await handler.handle(ctx)
    assert line in result.reply
    assert result.reply.endswith(call_to_action)
    assert set(skus(result)[:3]) == {"EXT-PQS-10", "EXT-CO2-10", "EXT-SOL-10"}
    facts = {f["sku"]: f for f in result.facts["products"]}
    assert facts["EXT-PQS-10"]["price"] == "180000"
    assert facts["EXT-PQS-10"]["stock"] == 12


@pytest.mark.parametrize(
    ("language", "answer", "call_to_action"),
    [
        (
            "es",
            "*Extintor CO2 10 lb* cuesta *$350.000*. Tenemos 3 disponibles.",
            "¿Te lo agrego al carrito?",
        ),
        (
            "en",
            "*Extintor CO2 10 lb* costs *$350.000*. We have 3 in stock.",
            "Want me to add it to your cart?",
        ),
    ],
)
async def test_a_price_question_about_one_clear_product_answers_it_first(
    session: AsyncSession,
    handler: InventoryHandler,
    language: str,
    answer: str,
    call_to_action: str,
) -> None:
    ctx = await turn(
        session, "inventory.price", language=language, products=["extintor co2 de 10 libras"]
    )
    result = await handler.handle(ctx)
    assert result.reply.startswith(answer)
    assert result.reply.endswith(call_to_action)
    assert skus(result)[0] == "EXT-CO2-10"


@pytest.mark.parametrize(
    ("language", "sold_out", "instead"),
    [
        ("es", "Por ahora está *agotado*.", "En lugar de *Casco dieléctrico clase E* (agotado)"),
        ("en", "It is *out of stock* right now.", "Instead of *Casco dieléctrico clase E*"),
    ],
)
async def test_out_of_stock_says_so_and_offers_in_stock_alternatives_of_its_category(
    session: AsyncSession, handler: InventoryHandler, language: str, sold_out: str, instead: str
) -> None:
    ctx = await turn(session, "inventory.stock", language=language, products=["casco dieléctrico"])
    result = await handler.handle(ctx)
    assert sold_out in result.reply
    assert instead in result.reply
    assert "Casco de seguridad tipo I blanco* — $28.000" in result.reply
    assert skus(result)[0] == "CAS-DIE"
    alternatives = result.products[1:]
    assert alternatives
    assert all(p.category == "Cascos" and p.stock > 0 for p in alternatives)
    assert [a["sku"] for a in result.facts["alternatives"]] == skus(result)[1:]


async def test_a_product_without_price_is_on_request(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    ctx = await turn(session, "inventory.price", products=["extintor satelital"])
    result = await handler.handle(ctx)
    assert "El precio de *Extintor satelital PQS 150 lb* es a consultar." in result.reply
    assert "$" not in result.reply
    assert result.facts["products"][0]["price"] is None
    assert result.reply.endswith("¿Quieres que un asesor te lo cotice?")

    ctx = await turn(session, "inventory.price", language="en", products=["extintor satelital"])
    assert "priced on request" in (await handler.handle(ctx)).reply


async def test_asking_for_more_units_than_in_stock_says_how_many_are_left(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    mention = ProductMention("extintor co2 de 10 libras", quantity=5)
    result = await handler.handle(await turn(session, "inventory.stock", products=[mention]))
    assert "Solo nos quedan *3* (pediste 5)." in result.reply


@pytest.mark.parametrize(
    ("language", "text", "answer"),
    [
        ("es", "y cuánto vale?", "*Guante de nitrilo verde* cuesta *$7.800*."),
        ("en", "and how much is it?", "*Guante de nitrilo verde* costs *$7.800*."),
    ],
)
async def test_without_a_product_named_the_last_products_shown_are_meant(
    session: AsyncSession, handler: InventoryHandler, language: str, text: str, answer: str
) -> None:
    ctx = await turn(
        session, "inventory.price", text, language=language, context={"last_products": ["GUA-NIT"]}
    )
    result = await handler.handle(ctx)
    assert result.reply.startswith(answer)
    assert result.facts["from_context"] is True
    assert skus(result) == ["GUA-NIT"]


async def test_catalog_lists_the_categories_with_counts(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    result = await handler.handle(await turn(session, "inventory.catalog", "¿qué venden?"))
    assert result.reply.startswith("Estas son nuestras categorías:")
    assert "• Extintores (11)" in result.reply
    assert "• Guantes (6)" in result.reply
    english = await handler.handle(await turn(session, "inventory.catalog", language="en"))
    assert english.reply.startswith("These are our categories:")


@pytest.mark.parametrize(
    ("language", "named", "heading"),
    [
        ("es", "guantes", "En *Guantes* tenemos 6 productos; estos son algunos:"),
        ("en", "gloves", "In *Guantes* we have 6 products; here are some:"),
    ],
)
async def test_a_category_lists_its_products(
    session: AsyncSession, handler: InventoryHandler, language: str, named: str, heading: str
) -> None:
    ctx = await turn(session, "inventory.category", language=language, category=named)
    result = await handler.handle(ctx)
    assert result.reply.startswith(heading)
    assert len(result.products) == 5
    assert all(p.category == "Guantes" for p in result.products)


async def test_a_category_named_only_in_the_text_and_sold_out_items_last(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    result = await handler.handle(await turn(session, "inventory.category", "muéstrame los cascos"))
    assert result.reply.startswith("En *Cascos* tenemos 4 productos:")
    assert skus(result)[-1] == "CAS-DIE"
    assert "• *Casco dieléctrico clase E* — $65.000 · agotado" in result.reply


async def test_a_kind_the_shop_has_one_product_of_is_answered_with_that_product(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    one = await handler.handle(
        await turn(session, "inventory.category", "oiga y venden camillas?", category="camillas")
    )
    assert one.reply.startswith("*Camilla de inmovilización rígida* cuesta *$290.000*.")
    # Several products of the kind: the category.
    kits = await handler.handle(
        await turn(session, "inventory.category", "q botiquines tienen?", category="botiquines")
    )
    assert kits.reply.startswith("En *Botiquines* tenemos 3 productos")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "No manejamos *taladro*. Manejamos: Botiquines, "),
        ("en", "We don't carry *taladro*. We carry: Botiquines, "),
    ],
)
async def test_a_product_not_sold_is_said_so_with_the_categories(
    session: AsyncSession, handler: InventoryHandler, language: str, expected: str
) -> None:
    ctx = await turn(session, "inventory.product", language=language, products=["taladro"])
    result = await handler.handle(ctx)
    assert result.reply.startswith(expected)
    assert "Extintores" in result.reply
    assert result.products == []


async def test_the_raw_text_is_searched_when_the_reader_found_no_product(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    ctx = await turn(session, "inventory.product", "¿tienen botas punta de acero?")
    result = await handler.handle(ctx)
    assert result.reply.startswith("*Bota de seguridad punta de acero* cuesta *$145.000*.")


async def test_several_products_in_one_message(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    ctx = await turn(session, "inventory.product", products=["cascos", "guantes de nitrilo"])
    result = await handler.handle(ctx)
    assert {p.category for p in result.products} == {"Cascos", "Guantes"}
    assert "GUA-NIT" in skus(result)


async def test_prices_and_stock_come_from_the_database_not_the_index(
    sessions: async_sessionmaker[AsyncSession], handler: InventoryHandler
) -> None:
    async with sessions() as session:
        ctx = await turn(session, "inventory.price", products=["guante de nitrilo verde"])
        assert "$7.800" in (await handler.handle(ctx)).reply
    async with sessions() as writer:
        await writer.execute(
            update(Product).where(Product.sku == "GUA-NIT").values(price=8200, stock=0)
        )
        await writer.commit()
    async with sessions() as session:
        ctx = await turn(session, "inventory.price", products=["guante de nitrilo verde"])
        reply = (await handler.handle(ctx)).reply
    assert "*Guante de nitrilo verde* cuesta *$8.200*. Por ahora está *agotado*." in reply


async def test_a_price_bound_lists_only_what_is_within_it_cheapest_first(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    ctx = await turn(
        session,
        "inventory.price",
        "guantes entre 7 y 15 mil",
        products=["guantes"],
        price=PriceRequest(low=7_000, high=15_000),
    )
    result = await handler.handle(ctx)
    assert skus(result) == ["GUA-NIT", "GUA-CAR", "GUA-VAQ"]
    assert result.reply.startswith("Esto es lo que tengo entre $7.000 y $15.000:")


async def test_the_cheapest_and_the_dearest_are_one_product_each(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    cheapest = await handler.handle(
        await turn(
            session, "inventory.price", products=["casco"], price=PriceRequest(order="cheapest")
        )
    )
    assert skus(cheapest) == ["CAS-BLA"]
    assert cheapest.reply.startswith("El más económico: *Casco de seguridad tipo I blanco*")
    # "y el más caro?" after that one: the others of its kind, not the one shown.
    context = {"last_products": ["CAS-BLA"]}
    dearest = await handler.handle(
        await turn(session, "inventory.price", context=context, price=PriceRequest(order="dearest"))
    )
    assert skus(dearest) == ["CAS-ALT"]


async def test_nothing_within_the_bound_says_so_and_shows_the_closest_prices(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    ctx = await turn(
        session, "inventory.price", products=["extintor"], price=PriceRequest(high=50_000)
    )
    result = await handler.handle(ctx)
    assert result.reply.startswith("No tengo opciones hasta $50.000. Lo más cercano en precio:")
    assert skus(result)[0] == "EXT-PQS-05"


@pytest.mark.parametrize(
    ("text", "mention", "closest"),
    [
        # The same purpose: smoke means fire.
        ("¿venden detectores de humo?", "detectores de humo", "EXT-"),
        # The same kind: gloves, not for golf.
        ("¿tienen guantes de golf?", "guantes de golf", "GUA-"),
        # Every word known, but only an extinguisher is for the kitchen: gloves, not that.
        ("buenas, manejan guantes de cocina?", "guantes de cocina", "GUA-"),
        # Fire means extinguishers; the kitchen says which one.
        ("una cobija contra incendios pa la cocina", "cobija contra incendios", "EXT-K-06"),
    ],
)
async def test_a_product_not_sold_is_said_so_with_the_closest_things_sold(
    session: AsyncSession, handler: InventoryHandler, text: str, mention: str, closest: str
) -> None:
    result = await handler.handle(
        await turn(session, "inventory.product", text, products=[mention])
    )
    assert result.reply.startswith(f"No manejamos *{mention}*. Lo más parecido que tenemos:")
    assert skus(result) and all(sku.startswith(closest) for sku in skus(result))


async def test_a_question_about_the_product_shown_is_answered_from_its_description(
    session: AsyncSession, handler: InventoryHandler
) -> None:
    context = {"last_products": ["EXT-PQS-05"]}
    ctx = await turn(session, "inventory.product", "¿sirve pa vehiculos?", context=context)
    result = await handler.handle(ctx)
    assert result.reply.startswith("*Extintor PQS 5 lb*: Ideal para vehículos.")
    assert "*Extintor PQS 5 lb* cuesta *$95.000*." in result.reply
