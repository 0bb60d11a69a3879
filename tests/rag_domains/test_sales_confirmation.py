"""Only the customer's own plain yes at the summary creates an order (agent/nlu/consent.py).

A hedge, a question or a condition keeps the summary open, with no order row and no stock
taken, whether the offline rules or a model read it as a yes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from conftest import Chat, make_settings
from fixtures.llm_servers import Reply, ScriptedServer, gemini_json, ollama_chat
from fixtures.llm_setup import gemini_settings, ollama_settings, reading
from sqlalchemy import func, select

from agent.messages import TurnResult
from agent.models import Order, Product, SaleState
from agent.settings import Settings
from salesagent.runtime import Runtime

SKU = "CAS-II-E"
BUYER = ["1032456789", "Laura Restrepo", "3104567890", "Pereira", "Calle 19 # 8-34"]

HEDGES_ES = [
    # Waiting, thinking, asking, conditions, a yes with a "but".
    "espera",
    "un momento",
    "dame un segundo",
    "déjame pensarlo",
    "déjame pensarlo con mi jefe",
    "lo consulto y te aviso",
    "todavía no",
    "ahora no",
    "más tarde",
    "no sé",
    "creo que sí",
    "tal vez",
    "de pronto",
    "mmm",
    "sí pero…",
    "sí...",
    "¿sí?",
    "ok?",
    "sí, pero cambia la dirección",
    "bueno pero primero dime si hay descuento",
    "ok y el envío cuánto?",
    "si me hacen descuento sí",
    "sí si me lo dejan a mitad de precio",
    "dale, pero ¿cuánto se demora?",
    "listo pero antes pregunto algo",
    "confirmo mañana",
]
HEDGES_EN = [
    "wait",
    "hold on",
    "not yet",
    "maybe",
    "i think so",
    "let me think about it",
    "let me check with my boss",
    "yes but…",
    "yes, but first tell me about discounts",
    "yes if you include shipping",
    "sure, what about delivery time?",
    "ok, how long does shipping take?",
    "confirm later",
]

CHANGES = {"sí, pero cambia la dirección"}
"""Hedges that ask for a change: the sale goes on with the change, still without an order."""

YESES = [
    "sí",
    "si, confirmo",
    "dale",
    "listo, confírmalo",
    "Sí señor, confirmo el pedido",
    "de una",
    "yes please",
    "confirm",
    "yes, go ahead",
    "ok",
]


async def orders_and_stock(runtime: Runtime) -> tuple[int, int]:
    """How many orders exist, and the stock of the product in the cart."""
    async with runtime.sessions() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
        stock = await session.scalar(select(Product.stock).where(Product.sku == SKU))
    return int(orders or 0), int(stock or 0)


async def at_summary(runtime: Runtime, language: str = "es") -> Chat:
    """A new web chat whose sale shows its summary and waits for the yes."""
    chat = Chat(runtime, f"consent-{uuid.uuid4().hex[:8]}")
    if language == "en":
        await chat.say("I want 1 dielectric helmet type II")
        await chat.say("that's all, checkout")
    else:
        await chat.say("quiero 1 casco dieléctrico tipo II")
        await chat.say("eso es todo")
    result: TurnResult | None = None
    for value in BUYER:
        result = await chat.say(value)
    assert result is not None and result.sale_state == SaleState.READY_TO_CONFIRM, result
    assert [c.sku for c in result.cart] == [SKU]
    return chat


@pytest.mark.parametrize(
    ("language", "hedge"), [("es", h) for h in HEDGES_ES] + [("en", h) for h in HEDGES_EN]
)
async def test_a_hedge_question_or_condition_creates_no_order(
    runtime: Runtime, language: str, hedge: str
) -> None:
    chat = await at_summary(runtime, language)
    before = await orders_and_stock(runtime)

    result = await chat.say(hedge)

    assert result.order_id is None
    assert await orders_and_stock(runtime) == before
    assert "confirmado por" not in (result.reply or "")
    assert "is confirmed" not in (result.reply or "")
    if hedge not in CHANGES:
        assert result.sale_state == SaleState.READY_TO_CONFIRM
        closed = await chat.say("sí")  # the summary stayed open: a plain yes closes it

        assert closed.sale_state == SaleState.CLOSED and closed.order_id is not None
        assert await orders_and_stock(runtime) == (before[0] + 1, before[1] - 1)


@pytest.mark.parametrize("yes", YESES)
async def test_a_plain_yes_creates_the_order(runtime: Runtime, yes: str) -> None:
    chat = await at_summary(runtime)
    before = await orders_and_stock(runtime)

    result = await chat.say(yes)

    assert result.sale_state == SaleState.CLOSED and result.order_id is not None
    assert await orders_and_stock(runtime) == (before[0] + 1, before[1] - 1)


async def test_a_question_at_the_summary_is_answered_and_the_summary_stays_open(
    runtime: Runtime,
) -> None:
    chat = await at_summary(runtime)

    result = await chat.say("ok y el envío cuánto?")

    assert result.intent == "company.shipping"
    assert result.sale_state == SaleState.READY_TO_CONFIRM and result.order_id is None
    assert "sigue pendiente" in (result.reply or "")


@pytest.fixture
def shop_settings(shop_url: str) -> Settings:
    return make_settings(shop_url)


@pytest.fixture
async def shop(shop_settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(shop_settings, migrate=False)
    yield runtime
    await runtime.close()


async def test_hedges_one_after_another_then_a_yes_on_each_database(shop: Runtime) -> None:
    chat = await at_summary(shop)
    before = await orders_and_stock(shop)

    for hedge in ("espera", "déjame pensarlo con mi jefe", "si me hacen descuento sí", "wait"):
        result = await chat.say(hedge)
        assert result.order_id is None and result.sale_state == SaleState.READY_TO_CONFIRM
    assert await orders_and_stock(shop) == before

    closed = await chat.say("sí, confirmo")

    assert closed.sale_state == SaleState.CLOSED and closed.order_id is not None
    assert await orders_and_stock(shop) == (before[0] + 1, before[1] - 1)


@pytest.fixture(params=["gemini", "ollama"])
async def always_model(
    request: pytest.FixtureRequest, demo_settings: Settings, server: ScriptedServer
) -> AsyncIterator[tuple[Runtime, str]]:
    """The demo shop with Gemini, then Ollama, on the local server, asked to read every message;
    with the server's route that carries the reading."""
    configure = gemini_settings if request.param == "gemini" else ollama_settings
    runtime = await Runtime.start(
        configure(demo_settings, server, llm_mode="always"), migrate=False
    )
    yield runtime, request.param
    await runtime.close()


def says_yes(provider: str) -> tuple[str, Reply]:
    """The scripted model answer `purchase.confirm`, on the provider's route."""
    answer = reading("purchase.confirm", 0.98)
    return (
        ("generate", gemini_json(answer)) if provider == "gemini" else ("chat", ollama_chat(answer))
    )


@pytest.mark.parametrize(
    "hedge", ["bueno pero primero dime si hay descuento", "déjame pensarlo", "wait, not yet"]
)
async def test_a_model_reading_a_hedge_as_a_yes_creates_no_order(
    always_model: tuple[Runtime, str], server: ScriptedServer, hedge: str
) -> None:
    runtime, provider = always_model
    chat = await at_summary(runtime)
    before = await orders_and_stock(runtime)
    route, yes = says_yes(provider)
    server.script(route, yes)

    result = await chat.say(hedge)

    assert server.pending(route) == 0  # the model was asked, and said yes
    assert result.order_id is None and result.sale_state == SaleState.READY_TO_CONFIRM
    assert await orders_and_stock(runtime) == before

    server.script(route, yes)
    closed = await chat.say("sí")

    assert closed.sale_state == SaleState.CLOSED and closed.order_id is not None
