"""The labelled corpus the intent classifier learns from: every `*.jsonl` file in
agent/nlu/corpus/ (the format of tests/eval/utterances.jsonl), and a digest that names it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import sklearn

from agent.evaluation import load_utterances
from agent.nlu.training import Example

CORPUS_DIR = Path(__file__).with_name("corpus")
_TRAINING_CODE = ("features.py", "classifier.py", "training.py")
"""The modules whose code shapes a trained model: a change to them retrains it."""


def corpus_files(folder: Path = CORPUS_DIR) -> list[Path]:
    """The corpus files, in a stable order."""
    return sorted(folder.glob("*.jsonl"))


def load_corpus(files: Sequence[Path]) -> list[Example]:
    """Every labelled message of `files`; a bad line raises InvalidInputError naming it."""
    return [
        Example(item.text, item.intent, item.state, item.language)
        for path in files
        for item in load_utterances(path)
    ]


def training_digest(files: Sequence[Path]) -> str:
    """A hash of the corpus, the training code and scikit-learn's version."""
    digest = hashlib.sha256(sklearn.__version__.encode())
    here = Path(__file__).parent
    for path in [here / name for name in _TRAINING_CODE] + list(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
