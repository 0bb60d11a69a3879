"""Whether a message is the customer's own explicit yes to an order, decided by code alone.

An order is closed only on a message that is nothing but an affirmative ("sí", "dale",
"listo, confírmalo", "yes please"): every word is a yes or polite filler, and there is no
question, hesitation or condition. "Sí pero…", "espera", "ok y el envío cuánto?" or
"si me hacen descuento sí" are not a yes, whatever a model reads in them.
"""

from __future__ import annotations

import re

from agent.nlu.tokens import fold, nfc, scan
from agent.nlu.vocabulary import word_set

_YES = word_set(
    "si sii siii sip sipi claro dale dele listo ok okay oki okey vale correcto perfecto hagale "
    "confirmo confirmado confirmada confirmar confirmalo confirmelo confirmamelo confirma "
    "confirmemos procede proceda adelante exacto "
    "yes yep yeah yup sure confirm confirmed correct absolutely ok"
)
"""Words that say yes on their own."""

_PHRASES = (
    "de una",
    "de acuerdo",
    "esta bien",
    "todo bien",
    "asi es",
    "por supuesto",
    "go ahead",
    "do it",
    "of course",
    "sounds good",
    "all good",
    "that s right",
    "that s correct",
)
"""Phrases that say yes, read as one yes word."""

_FILLER = word_set(
    "señor señora sr sra don doña gracias muchas mil thanks thank you please pls plz porfa "
    "por favor el la lo mi pedido compra orden order my the it is this bueno pues "
    "entonces ahora ya todo super genial great now"
)
"""Polite words that may come with a yes without changing it."""

_HEDGE_MARKS = re.compile(r"[?¿]|\.\.\.|…")
"""A question, or a trailing-off ("sí…"): not a plain yes."""

_PHRASE = re.compile(r"\b(?:" + "|".join(_PHRASES) + r")\b")


def explicit_yes(text: str) -> bool:
    """True when `text` is an affirmative with no hedge, question or condition."""
    if _HEDGE_MARKS.search(text):
        return False
    return yes_words([token.text for token in scan(fold(nfc(text))) if token.is_word])


def yes_words(words: list[str]) -> bool:
    """True when the folded words are a yes with polite filler and nothing else."""
    said = _PHRASE.sub(" si ", " ".join(words)).split()
    return any(word in _YES for word in said) and all(
        word in _YES or word in _FILLER for word in said
    )
