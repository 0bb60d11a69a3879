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
from typing import cast

import yaml
from rapidfuzz import fuzz, process

from agent.catalog.vocabulary import BUILT_IN
from agent.errors import ConfigurationError
from agent.knowledge.stemming import Language, stem, words_of
from agent.knowledge.stopwords import STOPWORDS
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


def _stems(entries: Iterable[str], language: Language, *, phrases: bool) -> set[str]:
    """The stems of one-word entries, and with `phrases` of the words of the others too
    (`primeros auxilios`: `primer`, `auxili`)."""
    return {
        stem(word, language)
        for entry in entries
        if phrases or len(words_of(entry)) == 1
        for word in words_of(entry)
        if word not in STOPWORDS and len(word) > 1
    }


@lru_cache(maxsize=1)
def _table() -> dict[tuple[Language, str], frozenset[str]]:
    # A phrase asked about stands for the words of the other entries' phrases too; a single
    # word only for single words: `vida` of `linea de vida` is not a harness.
    table: defaultdict[tuple[Language, str], set[str]] = defaultdict(set)
    for spanish, english in _meanings():
        words = _stems(spanish, "es", phrases=False) | _stems(english, "en", phrases=False)
        every = _stems(spanish, "es", phrases=True) | _stems(english, "en", phrases=True)
        for language, entries in (("es", spanish), ("en", english)):
            for entry in entries:
                key = _key(entry, cast(Language, language))
                table[cast(Language, language), key] |= every if " " in key else words
    return {key: frozenset(forms) for key, forms in table.items()}


def translations(phrase: str, language: Language) -> frozenset[str]:
    """The index stems that mean what `phrase` (normalised words of a question in `language`)
    means, in both languages; the other language's words are tried when the question's do not
    know it. Empty when the vocabularies do not know it."""
    table = _table()
    other: Language = "en" if language == "es" else "es"
    known = table.get((language, _key(phrase, language)))
    return known if known is not None else table.get((other, _key(phrase, other)), frozenset())


MIN_MISSPELT = 5
"""Shorter words are not corrected: one letter changes too much of them."""


@lru_cache(maxsize=1)
def _known_words() -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                word
                for spanish, english in _meanings()
                for entry in (*spanish, *english)
                if len(words := words_of(entry)) == 1 and len(word := words[0]) >= MIN_MISSPELT
            }
        )
    )


def closest(word: str) -> str | None:
    """The vocabulary's word `word` is most likely a misspelling of (`garantai` → `garantia`),
    or None when it is short, known or near none."""
    if len(word) < MIN_MISSPELT:
        return None
    found = process.extractOne(word, _known_words(), scorer=fuzz.ratio, score_cutoff=80)
    return None if found is None or found[0] == word else str(found[0])
