"""The words the keyword index holds and a question is searched by, the same on both databases.

Normalised in Python (lowercase, no accents but ñ) and reduced to their Snowball stems, Spanish
or English by the text's language, so that `garantías` finds `garantía` and `refilled` finds
`refill`, and SQLite's FTS5 and PostgreSQL's 'simple' configuration match the same words.
A question's word is searched by its stems in both languages and by its translations
(agent/knowledge/bilingual.py): an English question finds a Spanish document.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.knowledge.bilingual import translations
from agent.knowledge.stemming import language_of, stem, words_of
from agent.text import singular

_SPANISH_STOPWORDS = """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun como con contra cual
    cuales cuando de del desde donde e el ella ellas ellos en entre era es esa esas ese eso
    esos esta estan estas este esto estos fue ha hay han hasta la las le les lo los mas me mi mis
    mucho muy nada ni no nos nuestra nuestro nuestros o os otra otro para pero poco por porque
    puede pueden puedo que quien quienes se sea ser si sin sobre son su sus tambien te tengo tiene
    tienen tu tus un una uno unos unas usted ustedes y ya yo hola buenas dias favor gracias quiero
    saber necesito dime digame podria podrian cuanto cuanta cuantos cuantas hacer hace tienda
    dura duran durar cuesta cuestan vale valen puedo podemos debo debe deben hago hacen ofrecen
    manejan tener tienes sirve sirven funciona explicar explica vende venden vendes mandan manda
    mandar q pa pues entonces toca tocaria hago eso esto aca alla ahi
"""
_ENGLISH_STOPWORDS = """
    a an and any are as at be been but by can could do does did for from had has have how i if in
    into is it its me my of on or our please should so tell than that the their them then there
    these they this to us was we what when where which who why will with would you your hello hi
    thanks thank know need want shop store much many long last lasts cost costs get give offer
    s t ll re ve d m am being whats what's shouldn isn don doesn didn won cant can't some also
    just still again ever each about up out off over only very
"""
STOPWORDS = frozenset(_SPANISH_STOPWORDS.split()) | frozenset(_ENGLISH_STOPWORDS.split())
"""Words too common in questions and documents to say what a passage is about."""

HEADING_WEIGHT = 3
"""How many times a passage's title and headings count among its words (a field boost)."""


def index_terms(text: str, *, heading: str = "") -> list[str]:
    """The words of a passage as the keyword index holds them (stop words too: cheap, harmless),
    its heading's (title and heading path) counted `HEADING_WEIGHT` times."""
    body = words_of(text)
    head = words_of(heading)
    language = language_of(body + head)
    stems = [stem(word, language) for word in body]
    return [stem(word, language) for word in head] * HEADING_WEIGHT + stems


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


def _stems(words: list[str]) -> frozenset[str]:
    return frozenset(stem(word, language) for word in words for language in ("es", "en"))


def query_concepts(text: str) -> list[Concept]:
    """What a question asks about, each word with its stems in both languages and the stems of
    its translations and synonyms (the words of a known phrase, `hard hat`, go together)."""
    words = [word for word in words_of(text) if len(word) >= 2]
    concepts: list[Concept] = []
    seen: set[str] = set()
    used: set[int] = set()
    for size in (3, 2):  # phrases first: their words are not asked about one by one
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if used.intersection(span):
                continue
            phrase = " ".join(words[start : start + size])
            forms = translations(phrase)
            if forms:
                used.update(span)
                own = [words[i] for i in span if words[i] not in STOPWORDS]
                concepts.append(Concept(phrase, forms | _stems(own)))
                seen.add(phrase)
    for index, word in enumerate(words):
        if index in used or word in STOPWORDS or word in seen:
            continue
        seen.add(word)
        forms = _stems([word]) | translations(word)
        concepts.append(Concept(word, forms))
    return concepts
