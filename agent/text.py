"""Text normalisation shared by the understanding layer and the catalog search."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9ñ]+(?:[.,][0-9]+)?")
_SPACES = re.compile(r"\s+")
# Words that end in s but are already singular (after accents are stripped).
_INVARIANT = frozenset(
    [
        "arnes",
        "tapabocas",
        "gas",
        "mas",
        "tenis",
        "ingles",
        "pues",
        "antes",
        "despues",
        "lunes",
        "martes",
        "miercoles",
        "jueves",
        "viernes",
        "dos",
        "tres",
        "seis",
        "cortaunas",
        "portaextintores",
        "this",
        "yes",
        "us",
        "bus",
        "gps",
        "abs",
        "pvc",
        "cos",
    ]
)


def strip_accents(text: str) -> str:
    """`extinción` → `extincion`; keeps ñ, which changes meaning in Spanish."""
    out = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn" and char != "\u0303":
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def normalize(text: str) -> str:
    """Lowercase, without accents (but ñ), single spaces."""
    return _SPACES.sub(" ", strip_accents(text.lower())).strip()


def tokens(text: str) -> list[str]:
    """The words and numbers of a text, normalised (`10,5` stays one token)."""
    return _WORD.findall(normalize(text))


def singular(word: str) -> str:
    """A cheap Spanish/English singular: `extintores` → `extintor`, `guantes` → `guante`."""
    if len(word) <= 3 or word.isdigit() or word in _INVARIANT:
        return word
    if word.endswith("ces") and len(word) > 4:
        return word[:-3] + "z"
    if word.endswith(("ores", "ones", "ales", "eles", "ares", "ines", "ules", "eses")):
        return word[:-2]
    if word.endswith("les") and word[-4] in "bcdfgpt":
        return word[:-1]  # desechables → desechable, dobles → doble, triples → triple
    if word.endswith("es") and word[-3] in "rlndjy" and not word.endswith("tes"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
