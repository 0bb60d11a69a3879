"""The intent classifier on its corpus: 5-fold cross-validation per language, the rules and the
combination on the same held-out folds, and how well its confidence is calibrated.

    .venv/bin/python bench/nlu_cross_validation.py

Every message is read by a model that did not train on it (its fold held out). Prints the time
to train on the whole corpus, top-level macro-F1 and accuracy and sub-intent accuracy per
language for the classifier, the rules and the two combined (agent/nlu/combine.py), then a
reliability table of the classifier's top probability (10 bins), its expected calibration
error and Brier score, before (temperature 1) and after temperature scaling.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent.nlu.classifier import Floats, IntentPrediction, softmax
from agent.nlu.combine import combine
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.training import Example, cross_validate, train
from agent.nlu.training_data import corpus_files, load_corpus

CATALOG = Path(__file__).resolve().parents[1] / "agent" / "demo_shop" / "products.csv"
BINS = 10


def demo_lexicon() -> Lexicon:
    """The lexicon the product builds from the demo shop's catalog."""
    with CATALOG.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Lexicon.from_products(
        (row["name"], row["category"], [s for s in row["synonyms"].split("|") if s]) for row in rows
    )


def macro_f1(truth: Sequence[str], got: Sequence[str]) -> float:
    """Top-level macro-F1 over the labels present in `truth`."""
    scores = []
    for label in sorted(set(truth)):
        hits = sum(t == g == label for t, g in zip(truth, got, strict=True))
        precision = hits / got.count(label) if label in got else 0.0
        recall = hits / truth.count(label)
        scores.append(2 * precision * recall / (precision + recall) if hits else 0.0)
    return sum(scores) / len(scores)


def scores(examples: Sequence[Example], got: Sequence[str]) -> str:
    """Macro-F1, top-level and sub-intent accuracy per language, as one table row each."""
    rows = []
    for language in ("es", "en", None):
        chosen = [i for i, e in enumerate(examples) if language in (None, _language(e))]
        truth = [examples[i].intent for i in chosen]
        read = [got[i] for i in chosen]
        top_truth = [t.split(".")[0] for t in truth]
        top_read = [r.split(".")[0] for r in read]
        top = sum(t == r for t, r in zip(top_truth, top_read, strict=True)) / len(chosen)
        sub = sum(t == r for t, r in zip(truth, read, strict=True)) / len(chosen)
        rows.append(
            f"  {language or 'all':<4}{len(chosen):>6}{macro_f1(top_truth, top_read):>10.3f}"
            f"{top:>9.3f}{sub:>9.3f}"
        )
    return "\n".join(rows)


def calibration(probabilities: Floats, truth: np.ndarray) -> tuple[str, float, float]:
    """A reliability table of the top probability, the expected calibration error, and the
    multi-class Brier score."""
    top = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == truth
    lines = [f"  {'confidence':<12}{'messages':>9}{'mean conf':>11}{'accuracy':>10}"]
    error = 0.0
    for low in np.linspace(0, 1, BINS, endpoint=False):
        inside = (top >= low) & (top < low + 1 / BINS + (1e-9 if low >= 0.9 else 0))
        if not inside.any():
            continue
        confidence, accuracy = float(top[inside].mean()), float(right[inside].mean())
        error += inside.mean() * abs(confidence - accuracy)
        lines.append(
            f"  {low:.1f}-{low + 1 / BINS:.1f}{int(inside.sum()):>13}{confidence:>11.3f}"
            f"{accuracy:>10.3f}"
        )
    onehot = np.zeros_like(probabilities)
    onehot[np.arange(len(truth)), truth] = 1
    brier = float(((probabilities - onehot) ** 2).sum(axis=1).mean())
    return "\n".join(lines), float(error), brier


def _language(example: Example) -> str:
    return example.language or example.state.language


def main() -> None:
    examples = load_corpus(corpus_files())
    started = time.perf_counter()
    train(examples)
    trained = time.perf_counter() - started
    result = cross_validate(examples)
    reader = OfflineReader(demo_lexicon())
    rules = [reader.verdict(e.text, e.state) for e in examples]
    model = [
        IntentPrediction(tuple(sorted(zip(result.labels, p.tolist(), strict=True), key=_second)))
        for p in result.probabilities
    ]
    combined = [combine(r, m, e.state)[0] for r, m, e in zip(rules, model, examples, strict=True)]
    languages = [_language(e) for e in examples]
    print(
        f"corpus: {len(examples)} messages ({languages.count('es')} es, "
        f"{languages.count('en')} en), {len(result.labels)} labels; "
        f"training on all of it: {trained:.1f} s"
    )
    header = f"  {'lang':<4}{'count':>6}{'macro-F1':>10}{'top acc':>9}{'sub acc':>9}"
    for name, got in (
        ("classifier", result.predicted),
        ("rules", [r.intent for r in rules]),
        ("combined", combined),
    ):
        print(f"\n{name} (5-fold cross-validation, held-out folds)\n{header}")
        print(scores(examples, got))
    for name, temperature in (("before (temperature 1)", 1.0), ("after", result.temperature)):
        table, error, brier = calibration(softmax(result.scores / temperature), result.truth)
        print(
            f"\ncalibration {name}: temperature {temperature:.3f}, ECE {error:.3f}, "
            f"Brier {brier:.3f}\n{table}"
        )


def _second(pair: tuple[str, float]) -> float:
    return -pair[1]


if __name__ == "__main__":
    main()
