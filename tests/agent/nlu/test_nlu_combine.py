"""How the rules' verdict and the classifier's reading make one intent."""

from __future__ import annotations

import pytest

from agent.models import SaleState
from agent.nlu.classifier import IntentPrediction
from agent.nlu.combine import combine
from agent.nlu.intents import RuleVerdict
from agent.nlu.types import DialogState


def model(*ranking: tuple[str, float]) -> IntentPrediction:
    rest = 1.0 - sum(p for _, p in ranking)
    return IntentPrediction((*ranking, ("other", rest)))


@pytest.mark.parametrize(
    ("rules", "reading", "expected"),
    [
        # Both agree: the surer of the two.
        (RuleVerdict("handoff", 0.95, 5), model(("handoff", 0.8)), ("handoff", 0.95)),
        (
            RuleVerdict("inventory.price", 0.7, 4),
            model(("inventory.price", 0.9)),
            ("inventory.price", 0.9),
        ),
        # A sure rule of a high tier stands.
        (RuleVerdict("handoff", 0.95, 5), model(("company.contact", 0.9)), ("handoff", 0.95)),
        (
            RuleVerdict("company.shipping", 0.9, 4),
            model(("handoff", 0.6), ("company.shipping", 0.15)),
            ("company.shipping", 0.9),
        ),
        # ...but a topic rule the classifier all but rules out does not: "el transportador
        # me dejó la caja mojada" is a complaint, "did you ship my boots yet" asks for an order.
        (
            RuleVerdict("company.shipping", 0.9, 4),
            model(("handoff", 0.7), ("company.shipping", 0.05)),
            ("handoff", 0.7),
        ),
        (
            RuleVerdict("company.shipping", 0.9, 4),
            model(("customer.history", 0.95)),
            ("customer.history", 0.95),
        ),
        # A greeting that comes with the question never rules it out ("buenas tardes, ¿ya
        # salió lo que pedí el martes?").
        (
            RuleVerdict("customer.history", 0.9, 4),
            model(("smalltalk.greeting", 0.8), ("customer.history", 0.05)),
            ("customer.history", 0.9),
        ),
        # A decisive rule (a person asked for) stands even then.
        (RuleVerdict("handoff", 0.95, 5), model(("company.hours", 0.97)), ("handoff", 0.95)),
        # Data the rules found stands: a phone given while buying.
        (
            RuleVerdict("purchase.data", 0.85, 3),
            model(("purchase.change", 0.7)),
            ("purchase.data", 0.85),
        ),
        # A high-tier rule the classifier finds plausible stands.
        (
            RuleVerdict("purchase.cart", 0.82, 4),
            model(("inventory.price", 0.6), ("purchase.cart", 0.35)),
            ("purchase.cart", 0.82),
        ),
        # Otherwise the classifier decides at even odds or more.
        (RuleVerdict("other", 0.3, 0), model(("purchase.add", 0.8)), ("purchase.add", 0.8)),
        (
            RuleVerdict("inventory.product", 0.7, 2),
            model(("inventory.category", 0.55)),
            ("inventory.category", 0.55),
        ),
        # Neither sure: where the rules saw at most a product, the classifier's guess...
        (
            RuleVerdict("inventory.product", 0.7, 2),
            model(("company.about", 0.4)),
            ("company.about", 0.4),
        ),
        (RuleVerdict("other", 0.3, 0), model(("company.about", 0.4)), ("company.about", 0.4)),
        # ...otherwise the rules' reading, below even odds: a configured model reads both.
        (
            RuleVerdict("purchase.add", 0.82, 3),
            model(("inventory.stock", 0.45)),
            ("purchase.add", 0.5),
        ),
        # Data the rules only guessed ("Cali" outside a sale) does not stand.
        (
            RuleVerdict("purchase.data", 0.55, 3),
            model(("company.shipping", 0.8)),
            ("company.shipping", 0.8),
        ),
        # "Nothing to act on" is never sure from the classifier: a configured model reads it.
        (RuleVerdict("other", 0.3, 0), model(("other", 0.98)), ("other", 0.3)),
        (RuleVerdict("inventory.product", 0.7, 2), model(("other", 0.9)), ("other", 0.5)),
        # ...but a rule's sure "other" (a hold at the summary) stands.
        (RuleVerdict("other", 0.9, 5), model(("other", 0.6)), ("other", 0.9)),
    ],
)
def test_combination(
    rules: RuleVerdict, reading: IntentPrediction, expected: tuple[str, float]
) -> None:
    intent, confidence = combine(rules, reading, DialogState())

    assert (intent, round(confidence, 2)) == expected


def test_the_classifier_is_not_taken_where_the_state_does_not_allow_its_intent() -> None:
    asked = DialogState(sale_state=SaleState.COLLECTING_DATA, pending_field="national_id")
    summary = DialogState(sale_state=SaleState.READY_TO_CONFIRM, has_cart=True)
    unsure = RuleVerdict("other", 0.3, 0)

    # "no sé" while the cédula is asked for is not a "no" to anything.
    assert combine(unsure, model(("purchase.deny", 0.7)), asked) == ("other", 0.3)
    # At the summary only the rules' own "no" reopens it: "mmm" leaves it open.
    assert combine(unsure, model(("purchase.deny", 0.7)), summary) == ("other", 0.3)
    offered = DialogState(offer="purchase.add", last_products=["Casco blanco"])
    assert combine(unsure, model(("purchase.deny", 0.7)), offered) == ("purchase.deny", 0.7)


def test_a_topic_rule_stands_when_the_state_does_not_allow_the_classifiers_reading() -> None:
    # "no, primero cotizo el envío" with no offer: the classifier's "no" answers nothing.
    rules = RuleVerdict("company.shipping", 0.9, 4)

    assert combine(rules, model(("purchase.deny", 0.95)), DialogState()) == (
        "company.shipping",
        0.9,
    )


def test_a_cancel_is_decisive_only_when_there_is_something_to_cancel() -> None:
    cancel = RuleVerdict("purchase.cancel", 0.92, 5)
    aside = model(("other", 0.95))
    cart = DialogState(sale_state=SaleState.CART, has_cart=True)
    placed = DialogState(sale_state=SaleState.CLOSED)

    # "olvídelo, borre todo" with a cart, or once the order is placed, cancels.
    assert combine(cancel, aside, cart) == ("purchase.cancel", 0.92)
    assert combine(cancel, aside, placed) == ("purchase.cancel", 0.92)
    # "never mind, wrong chat" with nothing bought is an aside.
    assert combine(cancel, aside, DialogState()) == ("other", 0.5)


def test_a_yes_after_the_order_is_placed_is_read_as_a_confirmation() -> None:
    # "sí, ya lo confirmé" once the order is closed: the agent says it is already confirmed.
    closed = DialogState(sale_state=SaleState.CLOSED)

    assert combine(RuleVerdict("other", 0.3, 0), model(("purchase.confirm", 0.9)), closed) == (
        "purchase.confirm",
        0.9,
    )
