"""The customer data an order needs: validation, and how each field is asked for."""

from __future__ import annotations

import re

from agent.errors import InvalidInputError
from agent.i18n import say

REQUIRED = ("national_id", "name", "phone", "city", "address")
"""Asked in this order; the cédula first so a returning customer is recognised early."""

OPTIONAL = ("email",)

_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")


def validate(field: str, value: str) -> str:
    """The value of `field` in its stored form, or InvalidInputError naming the field."""
    text = " ".join(value.split())
    if field == "national_id":
        digits = re.sub(r"[\s.\-]", "", text)
        if not digits.isdigit() or not 6 <= len(digits) <= 10 or digits[0] == "0":
            raise InvalidInputError("a cédula has 6 to 10 digits", field=field)
        if len(set(digits)) == 1:
            raise InvalidInputError("a cédula is not one repeated digit", field=field)
        return digits
    if field == "phone":
        digits = re.sub(r"[\s()\-.]", "", text).removeprefix("+")
        if len(digits) == 12 and digits.startswith("57"):
            digits = digits[2:]
        mobile_or_landline = digits.startswith("3") or digits.startswith("60")
        if not (digits.isdigit() and len(digits) == 10 and mobile_or_landline):
            raise InvalidInputError("a phone has 10 digits (mobile 3xx, landline 60x)", field=field)
        return digits
    if field == "name":
        if not _NAME.match(text) or len(text.split()) < 2 or len(text) > 100:
            raise InvalidInputError("a name needs a first name and a surname", field=field)
        return text.title()
    if field == "city":
        if len(text) < 3 or len(text) > 60 or not any(c.isalpha() for c in text):
            raise InvalidInputError("a city name is needed", field=field)
        return text.title()
    if field == "address":
        if len(text) < 6 or len(text) > 200 or not any(c.isdigit() for c in text):
            raise InvalidInputError("an address with its number is needed", field=field)
        return text
    if field == "email":
        if not _EMAIL.match(text) or len(text) > 200:
            raise InvalidInputError("an e-mail like name@example.com is needed", field=field)
        return text.lower()
    raise InvalidInputError(f"unknown field {field}", field=field)


def ask(field: str, language: str) -> str:
    """The question that asks the customer for `field`."""
    questions = {
        "national_id": ("¿Me regalas tu número de cédula?", "What is your national ID number?"),
        "name": ("¿Cuál es tu nombre completo?", "What is your full name?"),
        "phone": ("¿A qué número de celular te contactamos?", "What phone number can we reach?"),
        "city": ("¿En qué ciudad recibes el pedido?", "Which city should we deliver to?"),
        "address": ("¿Cuál es la dirección de entrega?", "What is the delivery address?"),
        "email": ("¿Cuál es tu correo electrónico?", "What is your e-mail address?"),
    }
    es, en = questions[field]
    return say(language, es=es, en=en)


def invalid(field: str, language: str) -> str:
    """Why the value given for `field` was not accepted, and how to give it."""
    reasons = {
        "national_id": (
            "La cédula debe tener entre 6 y 10 dígitos, sin letras (por ejemplo 1032456789).",
            "The ID number must have 6 to 10 digits, no letters (for example 1032456789).",
        ),
        "name": (
            "Necesito tu nombre y apellido (por ejemplo: Ana Gómez).",
            "I need your first name and surname (for example: Ana Gomez).",
        ),
        "phone": (
            "El número debe tener 10 dígitos; un celular empieza por 3 (por ejemplo 3001234567).",
            "The number must have 10 digits; a mobile starts with 3 (for example 3001234567).",
        ),
        "city": ("No reconocí la ciudad.", "I didn't recognise the city."),
        "address": (
            "La dirección debe incluir la calle o carrera y el número (ej.: Calle 19 # 8-34).",
            "The address must include the street and number (e.g. Calle 19 # 8-34).",
        ),
        "email": (
            "El correo no parece válido (ejemplo: nombre@correo.com).",
            "That e-mail doesn't look valid (example: name@example.com).",
        ),
    }
    es, en = reasons[field]
    return say(language, es=es, en=en)


def label(field: str, language: str) -> str:
    """The field's name as shown in an order summary."""
    labels = {
        "national_id": ("Cédula", "ID"),
        "name": ("Nombre", "Name"),
        "phone": ("Teléfono", "Phone"),
        "city": ("Ciudad", "City"),
        "address": ("Dirección", "Address"),
        "email": ("Correo", "E-mail"),
    }
    es, en = labels[field]
    return say(language, es=es, en=en)
