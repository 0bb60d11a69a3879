"""Words that name the same product in Spanish and English, and the shop's own synonyms.

A catalog written in one language is asked about in the other: "¿tienen escritorios?" of an
Odoo shop whose products are "Customizable Desk". Each group lists words that mean the same
thing (Spanish first, then English); a product whose name has one of them is found by the
others too: the index gives it them as synonyms (agent/catalog/search.py), and so the
understanding knows them as product words. The built-in groups are common kinds of product
outside the industrial-safety trade (whose words search already translates); a shop adds its
own in a YAML file (CATALOG_SYNONYMS_FILE), a list of groups:

    - [escritorio, desk, mesa de trabajo]
    - [archivador, filing cabinet]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from agent.errors import ConfigurationError
from agent.text import singular, tokens

BUILT_IN: tuple[tuple[str, ...], ...] = (
    # furniture and home
    ("escritorio", "desk"), ("silla", "chair"), ("mesa", "table"),
    ("armario", "cupboard", "wardrobe"),
    ("cajon", "cajonera", "drawer"), ("estante", "estanteria", "repisa", "shelf", "shelving"),
    ("biblioteca", "bookcase"), ("sofa", "couch"), ("cama", "bed"), ("colchon", "mattress"),
    ("almohada", "pillow"), ("cojin", "cushion"), ("cobija", "manta", "blanket"),
    ("toalla", "towel"), ("cortina", "curtain"), ("alfombra", "tapete", "rug", "carpet"),
    ("espejo", "mirror"), ("lampara", "lamp"), ("puerta", "door"), ("taburete", "stool"),
    ("banco", "bench"), ("perchero", "coat rack"), ("marco", "frame"),
    # office and electronics
    ("computador", "computadora", "computer"), ("pantalla", "screen", "monitor", "display"),
    ("teclado", "keyboard"), ("raton", "mouse"), ("parlante", "altavoz", "speaker"),
    ("audifonos", "auriculares", "headphones", "headset"), ("telefono", "celular", "phone"),
    ("impresora", "printer"), ("cargador", "charger"), ("bateria", "pila", "battery"),
    ("papel", "paper"), ("boligrafo", "esfero", "pen"), ("lapiz", "pencil"),
    ("cuaderno", "libreta", "notebook"), ("libro", "book"), ("carpeta", "folder"),
    ("archivador", "filing cabinet"), ("tablero", "pizarra", "board", "whiteboard"),
    # clothing
    ("camiseta", "t-shirt", "tshirt"), ("pantalon", "pants", "trousers"),
    ("chaqueta", "jacket"), ("abrigo", "coat"), ("vestido", "dress"), ("falda", "skirt"),
    ("gorra", "cap"), ("sombrero", "hat"), ("calcetin", "sock"),
    ("mochila", "backpack"), ("bolso", "bolsa", "bag"), ("cinturon", "belt"),
    # kitchen, tools, cleaning
    ("taza", "pocillo", "cup", "mug"), ("plato", "plate"), ("vaso", "tumbler"),
    ("botella", "bottle"), ("olla", "pot"), ("sarten", "frying pan", "skillet"),
    ("cuchillo", "knife"), ("tenedor", "fork"), ("cuchara", "spoon"),
    ("herramienta", "tool"), ("martillo", "hammer"), ("destornillador", "screwdriver"),
    ("taladro", "drill"), ("escalera", "ladder"), ("balde", "cubeta", "bucket"),
    ("escoba", "broom"), ("trapero", "mop"), ("jabon", "soap"),
    ("ventilador", "fan"), ("nevera", "refrigerador", "fridge", "refrigerator"),
    ("estufa", "stove"), ("reloj", "clock", "watch"), ("bicicleta", "bicycle", "bike"),
    ("juguete", "toy"), ("planta", "plant"), ("flor", "flower"), ("regalo", "gift"),
    ("tarjeta", "card"), ("caja", "box"),
)  # fmt: skip
"""Common kinds of product by meaning: Spanish, then English, written without accents.

Sizes, materials and colours are not kinds: search reads them as one word in either language
(`_WORD_ALIASES` in agent/catalog/search.py), as it does the safety trade's own words."""


class Vocabulary:
    """Groups of words that mean the same product; finds the others for a product's text."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._groups: list[tuple[str, ...]] = []
        self._starts: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for group in groups:
            words = tuple(dict.fromkeys(w.strip() for w in group if w.strip()))
            if len(words) < 2:
                continue
            number = len(self._groups)
            self._groups.append(words)
            for word in words:
                key = _key(word)
                if key:
                    self._starts.setdefault(key[0], []).append((key, number))

    @classmethod
    def load(cls, path: Path | None) -> Vocabulary:
        """The built-in groups, plus the shop's from a YAML file (a list of lists) if given."""
        if path is None:
            return cls(BUILT_IN)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise ConfigurationError(f"cannot read the synonyms file {path}: {err}") from err
        if not isinstance(data, list) or not all(
            isinstance(group, list) and all(isinstance(w, str) for w in group) for group in data
        ):
            raise ConfigurationError(
                f"the synonyms file {path} must be a list of groups of words, like "
                "`- [escritorio, desk]`"
            )
        return cls([*data, *BUILT_IN])

    def groups_in(self, text: str) -> list[tuple[str, ...]]:
        """The groups one of whose words (or phrases) is in `text`."""
        words = _key(text)
        found: dict[int, tuple[str, ...]] = {}
        for i, word in enumerate(words):
            for key, number in self._starts.get(word, ()):
                if number not in found and words[i : i + len(key)] == key:
                    found[number] = self._groups[number]
        return list(found.values())


def _key(text: str) -> tuple[str, ...]:
    """The words of `text` as compared: normalised, singular."""
    return tuple(singular(word) for word in tokens(text))
