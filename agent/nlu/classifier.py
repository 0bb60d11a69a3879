"""The statistical intent classifier: a linear model over a message's features, its scores
turned into calibrated probabilities by one temperature.

Reading a message needs only numpy (well under a millisecond); the weights are trained
by agent/nlu/training.py and kept as plain arrays (`.npz`, read without pickle: a file in the
cache can hold numbers, never code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from agent.nlu.features import FEATURE_GROUPS, MessageFeatures, message_features
from agent.nlu.types import DialogState

CONTEXT_GROUP = FEATURE_GROUPS.index("context")
"""The context group is not tf-idf weighted: each fact is worth 1."""

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """The classifier's reading: every label's calibrated probability, best first."""

    ranking: tuple[tuple[str, float], ...]

    @property
    def intent(self) -> str:
        """The most probable label (`top.sub`)."""
        return self.ranking[0][0]

    @property
    def probability(self) -> float:
        """The most probable label's probability."""
        return self.ranking[0][1]

    def of(self, label: str) -> float:
        """The probability of one label (0 for a label the model does not know)."""
        return next((p for name, p in self.ranking if name == label), 0.0)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every feature the model knows, by group: its column and inverse document frequency."""

    columns: dict[str, dict[str, int]]
    """Group → feature → column."""
    idf: Floats

    @property
    def size(self) -> int:
        """How many features (columns) there are."""
        return len(self.idf)

    def names(self) -> list[str]:
        """Every feature as `group:name`, in column order."""
        named = [(c, f"{g}:{n}") for g, columns in self.columns.items() for n, c in columns.items()]
        return [name for _, name in sorted(named)]

    @classmethod
    def from_names(cls, names: list[str], idf: Floats) -> Vocabulary:
        """The vocabulary whose column i is `names[i]` (`group:name`)."""
        columns: dict[str, dict[str, int]] = {group: {} for group in FEATURE_GROUPS}
        for column, name in enumerate(names):
            group, feature = name.split(":", 1)
            columns[group][feature] = column
        return cls(columns, idf)

    def vectorize(self, features: MessageFeatures) -> tuple[npt.NDArray[np.int64], Floats]:
        """The known features of a message as (columns, values): sublinear tf × idf, each
        text group scaled to unit length; unknown features are dropped."""
        parts: list[tuple[npt.NDArray[np.int64], Floats]] = []
        for group_number, group in enumerate(FEATURE_GROUPS):
            lookup = self.columns[group].get
            known = [
                (column, count)
                for name, count in features.group(group).items()
                if (column := lookup(name)) is not None
            ]
            if not known:
                continue
            pairs = np.array(known, dtype=np.int64)
            columns = pairs[:, 0]
            if group_number == CONTEXT_GROUP:
                parts.append((columns, np.ones(len(known))))
                continue
            values = (1.0 + np.log(pairs[:, 1])) * self.idf[columns]
            parts.append((columns, values / np.linalg.norm(values)))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate([c for c, _ in parts]), np.concatenate([v for _, v in parts])


class IntentClassifier:
    """Reads the intent of a message in its context; `predict` takes well under a millisecond."""

    def __init__(
        self,
        *,
        labels: tuple[str, ...],
        vocabulary: Vocabulary,
        weights: Floats,
        intercept: Floats,
        temperature: float,
    ) -> None:
        self.labels = labels
        self.vocabulary = vocabulary
        self._weights = weights
        """One row per feature, one column per label."""
        self._intercept = intercept
        self.temperature = temperature

    def scores(self, text: str, state: DialogState) -> Floats:
        """The linear model's raw score for each label."""
        columns, values = self.vocabulary.vectorize(message_features(text, state))
        return values @ self._weights[columns] + self._intercept

    def predict(self, text: str, state: DialogState) -> IntentPrediction:
        """Every label's calibrated probability for `text` said in `state`."""
        probabilities = softmax(self.scores(text, state) / self.temperature)
        ranking = sorted(zip(self.labels, probabilities.tolist(), strict=True), key=_second)
        return IntentPrediction(tuple(ranking))

    def save(self, file: IO[bytes]) -> None:
        """Write the model as plain arrays (no pickle)."""
        np.savez_compressed(
            file,
            labels=np.asarray(self.labels, dtype=np.str_),
            features=np.asarray(self.vocabulary.names(), dtype=np.str_),
            idf=self.vocabulary.idf,
            weights=self._weights.astype(np.float32),
            intercept=self._intercept,
            temperature=np.asarray([self.temperature]),
        )

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        """A model written by `save`; raises OSError or ValueError for a damaged file."""
        with np.load(path, allow_pickle=False) as data:
            names = [str(name) for name in data["features"]]
            vocabulary = Vocabulary.from_names(names, data["idf"].astype(np.float64))
            return cls(
                labels=tuple(str(label) for label in data["labels"]),
                vocabulary=vocabulary,
                weights=data["weights"].astype(np.float64),
                intercept=data["intercept"].astype(np.float64),
                temperature=float(data["temperature"][0]),
            )


def _second(pair: tuple[str, float]) -> float:
    return -pair[1]


def softmax(scores: Floats) -> Floats:
    """Probabilities from scores (one row, or one row per message)."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    result: Floats = shifted / shifted.sum(axis=-1, keepdims=True)
    return result
