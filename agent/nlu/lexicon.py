"""The product vocabulary the reader recognises: the trade's base words plus a catalog's own."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from agent.catalog.name_language import Language, english_core, name_language
from agent.nlu.numbers import NUMBER_WORDS
from agent.nlu.places import CITY_NAMES
from agent.nlu.trade_terms import DESCRIPTIVE_WORDS, TRADE_GROUPS
from agent.nlu.vocabulary import (
    ARTICLES,
    BREAKERS,
    CONNECTORS,
    COUNT_UNITS,
    GENERIC_MODIFIERS,
    MEASURE_UNITS,
)
from agent.text import singular, tokens

# Words that never name a product, whatever a catalog says.
_NOT_PRODUCT = BREAKERS | CONNECTORS | ARTICLES | NUMBER_WORDS | COUNT_UNITS | MEASURE_UNITS
_NOT_PRODUCT |= frozenset(word for name in CITY_NAMES for word in name)
# Spelling-insensitive key: the usual Spanish confusions (c/k/qu/s/z, b/v, ll/y, silent h,
# gu/g, x/s before a consonant) and doubled letters collapse to one form.
_SOUNDS = (
    (re.compile(r"qu(?=[ei])"), "k"),
    (re.compile(r"gu(?=[ei])"), "g"),
    (re.compile(r"c(?=[ei])"), "s"),
    (re.compile(r"c"), "k"),
    (re.compile(r"z"), "s"),
    (re.compile(r"v"), "b"),
    (re.compile(r"ll"), "y"),
    (re.compile(r"h"), ""),
    (re.compile(r"x(?=[^aeiou])"), "s"),
    (re.compile(r"(.)\1+"), r"\1"),
)
_MIN_FUZZY = 5
# Below this length only a same-sounding spelling counts as a typo: one edit turns too many
# short words into products ("vendo" is not "venda").
_MIN_EDIT = 7
_CACHE_LIMIT = 50_000


def _sound(word: str) -> str:
    for pattern, replacement in _SOUNDS:
        word = pattern.sub(replacement, word)
    return word


def _forms(word: str) -> set[str]:
    """The word, its plurals and their cheap singulars, so any of them finds the term."""
    plurals = {word + "s", word + "es"}
    if word.endswith("z"):
        plurals.add(word[:-1] + "ces")
    forms = {word, singular(word)} | plurals | {singular(plural) for plural in plurals}
    return forms | {form.replace("ñ", "n") for form in forms}


def _same(token: str, word: str) -> bool:
    return token == word or singular(token) == singular(word) or token in (word + "s", word + "es")


@dataclass(frozen=True, slots=True)
class Term:
    """A product word or phrase, its category, the word a typo of it becomes, its language.

    `broad` terms name a kind of product ("cascos", "first aid kit"); a catalog's own
    phrases ("botas talla 42") name one product.
    """

    words: tuple[str, ...]
    category: str
    canonical: str
    language: str | None = None
    broad: bool = True


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A term found in a message: how many tokens it spans and the words to keep for it."""

    term: Term
    length: int
    words: tuple[str, ...]


class Lexicon:
    """Product words (with their categories), phrases, descriptive words, and typo correction."""

    def __init__(self) -> None:
        self._single: dict[str, Term] = {}
        self._phrases: dict[str, list[Term]] = {}
        self._descriptive: set[str] = set(DESCRIPTIVE_WORDS)
        self._descriptive_sounds: dict[str, str] = {}
        self._sounds: dict[str, Term] = {}
        self._sound_buckets: dict[str, list[str]] = {}
        self._corrections: dict[str, Term | None] = {}
        self._names: dict[str, set[int]] = {}  # word → the names (and synonyms) that have it
        for category, spanish, english in TRADE_GROUPS:
            for language, terms in (("es", spanish), ("en", english)):
                for term in terms:
                    self._add(Term(tuple(term.split()), category, spanish[0], language))
        self._index()

    @classmethod
    def from_products(
        cls,
        items: Iterable[tuple[str, str, Sequence[str]]],
        kinds: Iterable[tuple[str, str]] = (),
        language: Language = "es",
    ) -> Lexicon:
        """The base vocabulary plus each product's (name, category, synonyms), and the
        catalog's `kinds` (word, category): words for what its products are, in another
        language ("escritorio" of "Customizable Desk"), searched for rather than read as the
        name of a category. A name's head, the word for what the product is, is where the
        name's language puts it (`language`: the catalog's, when the name does not say)."""
        lexicon = cls()
        votes: Counter[tuple[str, str]] = Counter()
        phrases: dict[tuple[str, ...], str] = {}
        sizes: Counter[str] = Counter()
        for number, (name, category, synonyms) in enumerate(items):
            sizes[category] += 1
            for index, text in enumerate((name, *synonyms)):
                words = tuple(tokens(text))
                for word in words:
                    lexicon._names.setdefault(singular(word), set()).add(number)
                product_words = [word for word in words if _is_product_word(word)]
                if not product_words:
                    continue
                lexicon._descriptive.update(product_words)
                if index > 0 and len(words) > 1:
                    # A synonym's head need not come first ("carro extintor"): match it whole.
                    phrases[words] = category
                    continue
                head = _head(name, language) if index == 0 else None
                votes[(head or product_words[0], category)] += 1
                # A name is a phrase only when a plain word scan would break it ("pare y siga").
                if any(word in BREAKERS for word in words):
                    phrases[words] = category
        categories: dict[str, str] = {}
        for (head, category), _count in votes.most_common():
            categories.setdefault(head, category)
        # A word of the trade keeps its base category: stable names the inventory can
        # resolve, whatever the catalog calls its categories.
        base = {word: term.category for word, term in lexicon._single.items()}
        # A category that holds most of the catalog says no more than the word (an Odoo
        # shop's furniture is all "Office Furniture"): its heads are searched for, "desks"
        # lists the desks, not the category.
        total = sum(sizes.values())
        for head, category in categories.items():
            if head not in base:
                broad = sizes[category] * 2 <= total
                lexicon._add(Term((head,), category, head, broad=broad))
        for words, category in phrases.items():
            broad = all(word in GENERIC_MODIFIERS or word in CONNECTORS for word in words[1:])
            lexicon._add(Term(words, base.get(words[0], category), words[0], broad=broad))
        for kind, category in kinds:
            words = tuple(tokens(kind))
            if len(words) == 1 and (not _is_product_word(words[0]) or lexicon.knows(words[0])):
                continue  # a word of the trade or a name's head keeps its meaning
            if words:
                lexicon._add(Term(words, category, words[0], broad=False))
        lexicon._index()
        return lexicon

    def _add(self, term: Term) -> None:
        if len(term.words) == 1:
            for form in _forms(term.words[0]):
                self._single[form] = term
        else:
            self._phrases.setdefault(term.words[0], []).append(term)

    def _index(self) -> None:
        for bucket in self._phrases.values():
            bucket.sort(key=lambda term: -len(term.words))  # the longest phrase wins
        self._sounds = {_sound(form): term for form, term in self._single.items()}
        self._sound_buckets = {}
        for key in self._sounds:
            if len(key) >= _MIN_EDIT - 1:
                self._sound_buckets.setdefault(key[0], []).append(key)
        self._descriptive_sounds = {_sound(word): word for word in self._descriptive}
        self._corrections = {}

    def match(self, words: Sequence[str], i: int) -> TermMatch | None:
        """The product term that starts at `words[i]`, spelled right or nearly so."""
        word = words[i]
        for key in (word, singular(word)):
            for term in self._phrases.get(key, ()):
                end = i + len(term.words)
                if end <= len(words) and all(
                    _same(words[j], w) for j, w in zip(range(i, end), term.words, strict=True)
                ):
                    return TermMatch(term, len(term.words), tuple(words[i:end]))
        single = self._single.get(word) or self._single.get(singular(word))
        if single is not None:
            return TermMatch(single, 1, (word,))
        corrected = self._correct(word)
        if corrected is not None:
            return TermMatch(corrected, 1, (corrected.canonical,))
        return None

    def named_together(self, first: str, second: str) -> bool:
        """Whether one product is called by both words ("conos retráctiles"): one, not two."""
        having = self._names.get(singular(first))
        also = self._names.get(singular(second))
        return having is not None and also is not None and not having.isdisjoint(also)

    def names(self, word: str) -> bool:
        """Whether a product's name or synonym holds the word ("customizable" of "Customizable
        Desk"), whatever the word is there for."""
        return singular(word) in self._names

    def knows(self, word: str) -> bool:
        """Whether a word is a product word as written (no typo correction)."""
        return word in self._single or singular(word) in self._single

    def describes(self, word: str) -> bool:
        """Whether a word describes products of this shop (colour, material, model...)."""
        return word in self._descriptive or singular(word) in self._descriptive

    def fix_descriptive(self, word: str) -> str:
        """A misspelt descriptive word as it should be written ("carnasa" → "carnaza")."""
        if word in self._descriptive or len(word) < _MIN_FUZZY + 1 or not word.isalpha():
            return word
        return self._descriptive_sounds.get(_sound(word), word)

    def _correct(self, word: str) -> Term | None:
        if len(word) < _MIN_FUZZY or not word.isalpha() or word in _NOT_PRODUCT:
            return None
        if word in self._corrections:
            return self._corrections[word]
        key = _sound(word)
        term = self._sounds.get(key)
        if term is None and len(key) >= _MIN_EDIT:
            # Same first sound only: a changed first letter makes too many real words look
            # like products ("gente" is not "lente").
            limit = 1 if len(key) < 9 else 2
            found = process.extractOne(
                key,
                self._sound_buckets.get(key[0], ()),
                scorer=Levenshtein.distance,
                score_cutoff=limit,
            )
            term = None if found is None else self._sounds[found[0]]
        if len(self._corrections) < _CACHE_LIMIT:
            self._corrections[word] = term
        return term


def _head(name: str, catalog: Language) -> str | None:
    """The head of an English name, its last product word before what qualifies it
    ("Customizable Desk (Steel)" → "desk", "Office Chair Black" → "chair"); None for a
    Spanish one, whose head is its first product word."""
    if name_language(name, catalog) != "en":
        return None
    words = [word for word in tokens(english_core(name)) if _is_product_word(word)]
    while len(words) > 1 and words[-1] in DESCRIPTIVE_WORDS:
        words.pop()
    return words[-1] if words else None


def _is_product_word(word: str) -> bool:
    return word.isalpha() and len(word) >= 3 and word not in _NOT_PRODUCT
