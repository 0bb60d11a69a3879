"""Training the intent classifier from labelled messages (scikit-learn, seconds on 2 cores).

A linear SVM (one-vs-rest, classes weighted by their size) over the features of
agent/nlu/features.py. Its scores become probabilities by a softmax with a temperature: one
number, chosen so that the probabilities of messages the model did not train on (5-fold
cross-validation) fit how often it is right (temperature scaling, Guo et al. 2017).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import LinearSVC

from agent.nlu.classifier import CONTEXT_GROUP, Floats, IntentClassifier, Vocabulary, softmax
from agent.nlu.features import FEATURE_GROUPS, MessageFeatures, message_features
from agent.nlu.types import DialogState

MIN_DOCUMENTS = 2
"""A word or character n-gram seen in fewer messages than this is not a feature."""
REGULARISATION = 0.5
"""The linear SVM's C."""
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled message and the state it was said in."""

    text: str
    intent: str
    state: DialogState
    language: str | None = None


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Every message's probabilities from a model that did not see it, and the true labels."""

    labels: tuple[str, ...]
    scores: Floats
    """Raw scores, one row per message (out of fold)."""
    truth: npt.NDArray[np.int64]
    temperature: float

    @property
    def probabilities(self) -> Floats:
        """The calibrated probabilities (scores divided by the temperature)."""
        return softmax(self.scores / self.temperature)

    @property
    def predicted(self) -> list[str]:
        """The label each message was read as."""
        return [self.labels[i] for i in self.scores.argmax(axis=1)]


def train(examples: Sequence[Example], *, folds: int = FOLDS) -> IntentClassifier:
    """A classifier trained on every example, its temperature fitted by cross-validation."""
    features = [message_features(e.text, e.state) for e in examples]
    labels = tuple(sorted({e.intent for e in examples}))
    truth = np.asarray([labels.index(e.intent) for e in examples], dtype=np.int64)
    temperature = cross_validate(examples, folds=folds, features=features).temperature
    vocabulary = build_vocabulary(features)
    weights, intercept = _fit(design_matrix(vocabulary, features), truth, len(labels))
    return IntentClassifier(
        labels=labels,
        vocabulary=vocabulary,
        weights=weights,
        intercept=intercept,
        temperature=temperature,
    )


def cross_validate(
    examples: Sequence[Example],
    *,
    folds: int = FOLDS,
    features: list[MessageFeatures] | None = None,
) -> CrossValidation:
    """Out-of-fold scores of every example (the vocabulary, too, built without the fold)."""
    features = features or [message_features(e.text, e.state) for e in examples]
    labels = tuple(sorted({e.intent for e in examples}))
    truth = np.asarray([labels.index(e.intent) for e in examples], dtype=np.int64)
    scores = np.zeros((len(examples), len(labels)))
    for train_rows, test_rows in _splits(truth, folds):
        vocabulary = build_vocabulary([features[i] for i in train_rows])
        weights, intercept = _fit(
            design_matrix(vocabulary, [features[i] for i in train_rows]),
            truth[train_rows],
            len(labels),
        )
        held_out = design_matrix(vocabulary, [features[i] for i in test_rows])
        scores[test_rows] = held_out @ weights + intercept
    return CrossValidation(labels, scores, truth, fit_temperature(scores, truth))


def build_vocabulary(features: Sequence[MessageFeatures]) -> Vocabulary:
    """The features seen in enough messages, and their smoothed inverse document frequency."""
    documents: Counter[str] = Counter()
    for message in features:
        for group in FEATURE_GROUPS:
            documents.update(f"{group}:{name}" for name in message.group(group))
    context = f"{FEATURE_GROUPS[CONTEXT_GROUP]}:"
    kept = sorted(
        name
        for name, count in documents.items()
        if count >= MIN_DOCUMENTS or name.startswith(context)
    )
    total = len(features)
    idf = np.asarray(
        [
            1.0 if name.startswith(context) else math.log((1 + total) / (1 + documents[name])) + 1
            for name in kept
        ]
    )
    return Vocabulary.from_names(kept, idf)


def design_matrix(vocabulary: Vocabulary, features: Sequence[MessageFeatures]) -> csr_matrix:
    """One sparse row per message, built by the same code that reads a message at run time."""
    rows: list[npt.NDArray[np.int64]] = []
    values: list[Floats] = []
    for message in features:
        columns, weights = vocabulary.vectorize(message)
        rows.append(columns)
        values.append(weights)
    pointers = np.cumsum([0] + [len(r) for r in rows])
    return csr_matrix(
        (
            np.concatenate(values) if values else np.zeros(0),
            np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
            pointers,
        ),
        shape=(len(features), vocabulary.size),
    )


def fit_temperature(scores: Floats, truth: npt.NDArray[np.int64]) -> float:
    """The temperature that minimises the negative log-likelihood of the true labels."""

    def loss(temperature: float) -> float:
        probabilities = softmax(scores / temperature)
        chosen = probabilities[np.arange(len(truth)), truth]
        return float(-np.log(np.clip(chosen, 1e-12, None)).mean())

    result = minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded")
    return float(result.x)


def _fit(matrix: csr_matrix, truth: npt.NDArray[np.int64], classes: int) -> tuple[Floats, Floats]:
    """Weights (one row per feature, one column per label) and intercepts of the linear model."""
    model = LinearSVC(C=REGULARISATION, class_weight="balanced")
    model.fit(matrix, truth)
    weights = np.zeros((matrix.shape[1], classes))
    intercept = np.full(classes, -1e3)  # a label absent from this fold is never predicted
    present = model.classes_
    if len(present) == 2:  # a binary model has one row of scores: the second class's
        weights[:, present[1]] = model.coef_[0]
        intercept[present] = [0.0, float(model.intercept_[0])]
        weights[:, present[0]] = 0.0
    else:
        weights[:, present] = model.coef_.T
        intercept[present] = model.intercept_
    return weights, intercept


def _splits(
    truth: npt.NDArray[np.int64], folds: int
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """Stratified folds when every label has enough messages, plain shuffled folds otherwise."""
    smallest = int(np.bincount(truth).min()) if len(truth) else 0
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=0)
        if smallest >= folds
        else KFold(folds, shuffle=True, random_state=0)
    )
    return list(splitter.split(np.zeros(len(truth)), truth))
