"""What the intent classifier sees of a message: word and character n-grams of its folded
text, a few shapes of the original (all caps, a question), and the conversation's context.

Training and reading share this one function, so the model reads a message exactly as it was
trained to: the classifier's own inference (agent/nlu/classifier.py) needs no scikit-learn.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from agent.nlu.tokens import fold, nfc
from agent.nlu.types import DialogState
from agent.nlu.vocabulary import MEASURE_UNITS

FEATURE_GROUPS = ("word", "char", "context")
"""Each group is weighted (tf-idf) and normalised on its own, then the groups are joined."""

_WORD = re.compile(r"[a-zñ0-9]+")
_DIGITS = re.compile(r"\d+")
_UNITS = "|".join(sorted(MEASURE_UNITS, key=len, reverse=True))
_MEASURE = re.compile(rf"\d+(?:[.,]\d+)?(?= ?(?:{_UNITS})\b)")
_SPACES = re.compile(r"\s+")
_CHAR_SIZES = range(2, 6)
_SHORT_WORDS = 3
"""A message of at most this many words is a reply whose meaning is mostly its context."""


@dataclass(frozen=True, slots=True)
class MessageFeatures:
    """The counts of each feature group of one message."""

    word: Counter[str]
    char: Counter[str]
    context: Counter[str]

    def group(self, name: str) -> Counter[str]:
        """The counts of one of FEATURE_GROUPS."""
        counts: Counter[str] = getattr(self, name)
        return counts


def message_features(text: str, state: DialogState) -> MessageFeatures:
    """The features of `text` said in `state`."""
    shaped = _DIGITS.sub(_digit_shape, _MEASURE.sub(_measure_shape, fold(nfc(text))))
    folded = _SPACES.sub(" ", shaped).strip()
    words = _WORD.findall(folded)
    padded = [f" {token} " for token in folded.split(" ")]
    grams = [
        token[i : i + size]
        for token in padded
        for size in _CHAR_SIZES
        for i in range(len(token) - size + 1)
    ]
    return MessageFeatures(
        Counter(words + [f"{a} {b}" for a, b in pairwise(words)]),
        Counter(grams),
        Counter(_context(text, words, state)),
    )


def _measure_shape(match: re.Match[str]) -> str:
    """A number before a unit measures a product ("extintor de 20 libras", "a 15 m lifeline"):
    part of its name, read apart from the quantities and prices that digits stand for."""
    return "n" * min(len(match.group()), 10)


def _digit_shape(match: re.Match[str]) -> str:
    """Digits by how many there are: a quantity, a price, a phone or an id read alike within
    their kind ("2" and "5" are both `0`; "3112223344" is `0000000000`)."""
    return "0" * min(len(match.group()), 10)


def _context(text: str, words: list[str], state: DialogState) -> list[str]:
    """The conversation's state as tokens: the sale's, alone and joined with the message's
    shape; the agent's offer and the field it asked for, only joined with the shape."""
    # A question after an offer asks something new; a short answer takes the offer up.
    shape = "question" if "?" in text else "short" if len(words) <= _SHORT_WORDS else "long"
    sale = [f"state={state.sale_state.value if state.sale_state else 'none'}"]
    if state.has_cart:
        sale.append("cart")
    if state.last_products:
        sale.append("shown")
    asked = []
    if state.pending_field:
        asked.append(f"pending={state.pending_field}")
    if state.offer:
        asked.append(f"offer={state.offer}")
    out = sale + [f"{fact}&{shape}" for fact in sale + asked]
    letters = [char for char in text if char.isalpha()]
    if len(letters) >= 8 and sum(char.isupper() for char in letters) / len(letters) > 0.8:
        out.append("all_caps")
    if "?" in text:
        out.append("question")
    if not words:
        out.append("no_words")
    return out
