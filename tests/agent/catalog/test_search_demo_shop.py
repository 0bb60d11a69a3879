"""Product search on the seeded demo shop: the product a customer names is taken, not listed.

The sales handler adds the first hit without asking when it scores at least `CLEAR_WINNER`
times the second; otherwise it shows a numbered list. These tests hold the ranking to that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from agent.catalog.search import ProductIndex, SearchHit
from agent.db import create_engine, create_sessionmaker
from agent.models import Product
from agent.settings import Settings
from rag_domains.sales import CLEAR_WINNER


class DemoSearch:
    """The demo shop's index, answering in SKUs."""

    def __init__(self, index: ProductIndex, skus: dict[int, str]) -> None:
        self.index = index
        self.skus = skus

    def hits(self, query: str) -> list[tuple[str, float]]:
        """(sku, score) of the hits the sales handler looks at, best first."""
        return [(self.skus[h.product_id], h.score) for h in self.index.search(query, limit=4)]

    def taken(self, query: str) -> str | None:
        """The SKU the sales handler adds without asking, or None when it shows a list."""
        hits = self.index.search(query, limit=4)
        return self.skus[hits[0].product_id] if _clear(hits) else None


def _clear(hits: list[SearchHit]) -> bool:
    return len(hits) == 1 or hits[0].score >= CLEAR_WINNER * hits[1].score


@pytest.fixture
async def demo(demo_settings: Settings) -> AsyncIterator[DemoSearch]:
    """An index over the demo shop's catalog (its products plus the Risaralda import)."""
    engine = create_engine(demo_settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            index = ProductIndex()
            await index.refresh(session)
            rows = await session.execute(select(Product.id, Product.sku))
            yield DemoSearch(index, {r.id: r.sku for r in rows})
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("mention", "sku"),
    [
        # "quiero 1 botiquin tipo A": the letter is the type, not the preposition "a".
        ("botiquin tipo a", "RIS-205"),
        ("botiquín tipo A", "RIS-205"),
        ("quiero 1 botiquin tipo A", "RIS-205"),
        ("botiquin tipo b", "RIS-206"),
        ("botiquines tipo C", "BOT-TIPO-C"),
        # "media docena de respiradores N95 desechables": the name, word for word.
        ("respiradores n95 desechables", "RES-N95"),
        ("respirador N95 desechable", "RES-N95"),
        ("media docena de respiradores N95 desechables", "RES-N95"),
        # "necesito 1 extintor de 20 libras multiproposito": every word, in any order.
        ("extintor de 20 libras multiproposito", "EXT-PQS-20"),
        ("necesito 1 extintor de 20 libras multiproposito", "EXT-PQS-20"),
        ("extintor multiproposito de 20 libras", "EXT-PQS-20"),
        ("20 libras multiproposito extintor", "EXT-PQS-20"),
        # A letter after "en" is a shape: "la eslinga en Y" is the Y lanyard.
        ("eslinga en Y", "ESL-Y-18"),
        # English colours and shades of lenses.
        ("dark lens safety glasses", "GAF-OSCURO"),
        ("welding goggles shade 5", "GAF-SOLD-5"),
    ],
)
def test_the_product_the_customer_names_is_taken_without_a_list(
    demo: DemoSearch, mention: str, sku: str
) -> None:
    assert demo.taken(mention) == sku, demo.hits(mention)


@pytest.mark.parametrize(
    ("mention", "offered"),
    [
        # Both are N95 respirators; which one is for the customer to say.
        ("respirador n95", {"RES-N95", "RES-N95-V-20"}),
        # Three 10 lb extinguishers of different agents.
        ("extintores de 10 libras", {"EXT-PQS-10", "EXT-CO2-10", "EXT-AGL-10"}),
        # One product is named just that, but the mesh vests go by that name too.
        ("chaleco reflectivo", {"RIS-405", "CHAL-MALLA-NA", "CHAL-MALLA-VE"}),
    ],
)
def test_a_mention_that_fits_several_products_offers_them(
    demo: DemoSearch, mention: str, offered: set[str]
) -> None:
    assert demo.taken(mention) is None, demo.hits(mention)
    assert offered <= {sku for sku, _ in demo.hits(mention)}


def test_a_botiquin_of_another_type_is_not_offered_for_type_a(demo: DemoSearch) -> None:
    assert [sku for sku, _ in demo.hits("botiquin tipo a")] == ["RIS-205"]


def test_word_order_does_not_change_the_scores(demo: DemoSearch) -> None:
    first = demo.hits("extintor de 20 libras multiproposito")
    second = demo.hits("extintor multiproposito de 20 libras")
    assert first[0][0] == second[0][0] == "EXT-PQS-20"
    assert first[0][1] / first[1][1] == pytest.approx(second[0][1] / second[1][1], rel=0.1)


@pytest.mark.parametrize(
    ("query", "included", "excluded"),
    [
        # Every extinguisher, not the wall bracket for one, whatever the price filter keeps.
        ("extintores", {"EXT-PQS-05", "EXT-PQS-150"}, {"SOP-EXT-PARED", "SOP-EXT-VEH"}),
        # Only the size asked for.
        ("botas talla 41", {"BOT-PA-41", "BOT-PVC-41"}, {"BOT-PA-40", "BOT-PA-42"}),
    ],
)
async def test_matching_gives_every_product_of_the_kind_asked(
    demo: DemoSearch, query: str, included: set[str], excluded: set[str]
) -> None:
    skus = {demo.skus[h.product_id] for h in demo.index.matching(query)}
    assert included <= skus
    assert not excluded & skus


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("detectores de humo", ["detector"]),
        ("andamios", ["andamio"]),
        ("botas de cuero talla 35", ["talla:35"]),  # no boot comes that small
        ("guantes de carnaza", []),
        ("extingidor", []),  # a typo of a word the catalog has
    ],
)
async def test_unknown_words_are_those_no_product_has(
    demo: DemoSearch, text: str, unknown: list[str]
) -> None:
    assert demo.index.unknown_words(text) == unknown


@pytest.mark.parametrize(
    ("text", "shown", "narrowed"),
    [
        ("deme el de 20 libras", ["EXT-H2O-25", "EXT-PQS-20"], ["EXT-PQS-20"]),
        ("el de 10", ["EXT-PQS-05", "EXT-PQS-10"], ["EXT-PQS-10"]),
        ("ese", ["EXT-PQS-05", "EXT-PQS-10"], []),  # nothing tells them apart
    ],
)
async def test_narrow_keeps_the_products_shown_that_have_what_is_said(
    demo: DemoSearch, text: str, shown: list[str], narrowed: list[str]
) -> None:
    ids = {sku: pid for pid, sku in demo.skus.items()}
    kept = demo.index.narrow(text, [ids[sku] for sku in shown])
    assert [demo.skus[pid] for pid in kept] == narrowed


async def test_same_kind_is_every_product_named_with_the_same_first_word(demo: DemoSearch) -> None:
    ids = {sku: pid for pid, sku in demo.skus.items()}
    kind = {demo.skus[pid] for pid in demo.index.same_kind(ids["CAS-I-PIN-AM"])}

    assert {"CAS-I-PIN-AM", "CAS-II-E"} <= kind
    assert "EXT-PQS-05" not in kind
