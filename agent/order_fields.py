"""The customer data an order needs: validation, and how each field is asked for."""

from __future__ import annotations

import re

from agent.errors import InvalidInputError
from agent.words import N_, t

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
        "national_id": N_("fields.ask.national_id"),
        "name": N_("fields.ask.name"),
        "phone": N_("fields.ask.phone"),
        "city": N_("fields.ask.city"),
        "address": N_("fields.ask.address"),
        "email": N_("fields.ask.email"),
    }
    return t(language, questions[field])


def invalid(field: str, language: str) -> str:
    """Why the value given for `field` was not accepted, and how to give it."""
    reasons = {
        "national_id": N_("fields.invalid.national_id"),
        "name": N_("fields.invalid.name"),
        "phone": N_("fields.invalid.phone"),
        "city": N_("fields.invalid.city"),
        "address": N_("fields.invalid.address"),
        "email": N_("fields.invalid.email"),
    }
    return t(language, reasons[field])


def label(field: str, language: str) -> str:
    """The field's name as shown in an order summary."""
    labels = {
        "national_id": N_("fields.label.national_id"),
        "name": N_("fields.label.name"),
        "phone": N_("fields.label.phone"),
        "city": N_("fields.label.city"),
        "address": N_("fields.label.address"),
        "email": N_("fields.label.email"),
    }
    return t(language, labels[field])
