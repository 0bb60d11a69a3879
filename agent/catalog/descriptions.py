"""Answers to a question about one product taken from its own description, word for word.

"¿sirve pa fuegos eléctricos?" about a water extinguisher's refill is answered with the
sentence of its description that speaks of electrical fires ("No usar en fuegos
eléctricos."): the catalog's facts, never a number made up.
"""

from __future__ import annotations

import re

from agent.text import singular, tokens

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Question words and chat filler: they tell no sentence from another.
_FILLER_WORDS = """
    sirve sirven tiene tienen cuanto cuanta cuantos cuantas cual cuales como para este esta
    esto ese esos eso producto productos usted ustedes puede pueden aguanta aguantan dura duran
    viene vienen trae traen porfa favor hola buenas gracias tambien entonces also does this
    that with have work works what which they them
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_STEM = 5  # "eléctricos" and "eléctrico", "fuegos" and "fuego" share their first letters


def _stems(text: str) -> set[str]:
    out: set[str] = set()
    for token in tokens(text):
        if token in _FILLER:
            continue
        if token[0].isdigit():
            out.add(token)
        elif len(token) >= 4:
            out.add(singular(token)[:_STEM])
    return out


def answering_sentence(description: str, question: str) -> str | None:
    """The description's sentence sharing most words with the question, if any shares one."""
    asked = _stems(question)
    if not asked or not description:
        return None
    best_count, best = 0, None
    for sentence in _SENTENCE_END.split(description.strip()):
        count = len(asked & _stems(sentence))
        if count > best_count:
            best_count, best = count, sentence
    return best
