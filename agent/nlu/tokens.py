"""Tokens of a message with their place in it, so entities can be cut out of the original text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from agent.text import strip_accents

# A number with thousands or decimal separators ("1.032.456", "2,5") stays one token; a word
# or a run of letters and digits ("co2", "n95", "15x30") is one token; anything else is one
# punctuation token.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+(?![a-zñ0-9])|[a-zñ0-9]+|[^\sa-zñ0-9]")
# "10lb", "3x", "x3", "5und" are a number and a unit written together: split them.
_GLUED = re.compile(
    r"(?P<num>\d+)(?P<unit>x|lbs?|kgs?|lts?|ml|mts?|m|cm|mm|und|unds|uds|u|pares|unidades)"
    r"|x(?P<times>\d+)"
)
_APOSTROPHES = str.maketrans({"'": " ", "\u2019": " ", "`": " "})


@dataclass(frozen=True, slots=True)
class Token:
    """A folded token and its span [start, end) in the folded (and original) text."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """Letters and digits, not punctuation."""
        return self.text[0].isalnum()

    @property
    def is_alpha(self) -> bool:
        """Letters only."""
        return self.text.isalpha()


def fold(text: str) -> str:
    """Lowercase without accents (ñ kept) and apostrophes as spaces, as long as `text`.

    Same length means a span found in the folded text is the same span in the original,
    which is how names and addresses keep their capitals and accents.
    """
    text = text.translate(_APOSTROPHES)
    folded = strip_accents(text.lower())
    if len(folded) == len(text):
        return folded
    return "".join((strip_accents(char.lower()) or " ")[0] for char in text)


def nfc(text: str) -> str:
    """The text in composed form, so that `fold` keeps its length."""
    return unicodedata.normalize("NFC", text)


def scan(folded: str) -> list[Token]:
    """The tokens of a folded text, numbers glued to units split apart."""
    out: list[Token] = []
    for match in _TOKEN.finditer(folded):
        word, start = match.group(), match.start()
        glued = _GLUED.fullmatch(word)
        if glued is None:
            out.append(Token(word, start, match.end()))
        elif glued.group("times") is not None:
            out.append(Token("x", start, start + 1))
            out.append(Token(glued.group("times"), start + 1, match.end()))
        else:
            cut = start + len(glued.group("num"))
            out.append(Token(glued.group("num"), start, cut))
            out.append(Token(glued.group("unit"), cut, match.end()))
    return out
