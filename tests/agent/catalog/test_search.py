"""Product search over a small realistic catalog, its freshness, and a 10,000-product one."""

from __future__ import annotations

import asyncio

import pytest
from fixtures.catalog_small import ACTIVE_CATEGORIES, PRODUCTS, seed_catalog, seed_generated
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex, find_products
from agent.db import create_engine, create_sessionmaker
from agent.migrate import upgrade
from agent.models import Product
from rag_domains.sales import CLEAR_WINNER


@pytest.fixture
async def index(sessions: async_sessionmaker[AsyncSession]) -> ProductIndex:
    """An index over the small catalog."""
    async with sessions() as session:
        await seed_catalog(session)
        index = ProductIndex()
        await index.refresh(session)
    return index


async def skus(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex, query: str, **kw: object
) -> list[str]:
    async with sessions() as session:
        products = await find_products(session, index, query, **kw)  # type: ignore[arg-type]
    return [p.sku for p in products]


async def names(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex, query: str
) -> list[str]:
    async with sessions() as session:
        return [p.name for p in await find_products(session, index, query)]


@pytest.mark.parametrize(
    ("query", "first_word"),
    [
        ("extintor", "Extintor"),
        ("extintores", "Extintor"),
        ("EXTINTORES", "Extintor"),
        ("extingidor", "Extintor"),
        ("estintor", "Extintor"),
        ("extinguidor", "Extintor"),
        ("fire extinguishers", "Extintor"),
        ("guantez", "Guante"),
        ("gloves", "Guante"),
        ("cazco", "Casco"),
        ("hard hat", "Casco"),
        ("helmets", "Casco"),
        ("señales", "Señal"),
        ("senales", "Señal"),
        ("signs", "Señal"),
        ("botiquines", "Botiquín"),
        ("first aid kit", "Botiquín"),
        ("arneses", "Arnés"),
        ("harness", "Arnés"),
        ("tapabocas", "Tapabocas"),
        ("chalecos", "Chaleco"),
        ("gafas", "Gafas"),
        ("safety glasses", "Gafas"),
    ],
)
async def test_typos_plurals_accents_and_english_find_the_product_kind(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex, query: str, first_word: str
) -> None:
    found = await names(sessions, index, query)
    assert found, query
    assert found[0].startswith(first_word), (query, found)


@pytest.mark.parametrize(
    "query",
    [
        "extintor de 10 libras",
        "extintores de 10 lb",
        "Extintor 10lbs",
        "fire extinguisher 10 pounds",
        "extintor de diez libras",
    ],
)
async def test_ten_pounds_ranks_the_10_lb_extinguishers_first(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex, query: str
) -> None:
    found = await skus(sessions, index, query)
    assert set(found[:3]) == {"EXT-PQS-10", "EXT-CO2-10", "EXT-SOL-10"}, found


async def test_a_bare_number_after_the_product_is_its_capacity(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex
) -> None:
    found = await skus(sessions, index, "extintor de 20")
    assert set(found[:2]) == {"EXT-PQS-20", "EXT-CO2-20"}, found
    assert (await skus(sessions, index, "extintores co2 de 5 libras"))[0] == "EXT-CO2-05"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("guantes de carnaza", {"GUA-CAR", "GUA-CAR-L"}),
        ("casco dieléctrico", {"CAS-DIE"}),
        ("casco dielectrico", {"CAS-DIE"}),
        ("botas punta de acero", {"BOT-ACE"}),
        ("steel toe boots", {"BOT-ACE"}),
        ("bota pantanera", {"BOT-PVC"}),
        ("leather gloves", {"GUA-CAR"}),
        ("kit de primeros auxilios", {"BOT-TIA", "BOT-POR"}),
        ("orejeras", {"ORE-COP"}),
        ("agente limpio", {"EXT-SOL-10"}),
        ("solkaflam", {"EXT-SOL-10"}),
        ("clean agent extinguisher", {"EXT-SOL-10"}),
        ("extintor clase K", {"EXT-K-06"}),
        ("extintor para cocina", {"EXT-K-06"}),
        ("dióxido de carbono 20 lb", {"EXT-CO2-20"}),
        ("extintor ABC 5 libras", {"EXT-PQS-05"}),
        ("EXT-PQS-10", {"EXT-PQS-10"}),
        ("ext pqs 150", {"EXT-PQS-150"}),
        ("chaleco de alta visibilidad", {"CHA-REF"}),
        ("gafas oscuras", {"GAF-OSC"}),
        ("línea de vida", {"LIN-VID"}),
    ],
)
async def test_multiword_synonyms_types_and_skus_rank_the_right_products_first(
    sessions: async_sessionmaker[AsyncSession],
    index: ProductIndex,
    query: str,
    expected: set[str],
) -> None:
    found = await skus(sessions, index, query)
    assert set(found[: len(expected)]) == expected, found


async def test_type_words_keep_to_their_type(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex
) -> None:
    assert set(await skus(sessions, index, "CO2")) == {"EXT-CO2-05", "EXT-CO2-10", "EXT-CO2-20"}
    pqs = await skus(sessions, index, "extintor pqs")
    assert pqs[0].startswith("EXT-PQS")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("casco tipo I", ["CAS-AMA", "CAS-BLA"]),
        ("cascos tipo 1", ["CAS-AMA", "CAS-BLA"]),  # a Roman numeral or its digit
        ("casco clase E", ["CAS-DIE"]),
        ("guantes clase 0", ["GUA-DIE"]),
        ("botiquín tipo A", ["BOT-TIA"]),
    ],
)
async def test_a_type_or_class_letter_counts(
    sessions: async_sessionmaker[AsyncSession],
    index: ProductIndex,
    query: str,
    expected: list[str],
) -> None:
    # "a", "e" and "i" are filler words on their own; after "tipo" or "clase" they are the type.
    assert sorted(await skus(sessions, index, query)) == expected


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("extintor de 20 libras multiproposito", "EXT-PQS-20"),
        ("extintor multiproposito de 20 libras", "EXT-PQS-20"),
        ("20 lb pqs extintor", "EXT-PQS-20"),
        ("casco de seguridad blanco", "CAS-BLA"),
        ("blanco casco de seguridad", "CAS-BLA"),
        ("guante de carnaza largo", "GUA-CAR-L"),
    ],
)
async def test_the_product_with_every_word_wins_clearly_in_any_order(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex, query: str, sku: str
) -> None:
    hits = index.search(query, limit=4)
    async with sessions() as session:
        first = await session.get(Product, hits[0].product_id)
    assert first is not None
    assert first.sku == sku
    # The sales handler takes it without showing a list.
    assert len(hits) == 1 or hits[0].score >= CLEAR_WINNER * hits[1].score, hits


@pytest.mark.parametrize(
    "query",
    ["hola", "Buenas tardes!", "quiero saber el precio", "gracias", "asdfghjkl", "", "10", "casa"],
)
async def test_queries_that_name_no_product_find_nothing(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex, query: str
) -> None:
    assert await skus(sessions, index, query) == []


async def test_inactive_products_are_not_found(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex
) -> None:
    assert "EXT-AGUA" not in await skus(sessions, index, "extintor de agua 2.5 galones")


async def test_category_filter_and_limit(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex
) -> None:
    assert await skus(sessions, index, "dieléctrico", category="Guantes") == ["GUA-DIE"]
    cascos = await skus(sessions, index, "cascos", category="cascos", limit=2)
    assert len(cascos) == 2
    assert all(s.startswith("CAS-") for s in cascos)
    assert await skus(sessions, index, "casco", category="Botiquines") == []


def test_categories_count_the_active_products(index: ProductIndex) -> None:
    counts = dict(index.categories())
    assert set(counts) == ACTIVE_CATEGORIES
    assert counts["Extintores"] == 11  # the inactive water extinguisher is not counted
    assert sum(counts.values()) == len(index) == sum(1 for p in PRODUCTS if p["active"])


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("guantes", "Guantes"),
        ("gloves", "Guantes"),
        ("señales", "Señalización"),
        ("signs", "Señalización"),
        ("botiquines", "Botiquines"),
        ("first aid kits", "Botiquines"),
        ("extinguishers", "Extintores"),
        ("botas", "Calzado de seguridad"),
        ("arneses", "Trabajo en alturas"),
        ("protección auditiva", "Protección auditiva"),
        ("hola", None),
        ("algo barato", None),
    ],
)
def test_match_category(index: ProductIndex, text: str, category: str | None) -> None:
    assert index.match_category(text) == category


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("guantes de boxeo", ["boxeo"]),  # one letter from "boxes", but a short word
        ("cascos para esquiar", ["esquiar"]),
        ("guantez de carnasa", []),  # typos of long words are still typos
    ],
)
def test_a_short_word_is_no_typo_of_another(
    index: ProductIndex, text: str, unknown: list[str]
) -> None:
    assert index.unknown_words(text) == unknown


@pytest.mark.parametrize(
    ("text", "head", "at_odds"),
    [
        ("guantes de cocina", "guantes", ["cocina"]),  # only an extinguisher is for kitchens
        ("kitchen helmet", "helmet", ["cocina"]),
        ("cascos para electricista blancos", "cascos", []),
        ("extintor para cocina", "extintor", []),
        ("pintura para cocina", "pintura", []),  # no product is paint: nothing to be at odds
        ("guantes de seda", "guantes", []),  # a word no product has is unknown, not at odds
    ],
)
def test_words_at_odds_with_the_kind_named(
    index: ProductIndex, text: str, head: str, at_odds: list[str]
) -> None:
    assert index.at_odds(text, head) == at_odds


@pytest.mark.parametrize(
    ("text", "sku", "names"),
    [
        ("oiga y venden camillas?", "CAM-INM", True),  # the one product of its kind
        ("q monogafas manejan", "MON-ANT", True),
        ("manejan caretas?", "CAR-SOL", True),
        # "tapabocas" is also what the N95 box is: the word names more than this product.
        ("venden tapabocas quirurgicos?", "TAP-QUI", False),
        ("cascos para alturas", "CAS-ALT", False),  # several helmets
        ("algo pa trabajo en alturas", "CAS-ALT", False),  # not its head
    ],
)
async def test_a_kind_named_by_one_product_alone(
    sessions: async_sessionmaker[AsyncSession],
    index: ProductIndex,
    text: str,
    sku: str,
    names: bool,
) -> None:
    async with sessions() as session:
        product = (await session.execute(select(Product).filter_by(sku=sku))).scalar_one()
    assert index.names_kind(product.id, text) is names


def test_terms_feed_the_lexicon(index: ProductIndex) -> None:
    terms = index.terms()
    assert ("Extintor PQS 10 lb", "Extintores", ["extinguidor multipropósito"]) in terms
    assert len(terms) == len(index)


async def test_the_index_follows_changes_made_by_other_sessions(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex
) -> None:
    generation = index.generation
    async with sessions() as session:
        await index.ensure_fresh(session)
    assert index.generation == generation  # nothing changed: no rebuild

    async with sessions() as writer:
        writer.add(Product(sku="CAR-MAL", name="Careta de malla para guadaña", category="Cascos"))
        await writer.commit()
    assert await skus(sessions, index, "guadaña") == ["CAR-MAL"]
    assert index.generation == generation + 1

    async with sessions() as writer:
        product = (await writer.execute(select(Product).filter_by(sku="CAR-MAL"))).scalar_one()
        product.name = "Visor de malla forestal"
        await writer.commit()
    assert await skus(sessions, index, "guadaña") == []
    assert await skus(sessions, index, "visor forestal") == ["CAR-MAL"]

    async with sessions() as writer:
        await writer.execute(update(Product).where(Product.sku == "CAR-MAL").values(active=False))
        await writer.commit()
    assert await skus(sessions, index, "visor forestal") == []


async def test_stock_and_price_are_read_from_the_database(
    sessions: async_sessionmaker[AsyncSession], index: ProductIndex
) -> None:
    async with sessions() as writer:
        # The way a sale takes stock: a catalog text change it is not.
        await writer.execute(
            update(Product)
            .where(Product.sku == "EXT-PQS-10")
            .values(stock=Product.stock - 5, updated_at=Product.updated_at)
        )
        await writer.commit()
    generation = index.generation
    async with sessions() as session:
        (product,) = await find_products(session, index, "EXT-PQS-10", limit=1)
    assert product.stock == 7
    assert index.generation == generation


async def check_changes_of_another_process(url: str) -> None:
    """A second engine is another process: its price change is read at once, its rename
    rebuilds the index, and a stock move (even one that lets `updated_at` move) rebuilds
    nothing."""
    mine, other = create_engine(url), create_engine(url)
    try:
        sessions, other_sessions = create_sessionmaker(mine), create_sessionmaker(other)
        async with sessions() as session:
            await seed_catalog(session)
        index = ProductIndex()
        assert (await skus(sessions, index, "EXT-PQS-10", limit=1)) == ["EXT-PQS-10"]
        generation = index.generation

        async with other_sessions() as writer:
            product = (
                await writer.execute(select(Product).filter_by(sku="EXT-PQS-10"))
            ).scalar_one()
            product.stock -= 2
            await writer.commit()
        async with sessions() as session:
            (product,) = await find_products(session, index, "EXT-PQS-10", limit=1)
        assert (product.stock, index.generation) == (10, generation)

        async with other_sessions() as writer:
            await writer.execute(
                update(Product).where(Product.sku == "EXT-PQS-10").values(price=199_000)
            )
            await writer.commit()
        async with sessions() as session:
            (product,) = await find_products(session, index, "EXT-PQS-10", limit=1)
        assert product.price == 199_000

        async with other_sessions() as writer:
            await writer.execute(
                update(Product)
                .where(Product.sku == "EXT-PQS-10")
                .values(name="Extintor multipropósito de bodega")
            )
            await writer.commit()
        assert await skus(sessions, index, "extintor de bodega") == ["EXT-PQS-10"]
    finally:
        await mine.dispose()
        await other.dispose()


async def test_a_process_sees_the_catalog_changes_of_another(sqlite_url: str) -> None:
    await check_changes_of_another_process(sqlite_url)


@pytest.mark.postgres
async def test_on_postgresql_a_process_sees_price_and_name_changes_of_another(
    postgres_url: str,
) -> None:
    await asyncio.to_thread(upgrade, postgres_url)
    await check_changes_of_another_process(postgres_url)


async def test_a_10000_product_catalog_builds_and_answers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await seed_generated(session, 10_000)
        index = ProductIndex()
        await index.refresh(session)
    assert len(index) == 10_000

    found = await names(sessions, index, "extintor de 10 libras")
    assert len(found) == 5
    assert all(n.startswith("Extintor") and " 10 lb " in n for n in found), found
    carnaza = await names(sessions, index, "guantez de carnaza")
    assert carnaza
    assert all(n.startswith("Guante carnaza") for n in carnaza), carnaza
    white = await names(sessions, index, "cascos tipo 2 blancos")
    assert len(white) == 5
    assert all(n.startswith("Casco tipo II blanco ") for n in white), white
    assert await names(sessions, index, "hola, buenas tardes") == []
    assert index.match_category("botas") == "Calzado de seguridad"


@pytest.mark.postgres
async def test_on_postgresql_a_process_sees_the_catalog_changes_of_another(
    postgres_url: str,
) -> None:
    await asyncio.to_thread(upgrade, postgres_url)
    mine, other = create_engine(postgres_url), create_engine(postgres_url)
    try:
        sessions, other_sessions = create_sessionmaker(mine), create_sessionmaker(other)
        async with sessions() as session:
            await seed_catalog(session)
        index = ProductIndex()
        found = await skus(sessions, index, "extintor de 10 libras")
        assert set(found[:3]) == {"EXT-PQS-10", "EXT-CO2-10", "EXT-SOL-10"}

        async with other_sessions() as writer:
            writer.add(
                Product(sku="CAR-MAL", name="Careta de malla para guadaña", category="Cascos")
            )
            await writer.commit()
        assert await skus(sessions, index, "guadaña") == ["CAR-MAL"]
    finally:
        await mine.dispose()
        await other.dispose()
