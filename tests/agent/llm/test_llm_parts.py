"""The model layer's parts on their own: grounding guard, privacy, breaker, cache, parsing,
state checks, budgets and prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent.llm.breaker import BreakerState, CircuitBreaker
from agent.llm.cache import ResponseCache, cache_key
from agent.llm.errors import LLMOutputError
from agent.llm.grounding import Grounds, StreamGuard, parse_number
from agent.llm.pricing import price_for
from agent.llm.privacy import Redactor
from agent.llm.prompts import Line, recent, top_facts
from agent.llm.reading import ModelReading, grounded_entities, parse, refusal
from agent.llm.types import Usage
from agent.models import SaleState
from agent.nlu.types import DialogState, Entities

FACTS = {"products": [{"name": "Extintor PQS 10 lb", "price": "95000.00", "stock": 12}]}
TEMPLATE = "El *Extintor PQS 10 lb* cuesta $95.000 y hay 12 disponibles. ¿Te lo agrego?"


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("190.000", 190000),
        ("1.250.000,50", Decimal("1250000.50")),
        ("10,5", Decimal("10.5")),
        ("95000.00", 95000),
        ("190,000", 190000),
        ("7", 7),
    ],
)
def test_numbers_are_read_the_way_colombians_write_them(token: str, value: Decimal) -> None:
    assert parse_number(token) == value


@pytest.mark.parametrize(
    ("text", "grounded"),
    [
        ("Claro: el extintor de 10 lb vale $95.000 y quedan 12.", True),
        ("Vale 95 mil pesos.", True),
        ("Te lo dejo en $90.000.", False),
        ("Quedan 13.", False),
        ("A un peso.", False),
        ("Hoy va gratis.", False),
        ("Cuesta 95.000 pesos.", True),
    ],
)
def test_only_the_facts_numbers_are_grounded(text: str, grounded: bool) -> None:
    assert (not Grounds(FACTS, TEMPLATE).problems(text)) == grounded


def test_the_guard_holds_a_number_until_it_is_complete() -> None:
    guard = StreamGuard(Grounds(FACTS, TEMPLATE))
    given = [guard.feed(p) for p in ["Vale $9", "5.000 y ", "hay 1", "2 en bodega."]]
    given.append(guard.finish())

    assert given[0] == "Vale " and "9" not in given[0]
    assert "".join(given) == "Vale $95.000 y hay 12 en bodega."


def test_the_guard_stops_before_an_invented_price_is_seen() -> None:
    guard = StreamGuard(Grounds(FACTS, TEMPLATE))
    given = [guard.feed(p) for p in ["Te lo dejo ", "en $9", "0.000 hoy"]]
    given.append(guard.finish())

    assert "".join(given) == "Te lo dejo en "
    assert guard.tripped


def test_personal_data_round_trips_through_placeholders() -> None:
    redactor = Redactor([("national_id", "1088123456")])
    text = "cc 1.088.123.456, cel +57 310 456 7890, ana@example.com, Calle 19 # 8-34; $95.000"

    sent = redactor.redact(text)

    assert sent == "cc [CEDULA_A], cel [TELEFONO_A], [EMAIL_A], [DIRECCION_A]; $95.000"
    assert redactor.restore(sent) == text
    restorer = redactor.restorer()
    pieces = [restorer.feed(p) for p in ["Tu cédula [CED", "ULA_A] y tu correo [EM", "AIL_A]."]]
    assert "".join(pieces) + restorer.finish() == (
        "Tu cédula 1.088.123.456 y tu correo ana@example.com."
    )


def test_a_disabled_redactor_sends_everything_as_is() -> None:
    assert Redactor(enabled=False).redact("cc 1088123456") == "cc 1088123456"


def test_the_breaker_opens_goes_half_open_and_closes_again() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, reset_seconds=10, clock=lambda: now[0])
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    now[0] = 11
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one trial call at a time
    breaker.failure()
    assert breaker.state is BreakerState.OPEN  # a failed trial opens it again
    now[0] = 22
    assert breaker.allow()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.consecutive_failures == 0


def test_the_cache_keys_by_normalised_question_and_facts_and_expires() -> None:
    now = [0.0]
    cache = ResponseCache(size=2, ttl=60, clock=lambda: now[0])
    key = cache_key("phrase", "m", "¿Horario?", {"hours": "8-5"})
    assert key == cache_key("phrase", "m", "  ¿horario? ", {"hours": "8-5"})
    assert key != cache_key("phrase", "m", "¿Horario?", {"hours": "9-5"})
    cache.put(key, "abrimos de 8 a 5")
    assert cache.get(key) == "abrimos de 8 a 5"
    now[0] = 61
    assert cache.get(key) is None


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("{oops", "malformed JSON"),
        ('{"intent": "sell.all", "confidence": 1, "language": "es"}', "schema violation"),
        ('{"intent": "other", "confidence": 2, "language": "es"}', "schema violation"),
    ],
)
def test_an_invalid_answer_says_what_is_wrong(answer: str, problem: str) -> None:
    with pytest.raises(LLMOutputError, match=problem):
        parse(answer, ModelReading)


def test_a_fenced_json_answer_is_accepted() -> None:
    answer = '```json\n{"intent": "other", "confidence": 0.5, "language": "en"}\n```'
    assert parse(answer, ModelReading).intent == "other"


def test_the_state_refuses_a_yes_with_no_summary_shown() -> None:
    yes = ModelReading(intent="purchase.confirm", confidence=1, language="es")

    assert refusal(yes, DialogState()) is not None
    assert refusal(yes, DialogState(sale_state=SaleState.READY_TO_CONFIRM)) is None


def test_entities_the_message_does_not_hold_are_dropped() -> None:
    proposal = ModelReading(
        intent="purchase.data",
        confidence=0.9,
        language="es",
        national_id="1088123456",
        products=[{"text": "arnés", "quantity": 40}],  # type: ignore[list-item]
    )

    kept = grounded_entities(proposal, "quiero un arnés", Entities())

    assert kept.national_id is None
    assert [(p.text, p.quantity) for p in kept.products] == [("arnés", None)]


@pytest.mark.parametrize(
    ("text", "product"),
    [("¿me dejan 3 cascos al 150% de descuento?", "cascos"), ("3 helmets, 150% off?", "helmets")],
)
def test_a_percentage_the_model_reads_as_a_quantity_is_dropped(text: str, product: str) -> None:
    proposal = ModelReading(
        intent="purchase.add",
        confidence=0.9,
        language="es",
        quantity=150,
        products=[{"text": product, "quantity": 150}],  # type: ignore[list-item]
    )

    kept = grounded_entities(proposal, text, Entities())

    assert kept.quantity is None
    assert [p.quantity for p in kept.products] == [None]


def test_context_is_cut_to_its_budget() -> None:
    history = [Line("cliente", "hola " * 50), Line("tienda", "¿qué necesitas?")]
    assert recent(history, 10) == "tienda: ¿qué necesitas?"
    facts = {"products": [{"name": f"Casco {i}", "price": 1000 * i} for i in range(40)]}
    text = top_facts(facts, top=5, budget_tokens=2000)
    assert "Casco 4" in text and "Casco 5" not in text and "35 más" in text


def test_cost_comes_from_the_price_table_or_the_settings() -> None:
    usage = Usage(1_000_000, 100_000)
    assert price_for("gemini", "gemini-3.5-flash").cost(usage) == Decimal("0.550000")
    assert price_for("gemini", "gemini-2.5-flash-lite").cost(usage) == Decimal("0.140000")
    assert price_for("ollama", "qwen2.5:3b").cost(usage) == 0
    assert price_for("gemini", "x", input_per_mtok=1, output_per_mtok=2).cost(usage) == Decimal(
        "1.200000"
    )
