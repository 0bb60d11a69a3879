"""Where the trained intent classifier lives: trained from the corpus on first use, then kept
on disk under a name that hashes the corpus and the training code, so later starts load it in
a few tens of milliseconds and a changed corpus or training code trains a new one."""

from __future__ import annotations

import logging
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from agent.nlu.classifier import IntentClassifier
from agent.nlu.training import train
from agent.nlu.training_data import CORPUS_DIR, corpus_files, load_corpus, training_digest

log = logging.getLogger(__name__)

_PREFIX = "intent-"


@lru_cache(maxsize=4)
def load_or_train(cache_dir: Path, corpus_dir: Path = CORPUS_DIR) -> IntentClassifier | None:
    """The classifier for the corpus in `corpus_dir`: from the cache, or trained and cached.
    None when there is no corpus (the rules then read every message alone)."""
    files = corpus_files(corpus_dir)
    if not files:
        log.warning("no intent corpus in %s: the rules read every message alone", corpus_dir)
        return None
    path = cache_dir / f"{_PREFIX}{training_digest(files)[:20]}.npz"
    try:
        return IntentClassifier.load(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as err:
        log.warning("intent model %s unreadable (%s): training it again", path, err)
    started = time.monotonic()
    examples = load_corpus(files)
    classifier = train(examples)
    log.info(
        "intent model trained from %d messages in %.1f s", len(examples), time.monotonic() - started
    )
    _keep(classifier, path)
    return classifier


def _keep(classifier: IntentClassifier, path: Path) -> None:
    """Write the model for the next start and drop older ones; a read-only disk only logs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Another process may be writing the same model: each writes its own file, then
        # renames it into place, so a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as handle:
            partial = Path(handle.name)
            classifier.save(handle)
        partial.replace(path)
        for old in path.parent.glob(f"{_PREFIX}*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as err:
        log.warning("intent model not kept in %s: %s", path.parent, err)
