"""The intent classifier: trained from a corpus folder, read in context, kept on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.models import SaleState
from agent.nlu.classifier import IntentClassifier
from agent.nlu.features import message_features
from agent.nlu.model_store import load_or_train
from agent.nlu.training import cross_validate, train
from agent.nlu.training_data import corpus_files, load_corpus
from agent.nlu.types import DialogState

TINY_CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "nlu" / "corpus"
OFFERED = DialogState(offer="purchase.add", last_products=["Casco blanco"])
SUMMARY = DialogState(sale_state=SaleState.READY_TO_CONFIRM, has_cart=True)


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return train(load_corpus(corpus_files(TINY_CORPUS)))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("y cuanto vale la careta", "inventory.price"),
        ("what's the price of the boots", "inventory.price"),
        ("abren el domingo?", "company.hours"),
        ("paseme con una persona", "handoff"),
        ("holaa buenas", "smalltalk.greeting"),
    ],
)
def test_new_wording_is_read(classifier: IntentClassifier, text: str, intent: str) -> None:
    assert classifier.predict(text, DialogState()).intent == intent


def test_the_same_yes_means_what_the_conversation_asked(classifier: IntentClassifier) -> None:
    assert classifier.predict("si dale", OFFERED).intent == "purchase.add"
    assert classifier.predict("si dale", SUMMARY).intent == "purchase.confirm"


def test_probabilities_are_a_distribution(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("cuanto vale el casco", DialogState())

    assert sum(p for _, p in prediction.ranking) == pytest.approx(1.0)
    assert prediction.probability == prediction.of("inventory.price") > 0.5
    assert prediction.of("not.a.label") == 0.0


def test_cross_validation_scores_every_message_with_a_model_that_did_not_see_it() -> None:
    examples = load_corpus(corpus_files(TINY_CORPUS))

    result = cross_validate(examples)

    assert result.scores.shape == (len(examples), len(result.labels))
    right = sum(p == e.intent for p, e in zip(result.predicted, examples, strict=True))
    assert right / len(examples) > 0.6
    assert 0.05 < result.temperature < 20


def test_a_saved_model_reads_exactly_as_the_trained_one(
    classifier: IntentClassifier, tmp_path: Path
) -> None:
    path = tmp_path / "model.npz"
    with path.open("wb") as handle:
        classifier.save(handle)

    loaded = IntentClassifier.load(path)

    for text, state in (("precio del arnes", DialogState()), ("dale", OFFERED)):
        expected = classifier.predict(text, state)
        got = loaded.predict(text, state)
        assert got.intent == expected.intent
        assert got.probability == pytest.approx(expected.probability, abs=1e-5)


def test_the_model_is_trained_once_then_read_from_the_cache(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, corpus)
    cache = tmp_path / "cache"

    first = load_or_train.__wrapped__(cache, corpus)
    [kept] = cache.glob("intent-*.npz")
    written = kept.stat().st_mtime_ns
    second = load_or_train.__wrapped__(cache, corpus)

    assert first is not None and second is not None
    assert second.predict("hola", DialogState()).intent == "smalltalk.greeting"
    assert list(cache.glob("intent-*.npz")) == [kept]
    assert kept.stat().st_mtime_ns == written  # read, not written again

    # A changed corpus trains a new model, which replaces the old one.
    with (corpus / "more.jsonl").open("w", encoding="utf-8") as handle:
        handle.write('{"text": "chao pues", "intent": "smalltalk.goodbye"}\n' * 6)
    third = load_or_train.__wrapped__(cache, corpus)

    assert third is not None and "smalltalk.goodbye" in third.labels
    [renewed] = cache.glob("intent-*.npz")
    assert renewed != kept


def test_a_damaged_cache_file_is_trained_again(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, corpus)
    cache = tmp_path / "cache"
    load_or_train.__wrapped__(cache, corpus)
    [kept] = cache.glob("intent-*.npz")
    kept.write_bytes(b"not a model")

    again = load_or_train.__wrapped__(cache, corpus)

    assert again is not None and again.predict("hola", DialogState()).intent
    assert IntentClassifier.load(kept).labels == again.labels


def test_without_a_corpus_there_is_no_classifier(tmp_path: Path) -> None:
    assert load_or_train.__wrapped__(tmp_path / "cache", tmp_path) is None


def test_a_number_before_a_unit_is_a_measure_not_a_quantity() -> None:
    lifeline = message_features("and a 15 m vertical lifeline", DialogState()).word
    change = message_features("cambie los guantes a 15", DialogState()).word

    assert "a nn" in lifeline and "00" not in lifeline
    assert "a 00" in change
