"""Words reduced to their Snowball stems, Spanish or English (`devoluciones` → `devolu`)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import snowballstemmer

from agent.text import tokens

Language = Literal["es", "en"]

_DECIMAL = re.compile(r"[.,]")
_FUNCTION_WORDS = {
    "es": "el la los las de del que en y con para por un una es son se su al lo como pero me mi "
    "si cuanto cuando donde puedo tiene tienen hay esta",
    "en": "the of and to in is are for with on a an by be it you your this that or from how "
    "what do does can i my if has have will when where which should",
}
_SPANISH = frozenset(_FUNCTION_WORDS["es"].split())
_ENGLISH = frozenset(_FUNCTION_WORDS["en"].split())


def words_of(text: str) -> list[str]:
    """The normalised words of a text (lowercase, no accents but ñ); `10,5` is two words."""
    # FTS5 and PostgreSQL's parser would split `10,5` differently otherwise.
    return [part for word in tokens(text) for part in _DECIMAL.split(word) if part]


@lru_cache(maxsize=1)
def _stemmers() -> dict[Language, snowballstemmer.stemmer]:
    return {"es": snowballstemmer.stemmer("spanish"), "en": snowballstemmer.stemmer("english")}


@lru_cache(maxsize=65536)
def stem(word: str, language: Language) -> str:
    """The Snowball stem of a normalised word; numbers and short words as they are."""
    if len(word) < 3 or not word.isalpha():
        return word
    return str(_stemmers()[language].stemWord(word))


def language_of(words: list[str]) -> Language:
    """Spanish unless the words hold more English than Spanish function words."""
    english = sum(word in _ENGLISH for word in words)
    spanish = sum(word in _SPANISH for word in words)
    return "en" if english > spanish else "es"
