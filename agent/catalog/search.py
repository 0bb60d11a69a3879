"""Product search: an in-memory inverted index of product text; stock and price stay in the DB."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.name_language import Language, english_core, name_language
from agent.catalog.vocabulary import BUILT_IN, Vocabulary
from agent.models import CatalogVersion, Product
from agent.quantities import NUMBER_VALUES, UNITS
from agent.shops.current import current_shop_id
from agent.text import normalize, singular, tokens

# -- lexicon -------------------------------------------------------------------------------
# Words that say nothing about which product is meant (Spanish and English chat filler).
_FILLER = """
    a al algo algun alguna algunas alguno algunos aqui asi buen buena buenas bueno buenos
    cada como con cual cuales cualquier cuando cuanta cuantas cuanto cuantos de del desde
    donde dia dias e el ella en entre es esa esas ese eso esos esta estan estas este esto
    estos favor hay hola hasta info informacion la las le les lo los me mas mi mis muy ni
    no nos o otra otras otro otros para pero por porfa porfavor pues que quien se si sin
    sobre solo son su sus tal tambien tan te tenga tengo tiene tienen tienes todo todos tu
    tus u un una unas uno unos usted ustedes vale valen y ya yo quiero quisiera queria
    necesito necesitamos necesita busco buscamos buscando estoy comprar compra compro cotizar
    cotizacion cotizame manejan maneja manejas venden vende vendes cuesta cuestan costo precio
    valor disponible disponibles disponibilidad existencia existencias inventario stock quedan
    queda tener tenemos ver mostrar muestrame enviar mandar regalame puedes puede pueden
    podria podrian dame deme saber gracias tarde tardes noche noches ok okay listo perfecto
    unidad unidades producto productos articulo articulos referencia catalogo marca color
    tamaño medida capacidad ahi alla aca ahora luego hoy mañana entonces vez
    about an and any anything are at be can could do does for from get give have hello hey
    hi how i if im in is it its like looking much my need of on or please pls price prices
    cost costs show some tell thanks thank the there this to want what whats which with
    would you your buy sell selling available many got product products item items
    then ones too also just instead again
"""
_STOP = frozenset(_FILLER.split())

# Number words become digits so that a voice note's "diez libras" reads as "10 lb": the
# sizes a product is sold in, not every number word ("uno" and "una" are articles here,
# "once" is English too).
_SPOKEN_SIZES = (
    "dos tres cuatro cinco seis siete ocho nueve diez doce quince veinte treinta cuarenta "
    "cincuenta cien two three four five six seven eight nine ten twelve fifteen twenty "
    "thirty forty fifty"
)
_NUMBER_WORDS = {word: str(NUMBER_VALUES[word]) for word in _SPOKEN_SIZES.split()} | {
    "hundred": "100"  # English says "one hundred": understanding reads it as a multiplier
}

# A unit joins the number before it ("10 libras" → `10lb`), in its singular spellings
# (words are made singular before they are looked up). Inches and psi stay plain words.
_UNITS = {
    spelling: symbol
    for spelling, symbol in UNITS.items()
    if singular(spelling) == spelling and symbol not in ("in", "psi")
}

# Variants, English words and trade names → the word the catalog is likely to use.
_WORD_ALIASES = {
    "extinguidor": "extintor", "extinguidores": "extintor", "extinguisher": "extintor",
    "matafuego": "extintor", "matafuegos": "extintor",
    "helmet": "casco", "hardhat": "casco", "glove": "guante", "boot": "bota", "botin": "bota",
    "harness": "arnes", "glass": "gafa", "glasses": "gafa", "eyewear": "gafa", "lente": "gafa",
    "anteojo": "gafa", "goggle": "monogafa", "goggles": "monogafa",
    "mask": "tapabocas", "facemask": "tapabocas", "mascarilla": "tapabocas",
    "cubrebocas": "tapabocas", "barbijo": "tapabocas", "respirator": "respirador",
    "sign": "señal", "signage": "señal", "signal": "señal", "senal": "señal",
    "señalizacion": "señal", "senalizacion": "señal", "aviso": "señal", "letrero": "señal",
    "vest": "chaleco", "reflective": "reflectivo", "reflectante": "reflectivo",
    "reflectiva": "reflectivo", "dielectric": "dielectrico", "dielectrica": "dielectrico",
    "leather": "cuero", "steel": "acero", "toe": "punta", "puntera": "punta", "cone": "cono",
    "tape": "cinta", "lanyard": "eslinga", "cabinet": "gabinete", "hose": "manguera",
    "safety": "seguridad", "earplug": "tapon auditivo", "earplugs": "tapon auditivo",
    "earmuff": "orejera", "earmuffs": "orejera", "auditiva": "auditivo", "hearing": "auditivo",
    "respiratoria": "respiratorio", "respiratory": "respiratorio", "nitrile": "nitrilo",
    "rubber": "caucho", "cotton": "algodon", "waterproof": "impermeable", "welding": "soldadura",
    "welder": "soldador", "kitchen": "cocina", "refill": "recarga", "recharge": "recarga",
    "bottle": "frasco", "bottles": "frasco", "recargar": "recarga", "bracket": "soporte",
    "holder": "soporte", "white": "blanco",
    "blanca": "blanco", "yellow": "amarillo", "amarilla": "amarillo", "red": "rojo",
    "roja": "rojo", "blue": "azul", "black": "negro", "negra": "negro", "orange": "naranja",
    "green": "verde", "dark": "oscuro", "oscura": "oscuro", "shade": "sombra",
    "clear": "claro", "lime": "limon", "disposable": "desechable", "reusable": "reutilizable",
    "foam": "espuma", "silicone": "silicona", "headband": "diadema", "cartridge": "cartucho",
    "organic": "organico", "vapor": "vapores", "vapour": "vapores",
    "type": "tipo", "class": "clase", "size": "talla", "box": "caja",
    "boxes": "caja", "abc": "pqs", "multiproposito": "pqs", "multipurpose": "pqs",
    "halotron": "solkaflam", "hcfc": "solkaflam",
    # Sizes, materials and colours of products outside the trade (Odoo's "Large Cabinet",
    # "Customizable Desk (Aluminium, Grey)"): one word in either language.
    "large": "grande", "big": "grande", "small": "pequeño", "pequeña": "pequeño",
    "medium": "mediano", "mediana": "mediano", "customizable": "personalizable",
    "custom": "personalizable", "wood": "madera", "wooden": "madera",
    "aluminium": "aluminio", "aluminum": "aluminio", "plastic": "plastico",
    "plastica": "plastico", "fabric": "tela", "wool": "lana", "gray": "gris", "grey": "gris",
    "brown": "marron", "pink": "rosado", "rosada": "rosado", "purple": "morado",
    "morada": "morado", "silver": "plateado", "plateada": "plateado", "gold": "dorado",
    "golden": "dorado", "dorada": "dorado",
}  # fmt: skip
# Words that say what a product is like, not what it is: an English name may end with them
# ("Office Chair Black" is a chair).
_QUALIFYING = (
    "blanco amarillo rojo azul negro naranja verde oscuro gris marron rosado morado plateado "
    "dorado grande pequeño mediano personalizable madera aluminio plastico tela lana acero "
    "cuero caucho algodon impermeable reflectivo dielectrico"
)

_PHRASE_ALIASES = {
    "fire extinguisher": "extintor", "hard hat": "casco", "safety helmet": "casco",
    "first aid kit": "botiquin", "first aid": "botiquin", "kit de primeros auxilios": "botiquin",
    "primeros auxilios": "botiquin", "dioxido de carbono": "co2", "carbon dioxide": "co2",
    "polvo quimico seco": "pqs", "polvo quimico": "pqs", "dry chemical": "pqs",
    "dry powder": "pqs", "agente limpio": "solkaflam", "clean agent": "solkaflam",
    "clase k": "clasek", "tipo k": "clasek", "class k": "clasek", "type k": "clasek",
    "acetato de potasio": "clasek", "potassium acetate": "clasek", "wet chemical": "clasek",
    "quimico humedo": "clasek", "steel toe": "punta acero", "safety glasses": "gafa",
    "safety goggles": "monogafa", "ear plug": "tapon auditivo", "ear muff": "orejera",
    "high visibility": "reflectivo", "kitchen extinguisher": "extintor clasek",
    "face shield": "careta", "safety vest": "chaleco", "traffic cone": "cono",
    "warning tape": "cinta peligro",
    "caution tape": "cinta peligro", "safety boot": "bota", "safety shoe": "bota",
    "work boot": "bota", "emergency light": "lampara emergencia", "exit sign": "señal salida",
    "lifeline": "linea vida",
}  # fmt: skip

# A word that names a kind of designation, and the letter or numeral after it: "tipo A",
# "clase E", "tipo II", "talla M", "clase 0". Alone the letter is filler ("a", "e", "i") or
# too short to mean anything; together they are one term, "tipo:a", that sets the product
# apart. Roman numerals are read as digits: "tipo I" is "tipo 1".
_DESIGNATORS = {
    "tipo": "tipo", "type": "tipo", "clase": "clase", "class": "clase",
    "talla": "talla", "size": "talla", "nivel": "nivel", "level": "nivel",
    "categoria": "categoria", "category": "categoria", "grado": "grado", "grade": "grado",
}  # fmt: skip
# "Eslinga doble terminal en Y", "conector en T": a letter after "en" is the product's shape.
_SHAPE_MARKERS = frozenset(["en", "in"])
_SHAPES = frozenset("ytlxu")
_DESIGNATOR_VALUE = re.compile(r"[a-z]|[ivx]{2,4}|x{1,3}[sl]|\d{1,2}")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}

_RAW_TOKEN = re.compile(r"[^\W_]+(?:[.,]\d+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NUMBER_THEN_LETTERS = re.compile(r"(\d+(?:[.,]\d+)?)([a-zñ]+)")
_NOT_ALNUM = re.compile(r"[^a-z0-9ñ]")

# Field weights: what the product is called counts most, its description least.
_NAME, _SYNONYM, _SKU, _CATEGORY, _FAMILY = 3.0, 2.5, 4.0, 2.0, 1.5
_ATTRIBUTE, _LONG_ATTRIBUTE, _DESCRIPTION = 1.5, 0.5, 0.3
# A word a product has with at least this weight is in what it is called or how it is
# classified, not only in free text (a botiquín's description lists gloves and masks).
_LABELLED = min(_NAME, _SYNONYM, _SKU, _CATEGORY, _FAMILY, _ATTRIBUTE)
_SATURATION = 2.0  # BM25-like k: a term in many fields helps, with diminishing returns
# The head of a name says what the product is (its first word in Spanish, its last in English,
# `_head`): "extintor" asks for extinguishers before "Gabinete para extintor", "desk" for
# "Customizable Desk" before "Desk Pad"; a factor, because saturation would flatten an added
# weight.
_HEAD_BOOST = 1.3
_BIGRAM_QUERY_WEIGHT = 0.6
# A name with all of the query's words doubles the score (a synonym a little less):
# "chaleco reflectivo naranja" is "Chaleco reflectivo en malla naranja" more than "Chaleco
# Reflectivo", whose description alone says naranja.
_NAME_RECALL = 1.0
# A name made of exactly the query's words, in any order, is the product asked for: it
# outranks those whose names also have every word but say more. Not when another product
# goes by those words too (a synonym): "chaleco reflectivo" is then a choice to offer.
_EXACT_NAME = 1.5
_RELATIVE_CUTOFF = 0.3  # hits scoring under this share of the best one are noise
_FUZZY_CACHE_SIZE = 4096


def _split_number(token: str) -> list[str]:
    """`10lb` → `10`, `lb`; `co2` stays (letters first)."""
    match = _NUMBER_THEN_LETTERS.fullmatch(token)
    return [match.group(1), match.group(2)] if match else [token]


def _number(token: str) -> str | None:
    """`10,50` → `10.5`, `007` → `7`; None when the token is not a number."""
    if not _NUMBER.fullmatch(token):
        return None
    return format(Decimal(token.replace(",", ".")).normalize(), "f")


def _words(text: str) -> list[str]:
    """Normalised, singular words of `text` without filler; numbers as digits.

    A designator and its value become one term: "Botiquín tipo A" → `botiquin`, `tipo:a`;
    a number stays one too ("talla 44" → `talla:44`, `44`), so that "botas 44" finds it.
    """
    out: list[str] = []
    designator: str | None = None  # the designator word just read, whose value may follow
    for raw in _RAW_TOKEN.findall(unicodedata.normalize("NFC", text.lower())):
        if designator is not None and _DESIGNATOR_VALUE.fullmatch(raw):
            number = _number(raw)
            out[-1] = f"{designator}:{number or _ROMAN.get(raw, raw)}"
            if number is not None:
                out.append(number)
            designator = None
            continue
        if raw in _SHAPE_MARKERS:
            designator = "forma"  # "en" is filler, but "en Y" is a shape
            continue
        if designator == "forma":
            designator = None
            if raw in _SHAPES:
                out.append(f"forma:{raw}")
                continue
        words = _token_words(raw)
        out.extend(words)
        designator = _DESIGNATORS.get(words[-1]) if len(words) == 1 else None
    return out


@lru_cache(maxsize=50_000)
def _token_words(raw: str) -> tuple[str, ...]:
    # A catalog repeats a small vocabulary many times: normalising each distinct token
    # once is what keeps a 10,000-product build fast.
    out: list[str] = []
    for normalised in tokens(raw):
        for token in _split_number(normalised):
            if token in _STOP:
                continue
            number = _number(token) or _NUMBER_WORDS.get(token)
            if number is not None:
                out.append(number)
                continue
            word = singular(token)
            if word not in _STOP:
                out.append(word)
    return tuple(out)


def _alias_table(table: dict[str, str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Keys analysed the way texts are, so that plural or accented spellings still match."""
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in table.items():
        words = tuple(_words(key))
        if words:
            out[words] = tuple(_words(value))  # "gris" is read as texts read it
    return out


_ALIASES = _alias_table({**_WORD_ALIASES, **_PHRASE_ALIASES})
_ALIAS_MAX_LEN = max(len(key) for key in _ALIASES)
_ALIAS_FIRST = frozenset(key[0] for key in _ALIASES)
_UNIT_KEYS = {singular(unit): canonical for unit, canonical in _UNITS.items()} | _UNITS
# Words the analyser understands without the catalog: never "corrected" into something else.
_LEXICON_WORDS = frozenset(w for key in _ALIASES for w in key) | frozenset(_UNIT_KEYS)


def _canonical(words: Sequence[str]) -> list[str]:
    """Aliases applied (longest phrase first) and numbers joined to their units.

    A number followed by a unit gives `10lb` and `#10`; a bare number gives `#10`, which is
    how "extintor de 20" finds the 20 lb extinguishers.
    """
    aliased: list[str] = []
    i = 0
    while i < len(words):
        if words[i] not in _ALIAS_FIRST:
            aliased.append(words[i])
            i += 1
            continue
        for size in range(min(_ALIAS_MAX_LEN, len(words) - i), 0, -1):
            replacement = _ALIASES.get(tuple(words[i : i + size]))
            if replacement is not None:
                aliased.extend(replacement)
                i += size
                break
        else:
            aliased.append(words[i])
            i += 1
    out: list[str] = []
    i = 0
    while i < len(aliased):
        word = aliased[i]
        if word[0].isdigit():
            unit = _UNIT_KEYS.get(aliased[i + 1]) if i + 1 < len(aliased) else None
            if unit is not None:
                out.append(word + unit)
                i += 1
            out.append("#" + word)
        else:
            out.append(word)
        i += 1
    return out


def _is_word(term: str) -> bool:
    return not term[0].isdigit() and not term.startswith("#")


_QUALIFIERS = frozenset(_canonical(_words(_QUALIFYING)))


@lru_cache(maxsize=50_000)
def _head(name: str, catalog: Language) -> str | None:
    """The word of a product's name that says what the product is, where its language puts it.

    Spanish: the first word ("Escritorio en L"). English: the last word before a bracket, a
    comma or a preposition, leaving out what qualifies it ("Customizable Desk (Steel, White)",
    "Office Chair Black", "Cabinet with Doors").
    """
    if name_language(name, catalog) == "en":
        core = [t for t in _canonical(_words(english_core(name))) if _is_word(t)]
        while len(core) > 1 and core[-1] in _QUALIFIERS:
            core.pop()
        if core:
            return core[-1]
    return next((t for t in _canonical(_words(name)) if _is_word(t)), None)


def _is_keyword(term: str) -> bool:
    """A word, designator or capacity the customer said; not a bare number, pair or sku.

    A bare number may be a quantity ("quiero 1 botiquín"), so a product is not expected to
    have it.
    """
    return not term.startswith(("#", "sku:")) and "_" not in term


def _with_bigrams(terms: Sequence[str]) -> list[str]:
    """The terms plus `a_b` for each pair of adjacent words (numbers break a phrase)."""
    pairs = [f"{a}_{b}" for a, b in itertools.pairwise(terms) if _is_word(a) and _is_word(b)]
    return [*terms, *pairs]


def _sku_term(text: str) -> str:
    return "sku:" + _NOT_ALNUM.sub("", normalize(text))


def _attribute_texts(attributes: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for value in attributes.values():
        if isinstance(value, list | tuple):
            out.extend(str(item) for item in value)
        elif value is not None:
            out.append(str(value))
    return out


# -- the index -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One product that matches a query, with its relevance score (higher is better)."""

    product_id: int
    score: float


@dataclass(frozen=True, slots=True)
class _Row:
    """The text of one product, copied out of the ORM so the index can be built off the loop."""

    id: int
    sku: str
    name: str
    category: str
    family: str | None
    description: str
    synonyms: tuple[str, ...]
    attributes: tuple[str, ...]
    translations: tuple[str, ...] = ()
    """The vocabulary's words for what the name says, searched as synonyms (`_translated`)."""
    kinds: tuple[str, ...] = ()
    """The vocabulary's words for the kind of product the name names, for the understanding."""


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    category: str
    category_key: str
    head: str | None
    heads: frozenset[str]
    """The head and the vocabulary's words for it: "Customizable Desk" is an "escritorio"."""
    synonyms: tuple[str, ...]
    synonym_keywords: tuple[frozenset[str], ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Name:
    """A product that goes by some keywords: its name or a synonym, with the name's numbers."""

    product_id: int
    numbers: frozenset[str]  # "Botiquín Rimax 12 pulgadas" is only asked for with a 12
    own: bool  # the product's name, not a synonym


@dataclass(frozen=True, slots=True)
class _State:
    entries: dict[int, _Entry]
    postings: dict[str, dict[int, float]]
    vocabulary: tuple[str, ...]  # fuzzy candidates, most frequent first (ties go to them)
    known: frozenset[str]
    labels: dict[str, frozenset[int]]  # term → products that have it with at least _LABELLED
    in_name: dict[str, set[int]]  # keyword → products whose name has it
    called: dict[frozenset[str], list[_Name]]  # keywords → the products called just that


def _called_by(state: _State, keyword: str) -> set[int]:
    """The products whose name or a synonym has `keyword`: what a customer calls by it."""
    called = set(state.in_name.get(keyword, ()))
    called.update(
        pid
        for pid, entry in state.entries.items()
        if any(keyword in keywords for keywords in entry.synonym_keywords)
    )
    return called


@lru_cache(maxsize=20_000)
def _field_terms(text: str) -> frozenset[str]:
    """Words and adjacent pairs of a short field; categories and families repeat, so cached."""
    return frozenset(_with_bigrams(_canonical(_words(text))))


def _split_name(terms: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The keywords of a name and its bare numbers."""
    terms = set(terms)
    numbers = frozenset(t for t in terms if t.startswith("#"))
    return frozenset(t for t in terms if _is_keyword(t)), numbers


@lru_cache(maxsize=20_000)
def _synonym_name(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """`_split_name` of a synonym; synonyms repeat across a family, so cached."""
    return _split_name(_canonical(_words(text)))


@lru_cache(maxsize=1_000)
def _category_key(category: str) -> str:
    return normalize(category)


def _index_row(
    row: _Row, head: str | None, heads: frozenset[str]
) -> tuple[_Entry, dict[str, float], list[tuple[frozenset[str], frozenset[str]]]]:
    """The entry of one product, the weight of each of its terms, and its names."""
    weights: dict[str, float] = {}

    def add(terms: Iterable[str], weight: float) -> None:
        for term in terms:
            weights[term] = weights.get(term, 0.0) + weight

    name = _canonical(_words(row.name))
    add(set(_with_bigrams(name)), _NAME)
    synonyms = row.synonyms + row.translations
    add(frozenset().union(*(_field_terms(s) for s in synonyms)), _SYNONYM)
    add(_field_terms(row.category), _CATEGORY)
    if row.family:
        add(_field_terms(row.family), _FAMILY)
    for value in row.attributes:
        terms = _field_terms(value) if len(value) <= 60 else _canonical(_words(value))
        add(terms, _ATTRIBUTE if len(value) <= 60 else _LONG_ATTRIBUTE)
    add(set(_canonical(_words(row.description))), _DESCRIPTION)
    sku = _sku_term(row.sku)
    weights[sku] = weights.get(sku, 0.0) + _SKU
    names = [_split_name(name), *(_synonym_name(s) for s in synonyms)]
    entry = _Entry(
        name=row.name,
        category=row.category,
        category_key=_category_key(row.category),
        head=head,
        heads=heads,
        synonyms=row.synonyms,
        synonym_keywords=tuple(keywords for keywords, _numbers in names[1:]),
        kinds=row.kinds,
    )
    return entry, weights, names


def _translated(row: _Row, vocabulary: Vocabulary, head: str | None) -> _Row:
    """The row with the vocabulary's words for what its name says.

    Searched as synonyms: the words search does not already read as the name's ("Customizable
    Desk" gets "escritorio"; "Gabinete" no "cabinet", which search reads as "gabinete"). Known
    to the understanding as kinds of product: the words of the groups of its head but the
    head ("escritorio" of "Customizable Desk", none of "Desk Pad").
    """
    groups = vocabulary.groups_in(row.name)
    if not groups:
        return row
    have = set(_canonical(_words(row.name)))
    words = [word for group in groups for word in group]
    kinds = [word for word in _head_group(vocabulary, head) if _words(word) != [head]]
    return replace(
        row,
        translations=tuple(
            word
            for word in words
            if not set(_canonical(_words(word))) <= have and word not in row.synonyms
        ),
        kinds=tuple(kinds),
    )


def _head_group(vocabulary: Vocabulary | None, head: str | None) -> list[str]:
    """The words of the vocabulary's groups that have `head` as a word of their own."""
    if vocabulary is None or head is None:
        return []
    return [
        word
        for group in vocabulary.groups_in(head)
        if any(_canonical(_words(word)) == [head] for word in group)
        for word in group
    ]


def _heads(vocabulary: Vocabulary | None, head: str | None) -> frozenset[str]:
    """The head and the one-word names the vocabulary gives it (the query's words are compared)."""
    if head is None:
        return frozenset()
    others = (_canonical(_words(word)) for word in _head_group(vocabulary, head))
    return frozenset([head, *(terms[0] for terms in others if len(terms) == 1)])


def _build(
    rows: Sequence[_Row], vocabulary: Vocabulary | None = None, language: Language = "es"
) -> _State:
    heads = {row.id: _head(row.name, language) for row in rows}
    if vocabulary is not None:
        rows = [_translated(row, vocabulary, heads[row.id]) for row in rows]
    entries: dict[int, _Entry] = {}
    postings: dict[str, dict[int, float]] = {}
    called: dict[frozenset[str], list[_Name]] = {}
    in_name: dict[str, set[int]] = {}
    for row in rows:
        head = heads[row.id]
        entry, weights, names = _index_row(row, head, _heads(vocabulary, head))
        entries[row.id] = entry
        for term, weight in weights.items():
            postings.setdefault(term, {})[row.id] = weight
        for keyword in names[0][0]:
            in_name.setdefault(keyword, set()).add(row.id)
        for i, (keywords, numbers) in enumerate(names):
            if keywords:
                called.setdefault(keywords, []).append(_Name(row.id, numbers, own=i == 0))
    words = [t for t in postings if _is_word(t) and "_" not in t and ":" not in t]
    words.sort(key=lambda t: -len(postings[t]))
    # Alias keys are fuzzy candidates too: "extingidor" is one letter from "extinguidor".
    extra = sorted(w for w in _LEXICON_WORDS if w not in postings and len(w) > 3 and ":" not in w)
    return _State(
        entries=entries,
        postings=postings,
        vocabulary=(*words, *extra),
        known=frozenset(postings) | _LEXICON_WORDS,
        labels={
            term: labelled
            for term, weights in postings.items()
            if _is_keyword(term)
            and (labelled := frozenset(p for p, w in weights.items() if w >= _LABELLED))
        },
        in_name=in_name,
        called=called,
    )


_EMPTY = _build([])


def _named_exactly(state: _State, keywords: frozenset[str], terms: Collection[str]) -> int | None:
    """The one product whose name is the query's words, if no other product goes by them."""
    numbers = frozenset(t for t in terms if t.startswith("#"))
    own: dict[int, bool] = {}
    for name in state.called.get(keywords, ()):
        if name.numbers <= numbers:
            own[name.product_id] = own.get(name.product_id, False) or name.own
    if len(own) != 1:
        return None
    ((product_id, is_name),) = own.items()
    return product_id if is_name else None


def _name_factor(entry: _Entry, keywords: frozenset[str], in_name: int, *, exact: bool) -> float:
    """Up to twice the score for a name with all of `keywords` (`in_name` of them); more if
    it is the product called just that. A synonym may say more of them, counting less.
    """
    said: float = in_name
    if said < len(keywords) and entry.synonym_keywords:
        in_synonym = max(len(words & keywords) for words in entry.synonym_keywords)
        said = max(said, in_synonym * _SYNONYM / _NAME)
    factor = 1 + _NAME_RECALL * said / len(keywords)
    return factor * _EXACT_NAME if exact else factor


def _max_typos(word: str) -> int:
    """Edits allowed between a word and its correction: none for short words."""
    if len(word) < 5:
        return 0
    return 1 if len(word) < 8 else 2


@dataclass(slots=True)
class _ShopIndex:
    """One shop's built index: its state, the catalog version it was built from, its cache
    of corrected words, its build number."""

    state: _State = _EMPTY
    version: int | None = None
    fuzzy: dict[str, str | None] = field(default_factory=dict)
    generation: int = 0


class ProductIndex:
    """Searchable text of the active products, rebuilt when the catalog changes.

    Each product is also found by the words of `vocabulary` that mean what its name says, in
    the other language or as the shop calls it.
    """

    def __init__(self, vocabulary: Vocabulary | None = None, language: Language = "es") -> None:
        self._vocabulary = vocabulary or Vocabulary(BUILT_IN)
        self._language = language
        """The catalog's language: what a name's head is when its words do not say."""
        self._lock = asyncio.Lock()
        self._shops: dict[int | None, _ShopIndex] = {}
        """Each shop's own index: the shop of the turn or request under way picks it."""
        self._builds = itertools.count(1)

    @property
    def _here(self) -> _ShopIndex:
        """The index of the current shop (agent/shops/current.py)."""
        shop_id = current_shop_id()
        built = self._shops.get(shop_id)
        if built is None:
            built = self._shops[shop_id] = _ShopIndex()
        return built

    @property
    def _state(self) -> _State:
        """The current shop's built index."""
        return self._here.state

    @_state.setter
    def _state(self, state: _State) -> None:
        self._here.state = state

    @property
    def generation(self) -> int:
        """The current shop's build, numbered across shops: a reader of `terms()` that saw
        another number (a rebuild, or another shop's index) knows to rebuild too."""
        return self._here.generation

    async def refresh(self, session: AsyncSession) -> None:
        """Rebuild the index from the active products now."""
        async with self._lock:
            await self._rebuild(session, await _version(session))

    async def ensure_fresh(self, session: AsyncSession) -> None:
        """Rebuild only if the catalog changed since the last build (by any process): one
        read of the catalog's version row."""
        version = await _version(session)
        if version == self._here.version:
            return
        async with self._lock:
            if version != self._here.version:
                await self._rebuild(session, version)

    async def _rebuild(self, session: AsyncSession, version: int | None) -> None:
        # The version is read before the rows: a write in between makes the next check
        # see a change and build again, never miss one.
        result = await session.execute(
            select(
                Product.id,
                Product.sku,
                Product.name,
                Product.category,
                Product.family,
                Product.description,
                Product.synonyms,
                Product.attributes,
            ).where(Product.active.is_(True))
        )
        rows = [
            _Row(
                id=r.id,
                sku=r.sku,
                name=r.name,
                category=r.category,
                family=r.family,
                description=r.description or "",
                synonyms=tuple(str(s) for s in r.synonyms or ()),
                attributes=tuple(_attribute_texts(r.attributes or {})),
            )
            for r in result
        ]
        # Pure Python work: off the event loop so other conversations keep flowing.
        state = await asyncio.to_thread(_build, rows, self._vocabulary, self._language)
        self._shops[current_shop_id()] = _ShopIndex(state, version, {}, next(self._builds))

    def __len__(self) -> int:
        return len(self._state.entries)

    def search(
        self,
        query: str,
        *,
        limit: int = 5,
        category: str | None = None,
        exclude: Collection[int] = (),
    ) -> list[SearchHit]:
        """Products matching `query`, best first; empty when the query names no product."""
        state = self._state
        terms = self._query_terms(query, state)
        if not terms:
            return []
        category_key = normalize(category) if category else None
        total = len(state.entries)
        scores: dict[int, float] = {}
        named: set[int] = set()  # products that match a word: numbers alone are no product
        for term, query_weight in terms.items():
            postings = state.postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5))
            for product_id, weight in postings.items():
                gain = query_weight * idf * weight * (1 + _SATURATION) / (weight + _SATURATION)
                scores[product_id] = scores.get(product_id, 0.0) + gain
            if _is_word(term):
                named.update(postings)
        # The query's words that label some product; one that only free text has, or none,
        # tells no product from another.
        keywords = frozenset(t for t in terms if _is_keyword(t) and t in state.labels)
        matched: Counter[int] = Counter()  # how many of them label each product
        for term in keywords:
            matched.update(state.labels[term])
        # Coverage: a product labelled by every word outranks one that misses any, in any order.
        ranked: list[tuple[float, int]] = []
        for product_id, score in scores.items():
            entry = state.entries[product_id]
            if (
                product_id not in named
                or product_id in exclude
                or (category_key is not None and entry.category_key != category_key)
            ):
                continue
            if not entry.heads.isdisjoint(keywords):
                score *= _HEAD_BOOST
            if keywords:
                score *= matched[product_id] / len(keywords)
            if score > 0:
                ranked.append((score, product_id))
        if not ranked:
            return []
        if keywords:
            ranked = self._weigh_names(state, ranked, keywords, terms, limit)
        # Ties go to the shorter name: it says less that the customer did not ask for.
        best = heapq.nlargest(
            limit, ((s, -len(state.entries[pid].name), -pid) for s, pid in ranked)
        )
        floor = best[0][0] * _RELATIVE_CUTOFF
        return [
            SearchHit(product_id=-minus_id, score=round(score, 4))
            for score, _, minus_id in best
            if score >= floor
        ]

    def unknown_words(self, text: str) -> list[str]:
        """The words of `text` that no product has, even misspelt: "andamio", "talla:35"."""
        state = self._state
        return [
            word
            for word in _words(text)
            if _is_word(word)
            and word not in state.known
            and (":" in word or self._correct(word, state) is None)
        ]

    def at_odds(self, text: str, head: str) -> list[str]:
        """The words of `text` that label products, none of them of the kind `head` names:
        "moto" of "casco pa moto" when only an extinguisher is for a motorbike. Words of free
        text (a description's) tell nothing and are never at odds; nor are words a product's
        name says along with the kind, whatever its head is read as: "gabinete grande" of
        "Large Cabinet" in a Spanish catalog, where it reads as a "grande"."""
        state = self._state
        kinds = frozenset(self._query_terms(head, state))
        having = {pid for pid, entry in state.entries.items() if not entry.heads.isdisjoint(kinds)}
        if not having:
            return []  # no product is one: the head says no kind of ours
        labelling = [
            term
            for term in self._query_terms(text, state)
            if _is_word(term) and "_" not in term and term in state.labels
        ]
        said = {term for term in (*kinds, *labelling) if _is_word(term) and "_" not in term}
        having.update(set.intersection(*(_called_by(state, term) for term in said)))
        return [term for term in labelling if state.labels[term].isdisjoint(having)]

    def narrow(self, query: str, product_ids: Sequence[int]) -> list[int]:
        """Those of `product_ids` labelled by every term of `query` that labels some of them.

        "el de 20 libras" after two extinguishers were shown is the 20 lb one: numbers count
        here, since the products are already known; free text (a description) does not.
        """
        state = self._state
        labelled = [
            {pid for pid in product_ids if postings.get(pid, 0.0) >= _LABELLED}
            for term in self._query_terms(query, state)
            if "_" not in term and (postings := state.postings.get(term))
        ]
        telling = [having for having in labelled if having]
        if not telling:
            return []
        return [pid for pid in product_ids if all(pid in having for having in telling)]

    def same_kind(self, product_id: int) -> list[int]:
        """The products whose names have the same head as this one's ("Casco …"), itself too."""
        entries = self._state.entries
        head = entries[product_id].head if product_id in entries else None
        return [pid for pid, entry in entries.items() if head is not None and entry.head == head]

    def names_kind(self, product_id: int, text: str) -> bool:
        """Whether `text` says what the product is, its head, and so names nothing else:
        "mantenimiento" of "Mantenimiento preventivo de extintor", not "alturas" of "Casco
        para … alturas", nor "tapabocas" when a respirator's synonym is "tapabocas" too."""
        state = self._state
        entry = state.entries.get(product_id)
        if entry is None:
            return False
        named = entry.heads.intersection(self._query_terms(text, state))
        return any(_called_by(state, term) <= {product_id} for term in named)

    def matching(self, query: str, *, limit: int = 100) -> list[SearchHit]:
        """Every product `query` fits, not only the best few: what a price filter runs over.

        The products labelled by all of the query's words; of those, the ones its words name
        as a kind ("extintores" leaves out "Soporte de pared para extintor"), when some are.
        """
        state = self._state
        hits = self.search(query, limit=limit)
        terms = self._query_terms(query, state)
        keywords = [t for t in terms if _is_keyword(t) and t in state.labels]
        whole = [h for h in hits if all(h.product_id in state.labels[k] for k in keywords)]
        kind = [h for h in whole or hits if not state.entries[h.product_id].heads.isdisjoint(terms)]
        return kind or whole or hits

    @staticmethod
    def _weigh_names(
        state: _State,
        ranked: list[tuple[float, int]],
        keywords: frozenset[str],
        terms: Collection[str],
        limit: int,
    ) -> list[tuple[float, int]]:
        """The scores times the name factor, for the products that can still reach the top."""
        in_name: Counter[int] = Counter()
        for keyword in keywords:
            in_name.update(state.in_name.get(keyword, ()))
        exact = _named_exactly(state, keywords, terms)
        # The factor is at most 2 but for the one exact name: a product that could not reach
        # the top `limit` even doubled is not weighed.
        reach = heapq.nlargest(limit, (score for score, _ in ranked))[-1] / (1 + _NAME_RECALL)
        return [
            (
                score
                * _name_factor(state.entries[pid], keywords, in_name[pid], exact=pid == exact),
                pid,
            )
            for score, pid in ranked
            if score >= reach or pid == exact
        ]

    def categories(self) -> list[tuple[str, int]]:
        """Each category with its number of active products, alphabetically."""
        counts = Counter(entry.category for entry in self._state.entries.values())
        return sorted(counts.items(), key=lambda item: normalize(item[0]))

    def largest_categories(self, count: int) -> list[str]:
        """The `count` categories with the most active products, largest first."""
        largest = sorted(self.categories(), key=lambda item: -item[1])[:count]
        return [name for name, _count in largest]

    def match_category(self, text: str) -> str | None:
        """The catalog category `text` speaks of ("gloves" → "Guantes"), if any."""
        state = self._state
        terms = [t for t in self._query_terms(text, state) if _is_word(t) and "_" not in t]
        if not terms:
            return None
        best: tuple[int, str] | None = None
        for name, _count in self.categories():
            overlap = len(set(_canonical(_words(name))) & set(terms))
            if overlap and (best is None or overlap > best[0]):
                best = (overlap, name)
        if best is not None:
            return best[1]
        # No category is called that: take the one whose products are named that ("botas"),
        # unless it holds most of the catalog and so says nothing more than the word: an Odoo
        # shop's furniture is all "Office Furniture", where "gabinetes" names two products.
        by_head: Counter[str] = Counter()
        for term in terms:
            for product_id in state.postings.get(term, {}):
                entry = state.entries[product_id]
                if term in entry.heads:
                    by_head[entry.category] += 1
        if not by_head:
            return None
        category = by_head.most_common(1)[0][0]
        size = dict(self.categories())[category]
        return category if size * 2 <= len(state.entries) else None

    def terms(self) -> list[tuple[str, str, list[str]]]:
        """(name, category, synonyms) of every active product, for the NLU lexicon."""
        return [(e.name, e.category, list(e.synonyms)) for e in self._state.entries.values()]

    @property
    def language(self) -> Language:
        """The catalog's language, the one a name is read in when its words do not say."""
        return self._language

    def kinds(self) -> list[tuple[str, str]]:
        """(word, category) of the vocabulary's words for the catalog's kinds of product, for
        the NLU lexicon: "escritorio" of a catalog with "Customizable Desk"."""
        return sorted(
            {(kind, e.category) for e in self._state.entries.values() for kind in e.kinds}
        )

    def _query_terms(self, query: str, state: _State) -> dict[str, float]:
        """Each term of the query with its weight: typos corrected, aliases applied."""
        words: list[str] = []
        for word in _words(query):
            # A designator ("tipo:d") is never a typo of a word: one no product has is kept
            # and matches nothing.
            if word in state.known or not _is_word(word) or ":" in word:
                words.append(word)
            elif (corrected := self._correct(word, state)) is not None:
                words.append(corrected)
        canonical = _canonical(words)
        weights = dict.fromkeys(canonical, 1.0)
        for pair in _with_bigrams(canonical)[len(canonical) :]:
            weights[pair] = _BIGRAM_QUERY_WEIGHT
        compact = _sku_term(query)
        if compact in state.postings:
            weights[compact] = 2.0
        for raw in query.split():
            term = _sku_term(raw)
            if term in state.postings:
                weights[term] = 2.0
        return weights

    def _correct(self, word: str, state: _State) -> str | None:
        """The vocabulary word closest to an unknown `word`, within a few typos."""
        if word in self._here.fuzzy:
            return self._here.fuzzy[word]
        allowed = _max_typos(word)
        found = None
        if allowed:
            match = process.extractOne(
                word, state.vocabulary, scorer=OSA.distance, score_cutoff=allowed
            )
            # Short words are reached by no typo either way: "boxeo" is no "boxe" (boxes).
            if match and match[1] <= _max_typos(min(word, match[0], key=len)):
                found = match[0]
        if len(self._here.fuzzy) >= _FUZZY_CACHE_SIZE:
            self._here.fuzzy.clear()
        self._here.fuzzy[word] = found
        return found


async def _version(session: AsyncSession) -> int | None:
    """The catalog's version, which every change to a product but its stock bumps."""
    return await session.scalar(select(CatalogVersion.version).where(CatalogVersion.id == 1))


async def load_products(session: AsyncSession, ids: Sequence[int]) -> list[Product]:
    """The active products with these ids, in the order given."""
    if not ids:
        return []
    rows = await session.execute(
        select(Product).where(Product.id.in_(ids), Product.active.is_(True))
    )
    by_id = {product.id: product for product in rows.scalars()}
    return [by_id[i] for i in ids if i in by_id]


async def find_products(
    session: AsyncSession,
    index: ProductIndex,
    query: str,
    *,
    limit: int = 5,
    category: str | None = None,
) -> list[Product]:
    """Search the (fresh) index and load the matching products, best first."""
    await index.ensure_fresh(session)
    hits = index.search(query, limit=limit, category=category)
    return await load_products(session, [hit.product_id for hit in hits])
