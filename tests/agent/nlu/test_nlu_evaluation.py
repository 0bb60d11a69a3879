"""Utterance evaluation: loading labelled files, scoring a reader, and the quality gate."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.errors import InvalidInputError
from agent.evaluation import (
    evaluate_utterances,
    format_utterance_report,
    load_utterances,
)
from agent.models import SaleState
from agent.nlu.lexicon import Lexicon
from agent.nlu.model_store import load_or_train
from agent.nlu.offline import OfflineReader
from agent.nlu.types import INTENT_LABELS, DialogState, Entities, ProductMention, Understanding

ROOT = Path(__file__).resolve().parents[3]
EVAL_FILE = ROOT / "tests" / "eval" / "utterances.jsonl"
DEMO_CATALOG = ROOT / "agent" / "demo_shop" / "products.csv"


def write_lines(path: Path, *items: object) -> Path:
    path.write_text("\n".join(json.dumps(item) for item in items) + "\n", encoding="utf-8")
    return path


def demo_lexicon() -> Lexicon:
    """The lexicon the product builds from the demo shop's own catalog file."""
    with DEMO_CATALOG.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Lexicon.from_products(
        (row["name"], row["category"], [s for s in row["synonyms"].split("|") if s]) for row in rows
    )


def test_load_reads_text_intent_entities_state_and_language(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "u.jsonl",
        {
            "text": "2 extintores",
            "intent": "purchase.add",
            "entities": {"products": [{"text": "extintores", "quantity": 2}], "quantity": 2},
            "state": {"sale_state": "cart", "has_cart": True},
            "language": "es",
        },
        {"text": "hola", "intent": "smalltalk.greeting"},
    )

    first, second = load_utterances(path)

    assert first.entities == Entities(products=[ProductMention("extintores", 2)], quantity=2)
    assert first.labelled == {"products", "quantity"}
    assert first.state == DialogState(sale_state=SaleState.CART, has_cart=True)
    assert (second.labelled, second.state, second.language) == (frozenset(), DialogState(), None)


@pytest.mark.parametrize(
    "line",
    [
        '{"text": "hola", "intent": "greeting"}',
        '{"text": "hola", "intent": "smalltalk.greeting", "entities": {"colour": "red"}}',
        '{"text": "hola", "intent": "smalltalk.greeting", "state": {"sale_state": "paid"}}',
        '{"text": "hola"',
    ],
)
def test_a_bad_line_is_refused_with_its_number(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "chao", "intent": "smalltalk.goodbye"}\n' + line + "\n")

    with pytest.raises(InvalidInputError, match=r"bad\.jsonl:2"):
        load_utterances(path)


def test_scores_of_a_reader(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "u.jsonl",
        {
            "text": "a",
            "intent": "purchase.add",
            "entities": {"products": [{"text": "guantes de carnaza", "quantity": 2}]},
        },
        {"text": "b", "intent": "purchase.cart"},
        {"text": "c", "intent": "inventory.price", "entities": {"phone": "310 456 7890"}},
        {"text": "d", "intent": "smalltalk.greeting", "language": "en"},
    )
    answers = {
        "a": Understanding(
            "purchase.add", 0.9, Entities(products=[ProductMention("guante de carnaza rojo", 2)])
        ),
        "b": Understanding("purchase.checkout", 0.9),
        "c": Understanding("purchase.add", 0.7, Entities(phone="3104567890")),
        "d": Understanding("smalltalk.greeting", 0.9, language="es"),
    }

    report = evaluate_utterances(load_utterances(path), lambda text, state: answers[text])

    purchase = report.intents["purchase"]
    assert (purchase.precision, purchase.recall, purchase.support) == (2 / 3, 1.0, 2)
    assert report.intents["inventory"].f1 == 0.0
    assert report.macro_f1 == pytest.approx((0.8 + 0.0 + 1.0) / 3)
    assert (report.accuracy, report.sub_intent_accuracy) == (0.75, 0.5)
    assert report.entities["products"].accuracy == 1.0
    assert report.entities["phone"].accuracy == 1.0
    assert report.language_accuracy == 0.0
    assert [e.text for e in report.errors] == ["b", "c", "d"]
    assert "purchase" in format_utterance_report(report)


def test_a_mention_with_another_quantity_does_not_match(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "u.jsonl",
        {
            "text": "a",
            "intent": "purchase.add",
            "entities": {"products": [{"text": "cascos", "quantity": 3}]},
        },
    )
    wrong = Understanding("purchase.add", 0.9, Entities(products=[ProductMention("cascos", 2)]))

    report = evaluate_utterances(load_utterances(path), lambda text, state: wrong)

    assert report.entities["products"].accuracy == 0.0
    assert report.errors[0].problems == ("products: 'cascos'×2",)


def test_the_eval_file_covers_every_label_and_both_languages() -> None:
    items = load_utterances(EVAL_FILE)
    intents = {item.intent for item in items}
    english = sum(item.language == "en" for item in items)

    assert len(items) >= 400
    assert english / len(items) >= 0.25
    assert intents >= {"purchase.add", "purchase.confirm", "customer.lookup", "handoff", "other"}
    assert intents == set(INTENT_LABELS)


@pytest.mark.parametrize("lexicon", [Lexicon, demo_lexicon], ids=["base", "demo-catalog"])
def test_quality_gate_on_the_eval_file(lexicon: Callable[[], Lexicon]) -> None:
    # The reader the product runs: the rules and the classifier trained from the corpus.
    reader = OfflineReader(lexicon(), load_or_train(ROOT / "data" / "nlu"))

    report = evaluate_utterances(load_utterances(EVAL_FILE), reader.understand)

    assert report.macro_f1 >= 0.92, format_utterance_report(report)
    assert report.sub_intent_accuracy >= 0.9, format_utterance_report(report)
    assert all(e.accuracy >= 0.9 for e in report.entities.values()), format_utterance_report(report)
