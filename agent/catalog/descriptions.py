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

_VOLTS = frozenset(["v", "kv", "voltio", "voltios", "kilovoltio", "kilovoltios"])
_WEIGHTS = frozenset(["kg", "kilo", "kilos", "g", "gramos", "lb", "libra", "libras"])
_VOLUMES = frozenset(["l", "litro", "litros", "ml", "galon", "galones", "gal", "lb", "libras"])
_LENGTHS = frozenset(["cm", "mm", "m", "metro", "metros", "centimetros"])
_TIMES = frozenset(
    ["hora", "horas", "dia", "dias", "minutos", "semana", "semanas", "hours", "days", "weeks"]
)
_MEASURES: dict[str, frozenset[str]] = {
    "volta": _VOLTS, "tensi": _VOLTS,
    "peso": _WEIGHTS, "pesa": _WEIGHTS, "pesan": _WEIGHTS, "weigh": _WEIGHTS,
    "capac": _VOLUMES, "volum": _VOLUMES,
    "mide": _LENGTHS, "miden": _LENGTHS, "medid": _LENGTHS, "largo": _LENGTHS,
    "tamañ": _LENGTHS, "alto": _LENGTHS, "altur": _LENGTHS,
    "lengt": _LENGTHS, "long": _LENGTHS, "tall": _LENGTHS, "heigh": _LENGTHS,
    "demor": _TIMES, "tarda": _TIMES, "tiemp": _TIMES, "durac": _TIMES, "take": _TIMES,
    "takes": _TIMES, "quick": _TIMES, "rapid": _TIMES, "pront": _TIMES,
}  # fmt: skip
"""A question's word for a measure (its stem) → the units a description gives it in: "¿qué
voltaje aguanta?" is answered by the sentence that says "hasta 17.000 V"."""


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


def answering_sentence(description: str, question: str, *, name: str = "") -> str | None:
    """The description's sentence sharing most words with the question, if any shares one.

    Words of the product's own `name` tell no sentence from another: "¿cuánto se demoran en
    recargarlos?" about a refill is answered by "Entrega en 24 horas.", not by the sentence
    that says "recarga"."""
    asked = _stems(question)
    units = frozenset().union(*(_MEASURES.get(stem, frozenset()) for stem in asked))
    asked -= _stems(name)
    if not (asked or units) or not description:
        return None
    best_count, best = 0, None
    for sentence in _SENTENCE_END.split(description.strip()):
        count = len(asked & _stems(sentence)) + bool(units & set(tokens(sentence)))
        if count > best_count:
            best_count, best = count, sentence
    return best
