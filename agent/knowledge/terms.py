"""The words the keyword index holds and a question is searched by, the same on both databases.

Normalised in Python (lowercase, no accents but ñ) and reduced to their Snowball stems, Spanish
or English by the text's language, so that `garantías` finds `garantía` and `refilled` finds
`refill`, and SQLite's FTS5 and PostgreSQL's 'simple' configuration match the same words.
A question's word is searched by its stems in both languages and by its translations
(agent/knowledge/bilingual.py): an English question finds a Spanish document.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.knowledge.bilingual import closest, translations
from agent.knowledge.stemming import language_of, stem, words_of
from agent.knowledge.stopwords import STOPWORDS
from agent.text import singular

TITLE_WEIGHT = 1
HEADING_WEIGHT = 2
"""How many times a passage's document title and heading path count among its words (field
boosts: every passage of a document shares the title, the heading sets a passage apart)."""


def index_terms(text: str, *, title: str = "", heading: str = "") -> list[str]:
    """The words of a passage as the keyword index holds them (stop words too: cheap, harmless),
    with its document's title and its heading path weighted."""
    fields = [(words_of(title), TITLE_WEIGHT), (words_of(heading), HEADING_WEIGHT)]
    body = words_of(text)
    language = language_of(body + [word for words, _ in fields for word in words])
    terms = [stem(word, language) for words, weight in fields for word in words * weight]
    return terms + [stem(word, language) for word in body]


def query_terms(text: str) -> list[str]:
    """The distinct words of a question worth searching for, in order (singular, unstemmed)."""
    seen: dict[str, None] = {}
    for word in words_of(text):
        if word in STOPWORDS or len(word) < 2:
            continue
        seen.setdefault(singular(word), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class Concept:
    """One thing a question asks about: its word and the index terms that stand for it."""

    word: str
    forms: frozenset[str]
    spelt: frozenset[str] = frozenset()
    """The forms that stand for it only as the vocabulary word its spelling is nearest
    (`garantai` → `garantia`): a weaker sign than its own word or a translation."""


def _stems(words: list[str]) -> frozenset[str]:
    return frozenset(stem(word, language) for word in words for language in ("es", "en"))


def query_concepts(text: str) -> list[Concept]:
    """What a question asks about, each word with its stems in both languages and the stems of
    its translations and synonyms (the words of a known phrase, `hard hat`, go together)."""
    every = words_of(text)
    language = language_of(every)
    words = [word for word in every if len(word) >= 2]
    concepts: list[Concept] = []
    seen: set[str] = set()
    used: set[int] = set()
    for size in (3, 2):  # phrases first: their words are not asked about one by one
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if used.intersection(span):
                continue
            phrase = " ".join(words[start : start + size])
            forms = translations(phrase, language)
            if forms:
                used.update(span)
                own = [words[i] for i in span if words[i] not in STOPWORDS]
                concepts.append(Concept(phrase, forms | _stems(own)))
                seen.add(phrase)
    for index, word in enumerate(words):
        if index in used or word in STOPWORDS or word in seen:
            continue
        seen.add(word)
        stems = _stems([word])
        known = translations(word, language)
        spelt: frozenset[str] = frozenset()
        if not known and (near := closest(word)) is not None:
            spelt = (_stems([near]) | translations(near, language)) - stems
        concepts.append(Concept(word, stems | known | spelt, spelt))
    return concepts
