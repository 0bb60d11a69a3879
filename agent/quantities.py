"""Number words and units of measure: the one vocabulary search and understanding share.

Search (agent/catalog/search.py) turns "diez libras" into `10lb`; understanding
(agent/nlu/) reads "2 extintores de 10 libras" as 2 of a 10 lb product. Both take their
words from here, so a unit added once is known to both.
"""

from __future__ import annotations

ONES = {
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14,
    "quince": 15, "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veintiuno": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
"""Number words that stand alone or end a number ("dos", "veintidós", "treinta y *dos*")."""

TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
"""Tens, which a unit may follow ("treinta y dos", "twenty-five")."""

HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500,
    "quinientas": 500, "seiscientos": 600, "seiscientas": 600, "setecientos": 700,
    "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
    "novecientas": 900,
}  # fmt: skip
"""Spanish hundreds (English says "one hundred", a multiplier)."""

DOZEN = frozenset(["docena", "docenas", "dozen", "dozens"])
"""Words that multiply the number before them by twelve ("dos docenas")."""

THOUSAND = frozenset(["mil", "thousand"])
"""Words that multiply the number before them by a thousand."""

NUMBER_VALUES = ONES | TENS | HUNDREDS
"""Every single word that is a number by itself, and its value."""

UNITS = {
    "lb": "lb", "lbs": "lb", "libra": "lb", "libras": "lb", "lib": "lb", "pound": "lb",
    "pounds": "lb",
    "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogramo": "kg",
    "kilogramos": "kg", "kilogram": "kg",
    "g": "g", "gr": "g", "gramo": "g", "gramos": "g", "gram": "g",
    "m": "m", "mt": "m", "mts": "m", "metro": "m", "metros": "m", "meter": "m",
    "meters": "m", "metre": "m",
    "cm": "cm", "centimetro": "cm", "mm": "mm", "milimetro": "mm",
    "l": "l", "lt": "l", "lts": "l", "litro": "l", "litros": "l", "liter": "l",
    "liters": "l", "litre": "l",
    "ml": "ml", "mililitro": "ml",
    "gal": "gal", "galon": "gal", "galones": "gal", "gallon": "gal", "gallons": "gal",
    "oz": "oz", "onza": "oz", "onzas": "oz", "ounce": "oz",
    "v": "v", "voltio": "v", "voltios": "v", "volt": "v", "volts": "v",
    "kv": "kv", "kilovoltio": "kv",
    "pulgada": "in", "pulgadas": "in", "inch": "in", "inches": "in",
    "psi": "psi",
}  # fmt: skip
"""Units of measure, every spelling (singular and plural, Spanish and English) → its symbol.

A unit only counts as one right after a number: "talla M" is a size, "3 m" is metres."""

MONEY_MULTIPLIERS = {
    "mil": 1_000, "k": 1_000, "luca": 1_000, "lucas": 1_000, "barra": 1_000, "barras": 1_000,
    "thousand": 1_000, "millon": 1_000_000, "millones": 1_000_000, "million": 1_000_000,
    "millions": 1_000_000, "palo": 1_000_000, "palos": 1_000_000,
}  # fmt: skip
"""Colombian money words after a number and what they multiply it by ("50 lucas", "2 palos")."""

CURRENCY_WORDS = frozenset(["peso", "pesos", "cop", "$"])
"""Words (and the sign) that say a number is an amount of money ("50.000 pesos", "$50000")."""
