"""The Extintores del Risaralda catalog format (agent/demo_shop/ATTRIBUTION.md).

Columns: source_file, product_id, title, short_description, line, price_raw, description,
long_description, features, specs_json. A row may list variants (sizes, options) with their
prices in `price_raw` or in markdown price lists inside `specs_json`; each variant becomes a
product of the row's family, and a list of recharge prices becomes recharge services. Rows
repeating an earlier row's content are skipped, and the template placeholders the source
left in ("[Especificar Material]", "X cm") never reach the catalog.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agent.catalog.import_prices import price_entries, price_list
from agent.catalog.import_synonyms import synonyms_for
from agent.catalog.import_types import ProductData, RowError, RowResult, SkippedRow
from agent.errors import InvalidInputError
from agent.text import normalize, strip_accents

SIGNATURE = frozenset({"product_id", "title", "price_raw", "specs_json"})
"""Header cells that identify the format."""

SKU_PREFIX = "RIS"
RECHARGE_CATEGORY = "Recarga y mantenimiento"

_LINE_CATEGORIES = (
    ("control de incendios", "Extintores"),
    ("primeros auxilios", "Primeros auxilios"),
    ("señalizacion", "Señalización"),
    ("carretera", "Kits de carretera"),
)
# The source files stands and cabinets under fire control and traffic cones under road
# kits; a shop's customers look for them where they expect them.
_NAME_CATEGORIES = (
    (re.compile(r"^(gabinete|soporte|canastilla|base)\b"), "Gabinetes y soportes"),
    (re.compile(r"^(cono|colombina|paleta)\b"), "Señalización vial"),
)
_ATTRIBUTE_KEYS = {
    "tipo de agente": "agent",
    "clase de fuego": "fire_class",
    "capacidad compatible": "fits_capacity",
    "material": "material",
    "material del cilindro": "material",
    "material exterior": "material",
    "material del estuche": "material",
    "color": "color",
    "colores / patrones": "color",
    "presentacion": "presentation",
    "dimensiones (cm)": "dimensions",
    "talla": "size",
}
# Spec keys that describe the whole range of variants, wrong on any single variant.
_RANGE_KEYS = re.compile(r"^(capacidad \(|tamaños|longitudes|medidas|opciones)")

# Words the source's machine translation left in another alphabet.
_SLIPS = {"травма": "trauma"}

_INTRO = re.compile(r"^Presentamos nuestr[oa]s? (?P<name>[^–,.]{3,80}?)\s*(?:–|-|,)")
_RANGE_NOTE = re.compile(r"\s*\((?:varias|varios) [^)]*\)", re.IGNORECASE)
_INSTRUCTION = re.compile(r"\s*\((?:detallar|especificar|mencionar|añade)[^)]*\)", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"\[[^\]]*\]"
    r"|\b[XYZ](?:x[XYZ])?\s?(?:cm|kg|lbs?|Litros|L|m|horas)\b"
    r"|(?i:añade aquí|especificar|detallar si)"
)
_PURE_PRICE = re.compile(r"\$\s?[0-9][0-9.,]*(?:\s*\([^)]*\))?")
_CAPACITY = re.compile(r"^[0-9]+(?:[.,][0-9]+)?\s?(?:lb|kg|g|l|gal)$", re.IGNORECASE)
_SIZE = re.compile(
    r"^(?:[0-9]+(?:[.,][0-9]+)?\s?(?:m|cm|mm|pulgadas)|peque|median|grande|mini)",
    re.IGNORECASE,
)
_UNITS = (
    (re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*(?:metros|mts|m)$", re.IGNORECASE), r"\1 m"),
    (re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*(?:libras|lbs|lb)$", re.IGNORECASE), r"\1 lb"),
)


class RisaraldaRows:
    """Converts rows of the Risaralda format, remembering earlier rows to spot duplicates."""

    def __init__(self) -> None:
        self._content: dict[str, tuple[int, str]] = {}
        self._names: set[str] = set()

    def __call__(self, line: int, row: dict[str, str]) -> RowResult:
        """The row's products (one per variant), its errors, or why it was skipped."""
        cell = {key: (value or "").strip() for key, value in row.items()}
        product_id, title = cell.get("product_id", ""), cell.get("title", "")
        errors = []
        if not product_id:
            errors.append(RowError(line, "product_id", "the product_id is missing"))
        if not title:
            errors.append(RowError(line, "title", "the title (product name) is missing"))
        try:
            specs = _specs(cell.get("specs_json", ""))
        except InvalidInputError as err:
            errors.append(RowError(line, "specs_json", str(err)))
            specs = {}
        if errors:
            return RowResult(line, errors=tuple(errors))

        content = normalize(
            " ".join(cell.get(key, "") for key in ("description", "long_description", "features"))
            + json.dumps(specs, sort_keys=True)
        )
        if content in self._content:
            first_line, first_title = self._content[content]
            reason = f"duplicate of line {first_line} ({first_title}): same description and specs"
            return RowResult(line, skipped=SkippedRow(line, reason))
        self._content[content] = (line, title)

        base = _base_name(title, cell.get("description", ""))
        if normalize(base) in self._names:
            base = _disambiguated(base, specs, product_id)
        self._names.add(normalize(base))
        try:
            return self._products(line, cell, specs, base)
        except InvalidInputError as err:
            return RowResult(line, errors=(RowError(line, err.field, str(err)),))

    def _products(
        self, line: int, cell: dict[str, str], specs: dict[str, str], base: str
    ) -> RowResult:
        product_id, title = cell["product_id"], cell["title"]
        offers, recharges = _offers(cell.get("price_raw", ""), specs)
        category = _category(cell.get("line", ""), base)
        synonyms = synonyms_for(base)
        bare_title = _RANGE_NOTE.sub("", title)
        if normalize(bare_title) != normalize(base) and len(bare_title.split()) <= 6:
            synonyms.append(bare_title)
        sheet = _clean_specs(specs, variants=len(offers) > 1)
        attributes = _attributes(sheet)
        description = _description(cell, sheet)
        sku = f"{SKU_PREFIX}-{_sku_part(product_id)}"

        products = []
        if len(offers) > 1:
            for offer in offers:
                products.append(
                    ProductData(
                        sku=f"{sku}-{_sku_part(offer.label)}",
                        name=f"{base} {_label_in_name(offer.label)}",
                        category=category,
                        description=description,
                        family=base,
                        price=offer.price,
                        synonyms=synonyms,
                        attributes={**attributes, _variant_key(offer.label): offer.label},
                    )
                )
        else:
            offer = offers[0] if offers else _Offer("", None)
            note = _price_note(offer.note)
            products.append(
                ProductData(
                    sku=sku,
                    name=base,
                    category=category,
                    description=f"{description}\n\n{note}" if note else description,
                    price=offer.price,
                    synonyms=synonyms,
                    attributes={**attributes, "price_note": note} if note else attributes,
                )
            )
        family = f"Recarga de {_lower_first(base)}"
        agent = {"agent": attributes["agent"]} if "agent" in attributes else {}
        for offer in recharges:
            products.append(
                ProductData(
                    sku=f"{sku}-REC-{_sku_part(offer.label)}",
                    name=f"{family} {_label_in_name(offer.label)}",
                    category=RECHARGE_CATEGORY,
                    description=f"Servicio de recarga de {_lower_first(base)} de {offer.label}.",
                    family=family,
                    price=offer.price,
                    synonyms=synonyms_for(family),
                    attributes={
                        "kind": "servicio",
                        _variant_key(offer.label): offer.label,
                        **agent,
                    },
                )
            )
        split = len(products) if len(products) > 1 else 0
        return RowResult(line, products=tuple(products), variants=split)


def _specs(text: str) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInputError(f"not valid JSON ({err.msg})", field="specs_json") from err
    if not isinstance(value, dict):
        raise InvalidInputError("must be a JSON object", field="specs_json")
    return {str(key).strip(): str(item).strip() for key, item in value.items()}


def _base_name(title: str, description: str) -> str:
    """The name the shop gives the product in prose ("Presentamos nuestro X –"), else the title.

    Several titles are slogans ("Amplia Capacidad para Equipos de Seguridad...") while the
    description's opening names the product ("Bolso Morral Grande").
    """
    match = _INTRO.match(description)
    name = match.group("name") if match else title
    return " ".join(_RANGE_NOTE.sub("", name).split())


def _disambiguated(name: str, specs: dict[str, str], product_id: str) -> str:
    """A second, different product under a name already taken: tell it apart by its agent."""
    agent = re.sub(r"\s*\(.*?\)", "", specs.get("Tipo de Agente", "")).strip()
    if agent and normalize(agent) not in normalize(name):
        return f"{name} {agent}"
    return f"{name} (ref. {product_id})"


def _category(line: str, name: str) -> str:
    key = normalize(name)
    for pattern, category in _NAME_CATEGORIES:
        if pattern.search(key):
            return category
    line_key = normalize(line)
    for fragment, category in _LINE_CATEGORIES:
        if fragment in line_key:
            return category
    bare = re.sub(r"^l[ií]nea (?:de|para) ", "", line.strip(), flags=re.IGNORECASE)
    return bare[:1].upper() + bare[1:] if bare else "General"


@dataclass(frozen=True, slots=True)
class _Offer:
    """A price the row offers: for a variant (`label`), or the row's only one (`label` "")."""

    label: str
    price: Decimal | None
    note: str = ""


def _offers(price_raw: str, specs: dict[str, str]) -> tuple[list[_Offer], list[_Offer]]:
    """The row's offers for new units, and its recharge services."""
    listed: dict[str, _Offer] = {}
    recharges: list[_Offer] = []
    for key, value in specs.items():
        for label, price in price_list(value) or ():
            offer = _Offer(_clean_label(label), price)
            if "recarga" in normalize(key):
                recharges.append(offer)
            else:
                listed.setdefault(normalize(offer.label), offer)
    if len(listed) > 1:
        return sorted(listed.values(), key=lambda offer: offer.price or 0), recharges
    entries = price_entries(price_raw) or price_entries(specs.get("Precio", ""))
    if len(entries) > 1:
        if not all(note for _, note in entries):
            raise InvalidInputError(
                f"several prices without the size or option each is for ({price_raw})",
                field="price_raw",
            )
        return [_Offer(_clean_label(note), amount) for amount, note in entries], recharges
    if entries:
        amount, note = entries[0]
        return [_Offer("", amount, note)], recharges
    # Free text without an amount ("a convenir") is a note on a price on request.
    return [_Offer("", None, price_raw)] if price_raw else [], recharges


def _price_note(note: str) -> str:
    """`par` → `Precio por par.`; `Incluye instalación` → `Incluye instalación.`"""
    note = note.strip().rstrip(".")
    if not note:
        return ""
    if " " not in note:
        return f"Precio por {note.lower()}."
    return f"{note[:1].upper()}{note[1:]}."


def _clean_label(label: str) -> str:
    text = " ".join(label.replace("*", "").strip().rstrip(":").split())
    for pattern, replacement in _UNITS:
        text = pattern.sub(replacement, text)
    return text


def _label_in_name(label: str) -> str:
    """`Con señal` reads `con señal` after a name; `10 lb` and `PVC` stay as they are."""
    if label[:1].isupper() and not label[1:2].isupper():
        return label[:1].lower() + label[1:]
    return label


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _variant_key(label: str) -> str:
    """The attribute a variant label fills, so search can tell 10 lb from 20 lb."""
    if _CAPACITY.match(label):
        return "capacity"
    if _SIZE.match(label):
        return "size"
    return "option"


def _sku_part(text: str) -> str:
    """`10 lb` → `10LB`, `Pequeño (25x30x10 cm)` → `PEQUENO`, `Con señal` → `CON-SENAL`."""
    bare = re.sub(r"\s*\(.*?\)", "", strip_accents(text)).upper().replace("Ñ", "N")
    bare = re.sub(r"([0-9])\s+(?=[A-Z])", r"\1", bare)
    return re.sub(r"[^A-Z0-9]+", "-", bare).strip("-")


def _clean_specs(specs: dict[str, str], *, variants: bool) -> dict[str, str]:
    """The technical sheet: no prices (they are columns), no placeholders, no markdown."""
    sheet = {}
    for key, raw in specs.items():
        key_norm = normalize(key)
        if "precio" in key_norm or price_list(raw) or _PURE_PRICE.fullmatch(raw):
            continue
        if variants and _RANGE_KEYS.match(key_norm):
            continue
        value = _INSTRUCTION.sub("", raw)
        if "\n" in value or value.lstrip().startswith("-"):
            value = _flatten_list(value)
        value = value.replace("**", "").strip()
        if value and not _PLACEHOLDER.search(value):
            sheet[key.replace("**", "")] = value
    return sheet


def _flatten_list(value: str) -> str:
    """A markdown list on one line: `a, b; Group: c, d`, without the placeholder items."""
    groups: list[tuple[str, list[str]]] = []
    for raw in value.splitlines():
        item = raw.strip().removeprefix("-").strip().replace("**", "")
        if not item or _PLACEHOLDER.search(item):
            continue
        if item.endswith(":") and not raw.startswith(" "):
            groups.append((item[:-1], []))
        elif groups and (raw.startswith(" ") or not groups[-1][0]):
            groups[-1][1].append(item)
        else:
            groups.append(("", [item]))
    return "; ".join(
        f"{head}: {', '.join(items)}" if head else ", ".join(items)
        for head, items in groups
        if items
    )


def _attributes(sheet: dict[str, str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, value in sheet.items():
        name = _ATTRIBUTE_KEYS.get(normalize(key))
        if name:
            attributes.setdefault(name, value.rstrip("."))
    return attributes


def _description(cell: dict[str, str], sheet: dict[str, str]) -> str:
    """Description, long description, features and technical sheet, as plain text."""
    parts = [cell.get("description", ""), cell.get("long_description", "")]
    features = [f for f in cell.get("features", "").split(" | ") if f.strip()]
    if features:
        parts.append("Características:\n" + "\n".join(f"- {f.strip()}" for f in features))
    if sheet:
        parts.append("Ficha técnica:\n" + "\n".join(f"- {k}: {v}" for k, v in sheet.items()))
    text = "\n\n".join(part for part in parts if part.strip()).replace("**", "")
    for slip, word in _SLIPS.items():
        text = text.replace(slip, word)
    return text
