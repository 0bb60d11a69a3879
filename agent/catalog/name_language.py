"""The language a product's name is written in, and the part of it that says what it is.

Spanish names the kind of product first ("Escritorio en L", "Casco dieléctrico clase E");
English names it last, before what qualifies it ("Customizable Desk (Steel, White)" is a desk,
"Desk Pad" a pad, "Cabinet with Doors" a cabinet). A name's own words tell its language when
they can (the words that join its parts, accents); otherwise the catalog's language does
(CATALOG_LANGUAGE; a shop on Odoo: its company's).
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["es", "en"]

_SPANISH = frozenset(
    ["de", "del", "para", "con", "sin", "en", "y", "la", "el", "los", "las", "por", "al"]
)
_ENGLISH = frozenset(["with", "for", "of", "and", "the", "in", "on", "without"])
_SPANISH_LETTERS = re.compile(r"[áéíóúñü]")
_WORD = re.compile(r"[^\W\d_]+")
# What follows the head of an English name: a variant's values in brackets, a phrase after a
# comma or dash, a phrase that starts with a preposition.
_ENGLISH_TAIL = re.compile(
    r"\s*(?:[(\[,;/]|\s-\s|\b(?:with|for|of|in|on|without)\b).*$", re.IGNORECASE | re.DOTALL
)


def name_language(name: str, catalog: Language) -> Language:
    """The language of `name` by its own words, else the catalog's."""
    text = name.lower()
    words = _WORD.findall(text)
    spanish = sum(word in _SPANISH for word in words) + bool(_SPANISH_LETTERS.search(text))
    english = sum(word in _ENGLISH for word in words)
    if spanish == english:
        return catalog
    return "es" if spanish > english else "en"


def english_core(name: str) -> str:
    """The part of an English name that ends with its head: "Cabinet with Doors" → "Cabinet"."""
    return _ENGLISH_TAIL.sub("", name).strip() or name
