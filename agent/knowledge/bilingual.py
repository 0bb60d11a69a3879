"""The same meaning in Spanish and English, so a question finds a document in the other language.

Three vocabularies, all general: the shop, policy, time and safety-trade words of
`bilingual_words.yaml`, the safety trade's product words (agent/nlu/trade_terms.py) and the
common kinds of product (agent/catalog/vocabulary.py). A word (or phrase) of one meaning
stands for the stems of every word of that meaning, in both languages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml

from agent.catalog.vocabulary import BUILT_IN
from agent.errors import ConfigurationError
from agent.knowledge.stemming import Language, stem, words_of
from agent.nlu.trade_terms import TRADE_GROUPS

WORDS_FILE = Path(__file__).with_name("bilingual_words.yaml")

Meaning = tuple[tuple[str, ...], tuple[str, ...]]
"""Spanish words, English words."""


def _file_meanings(path: Path) -> list[Meaning]:
    try:
        groups = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [(tuple(group["es"]), tuple(group["en"])) for group in groups]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise ConfigurationError(f"{path}: not a list of {{es: [...], en: [...]}}") from err


def _meanings() -> list[Meaning]:
    meanings = _file_meanings(WORDS_FILE)
    meanings += [(spanish, english) for _, spanish, english in TRADE_GROUPS]
    meanings += [(group, group) for group in BUILT_IN]  # Spanish, then English: either
    return meanings


def _key(phrase: str, language: Language) -> str:
    return " ".join(stem(word, language) for word in words_of(phrase))


def _stems(words: Iterable[str], language: Language) -> set[str]:
    """The stems of the one-word entries (a phrase's words alone would mean something else)."""
    return {_key(word, language) for word in words if len(words_of(word)) == 1}


@lru_cache(maxsize=1)
def _table() -> dict[tuple[Language, str], frozenset[str]]:
    table: defaultdict[tuple[Language, str], set[str]] = defaultdict(set)
    for spanish, english in _meanings():
        forms = _stems(spanish, "es") | _stems(english, "en")
        for word in spanish:
            table["es", _key(word, "es")] |= forms
        for word in english:
            table["en", _key(word, "en")] |= forms
    return {key: frozenset(forms) for key, forms in table.items()}


def translations(phrase: str) -> frozenset[str]:
    """The index stems that mean what `phrase` (normalised words) means, in both languages;
    empty when the vocabularies do not know it."""
    table = _table()
    es = table.get(("es", _key(phrase, "es")), frozenset())
    en = table.get(("en", _key(phrase, "en")), frozenset())
    return es | en
