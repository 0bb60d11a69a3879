"""Short follow-ups read against what was just discussed: "¿y el de 20?", "and in blue?".

A follow-up names only what changes (a size, a weight, a colour, a day); the rest comes from
the conversation: the product in focus (`DialogState.focus`) or the topic answered last
(`DialogState.topic`). The product is said in full by swapping the attribute in the focus's
name, so search and the cart get a complete name ("Cono PVC para Carretera 45 cm").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.nlu.cues import Cue
from agent.nlu.numbers import read_number
from agent.nlu.tokens import fold
from agent.nlu.types import DialogState
from agent.nlu.vocabulary import ATTRIBUTE_MARKERS, MEASURE_UNITS, MONEY_WORDS, word_set
from agent.quantities import UNITS

COLOURS = {
    "blanco": "blanco", "blanca": "blanco", "blancos": "blanco", "blancas": "blanco",
    "white": "blanco", "amarillo": "amarillo", "amarilla": "amarillo", "amarillos": "amarillo",
    "amarillas": "amarillo", "yellow": "amarillo", "rojo": "rojo", "roja": "rojo",
    "rojos": "rojo", "rojas": "rojo", "red": "rojo", "azul": "azul", "azules": "azul",
    "blue": "azul", "verde": "verde", "verdes": "verde", "green": "verde", "naranja": "naranja",
    "naranjas": "naranja", "orange": "naranja", "negro": "negro", "negra": "negro",
    "negros": "negro", "negras": "negro", "black": "negro", "gris": "gris", "grises": "gris",
    "grey": "gris", "gray": "gris",
}  # fmt: skip
"""Colour words, every form, → the colour as product names spell it."""

_DAYS = word_set(
    "lunes martes miercoles jueves viernes sabado sabados domingo domingos festivo festivos "
    "feriado feriados hoy manana semana monday mondays tuesday wednesday thursday friday "
    "fridays saturday saturdays sunday sundays holiday holidays today tomorrow weekend weekends"
)
# How a follow-up starts: "y…", "and…", "what about…", "lo tienen en…", "entonces…".
_LEADS = word_set("y e and entonces then also tambien")
_LEAD_PHRASES = (("what", "about"), ("how", "about"))
_HAVE_IT = word_set("lo la los las it them tienen tiene hay have has got do you en in")
# Before a number these make it an attribute: "el de 20", "la 44", "en 41", "the 20 lb one".
_ATTRIBUTE_LEADS = ATTRIBUTE_MARKERS | word_set("de del el la the en in")
_POINTERS = word_set("ese esa esos esas este esta estos estas that those this these it them")
_QUESTIONS = frozenset([Cue.PRICE, Cue.STOCK, Cue.HAVE, Cue.INFO])
_ADDING = frozenset([Cue.ADD, Cue.CLITIC, Cue.MORE, Cue.YES])
_MAX_WORDS = 9
_NUMBER_IN_NAME = re.compile(
    r"(?P<lead>\btalla |\bsize )?(?<![\w-])(?P<num>\d+(?:[.,]\d+)?)(?![\w-])"
    r"(?P<unit> ?(?:" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r")\b)?"
)


# "…talla 40 y 1 par talla 42", "8 extintores de 10 libras y 4 de 20 libras": one more item,
# the same product in another size.
_ANOTHER_SIZE = re.compile(
    r"(?:\by|\band|,)\s+(?P<qty>\d+|un|una|uno|one|a)\s+(?:par(?:es)?|pairs?|unidad(?:es)?|units?)?"
    r"\s*(?:(?:de|of|la|el|the|talla|size|en|in)\s+)+(?P<size>\d+)"
    r"(?:\s*(?:" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r"))?\s*$"
)
_LAST_NUMBER = re.compile(r"\d+(?!.*\d)")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What a short follow-up asks, said in full: the intent and the products with their
    quantities ("deme 10 del naranja y 10 del verde" names two)."""

    intent: str
    products: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True, slots=True)
class _Attribute:
    number: str | None
    unit: str | None
    colour: str | None
    quantity: int | None


def follow_up(words: list[str], cues: set[Cue], state: DialogState) -> FollowUp | None:
    """The follow-up `words` make in the conversation's state, or None if they are not one."""
    if not words or len(words) > _MAX_WORDS:
        return None
    led = _led(words)
    topic = state.topic or ""
    if topic.startswith("company.") and led and not cues - {Cue.HAVE, Cue.HOURS}:
        if topic == "company.hours" or any(word in _DAYS for word in words):
            return FollowUp("company.hours")
        return FollowUp(topic)
    if state.focus is None:
        return None
    several = _several(words, state.focus)
    if several is not None and (cues & _ADDING or all(qty for _, qty in several)):
        return FollowUp("purchase.add", tuple((text, qty or 1) for text, qty in several))
    attribute = _attribute(words)
    if attribute is None:
        return None
    if not led and attribute.quantity is None and not cues & _QUESTIONS:
        return None  # "azul" alone is no question; "lo tienen en azul?" and "y en azul?" are
    product = swap(state.focus, attribute)
    if product is None:
        return None
    if cues & _QUESTIONS or (attribute.quantity is None and not cues & _ADDING):
        return FollowUp(_question(cues), ((product, attribute.quantity),))
    return FollowUp("purchase.add", ((product, attribute.quantity or 1),))


def _several(words: list[str], focus: str) -> list[tuple[str, int | None]] | None:
    """Items joined by "y"/"and", each the focus in another size or colour, or the focus
    itself pointed at ("mándeme esos 3 y 2 azules"); None unless there are two or more."""
    segments: list[list[str]] = [[]]
    for word in words:
        if word in ("y", "and"):
            segments.append([])
        else:
            segments[-1].append(word)
    parts = [segment for segment in segments if segment]
    if len(parts) < 2:
        return None
    items: list[tuple[str, int | None]] = []
    for part in parts:
        attribute = _attribute(part)
        if attribute is None:
            if not any(word in _POINTERS for word in part):
                return None
            items.append((fold(focus), _count(part)))
            continue
        product = swap(focus, attribute)
        if product is None:
            return None
        items.append((product, attribute.quantity))
    if any(word in ("each", "cada") for word in words):  # "5 of each", "5 de cada uno"
        shared = _count(words)
        items = [(text, qty or shared) for text, qty in items]
    return items if any(fold(focus) != text for text, _ in items) else None


def _count(words: list[str]) -> int | None:
    """The first whole number among `words`."""
    for i in range(len(words)):
        value = read_number(words, i)
        if value is not None and value.value == int(value.value) and value.value >= 1:
            return int(value.value)
    return None


def another_size(folded: str, last_product: str) -> tuple[str, int] | None:
    """The product named last, in the size the message ends with, and how many of it."""
    found = _ANOTHER_SIZE.search(folded.rstrip(" ?.!"))
    if found is None or _LAST_NUMBER.search(last_product) is None:
        return None
    qty = found.group("qty")
    product = _LAST_NUMBER.sub(found.group("size"), last_product)
    return product, int(qty) if qty.isdigit() else 1


def _led(words: list[str]) -> bool:
    """Whether the message opens the way a follow-up does."""
    if words[0] in _LEADS or tuple(words[:2]) in _LEAD_PHRASES:
        return True
    return len(words) >= 2 and all(word in _HAVE_IT for word in words[:-1])


def _question(cues: set[Cue]) -> str:
    if Cue.STOCK in cues or Cue.HAVE in cues:
        return "inventory.stock"
    if Cue.PRICE in cues:
        return "inventory.price"
    return "inventory.product"


def _attribute(words: list[str]) -> _Attribute | None:
    """The size, weight or colour a follow-up names, and a quantity it gives, if any."""
    number = unit = colour = None
    quantity: int | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word in COLOURS:
            colour = COLOURS[word]
        elif word.isdigit() or word in ("one",):
            previous, following = words[i - 1] if i else "", _at(words, i + 1)
            value = read_number(words, i)
            if following in MONEY_WORDS or previous == "$":
                i += 1  # "la de 135 mil": a price, said to pick one (rag_domains/sales)
                continue
            if following in MEASURE_UNITS and word.isdigit():
                number, unit = word, UNITS[following]
                i += 2
                continue
            if previous in _ATTRIBUTE_LEADS and word.isdigit():
                number = word
            elif value is not None and value.value == int(value.value) and word != "one":
                quantity = int(value.value)
            elif word == "one" and (
                previous in ("add", "take", "want", "need", "get") or following == "of"
            ):
                quantity = 1  # "add one", "and one of the 20 lb"
        i += 1
    if number is None and colour is None:
        return None
    return _Attribute(number, unit, colour, quantity)


def in_other_variant(name: str, words: list[str]) -> str | None:
    """`name` in the colour or size the words name ("mejor blancos", "make it the 20 lb"),
    said in full; None when they name neither, or only a quantity ("que sean 12")."""
    attribute = _attribute(words)
    if attribute is None:
        return None
    return swap(name, attribute)


def _at(words: list[str], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


def swap(focus: str, attribute: _Attribute) -> str | None:
    """The focus's name with the follow-up's attribute in place of its own; None when the
    name has no size or measure a bare number could replace ("de 4 puntos" is no size)."""
    name = fold(focus)
    if attribute.colour is not None:
        colours = [c for c in COLOURS if re.search(rf"\b{c}\b", name)]
        if colours:
            name = re.sub(rf"\b{colours[0]}(?: limon)?\b", attribute.colour, name, count=1)
        else:
            name = f"{name} {attribute.colour}"
    if attribute.number is not None:
        matches = list(_NUMBER_IN_NAME.finditer(name))
        marked = [m for m in matches if m.group("lead") or m.group("unit")]
        if not marked:
            return None
        start, end = marked[-1].span("num")
        name = name[:start] + attribute.number + name[end:]
    return name
