"""What the shop says about itself: read from a YAML file the shop edits (Spanish first)."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.errors import ConfigurationError
from agent.text import normalize
from agent.words import N_

DAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
"""The days of the week as the file names them (accents optional)."""
DAY_NAMES = (
    N_("days.monday"),
    N_("days.tuesday"),
    N_("days.wednesday"),
    N_("days.thursday"),
    N_("days.friday"),
    N_("days.saturday"),
    N_("days.sunday"),
)
"""The ids of the days' names as a reply writes them, in the order of DAYS."""

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CLOSED = frozenset({"", "cerrado", "closed", "no"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Model(BaseModel):
    # A typo in a field name is an error, not a silently ignored section.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Localized(_Model):
    """A text in Spanish, optionally in English too; a plain string in the file is Spanish."""

    es: str = Field(min_length=1)
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"es": value} if isinstance(value, str) else value

    def text(self, language: str) -> str:
        """The text in `language`, or the Spanish one when there is no translation."""
        return self.en.strip() if language == "en" and self.en else self.es.strip()


class TimeRange(_Model):
    """One opening span of a day."""

    opens: time
    closes: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.opens >= self.closes:
            raise ValueError(f"opens at {self.opens:%H:%M} but closes at {self.closes:%H:%M}")
        return self


def _parse_ranges(value: Any) -> Any:
    """`"07:30-12:30, 14:00-18:00"` → two ranges; `cerrado` → none."""
    if value is None or value is False:
        return []
    if not isinstance(value, str):
        return value
    if normalize(value) in _CLOSED:
        return []
    ranges = []
    for part in value.split(","):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"'{part.strip()}' is not like 07:30-18:00 (or 'cerrado')")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            ranges.append({"opens": time(h1, m1), "closes": time(h2, m2)})
        except ValueError as err:
            raise ValueError(f"'{part.strip()}': {err}") from err
    return ranges


class Schedule(_Model):
    """Opening hours per day of the week, and on public holidays; a missing day is closed."""

    lunes: list[TimeRange] = []
    martes: list[TimeRange] = []
    miercoles: list[TimeRange] = []
    jueves: list[TimeRange] = []
    viernes: list[TimeRange] = []
    sabado: list[TimeRange] = []
    domingo: list[TimeRange] = []
    festivos: list[TimeRange] = []

    @model_validator(mode="before")
    @classmethod
    def _unaccented_days(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {normalize(str(key)): day for key, day in value.items()}
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _ranges(cls, value: Any) -> Any:
        return _parse_ranges(value)

    def day(self, name: str) -> list[TimeRange]:
        """The opening spans of a day named as in `DAYS` (or `festivos`)."""
        spans: list[TimeRange] = getattr(self, name)
        return spans


class Payment(_Model):
    """How customers can pay."""

    methods: list[Localized] = Field(min_length=1)
    notes: Localized | None = None


class ShippingZone(_Model):
    """Where the shop delivers, at what cost and how fast; no cities: the rest of the country."""

    name: Localized
    cities: list[str] = []
    cost: Decimal | None = Field(default=None, ge=0)
    free_from: Decimal | None = Field(default=None, ge=0)
    delivery: Localized

    def serves(self, city: str) -> bool:
        """True when `city` is one of this zone's cities."""
        return normalize(city) in {normalize(c) for c in self.cities}

    def charge(self, subtotal: Decimal) -> Decimal | None:
        """What shipping an order of `subtotal` costs here: 0 when free, None when quoted."""
        if self.cost is None:
            return None
        if self.free_from is not None and subtotal >= self.free_from:
            return Decimal(0)
        return self.cost


class Shipping(_Model):
    """Delivery zones and general shipping notes."""

    zones: list[ShippingZone] = Field(min_length=1)
    notes: Localized | None = None

    def zone_for(self, city: str) -> ShippingZone | None:
        """The zone serving `city`: the one naming it, else the catch-all (no cities) zone."""
        for zone in self.zones:
            if zone.serves(city):
                return zone
        return next((zone for zone in self.zones if not zone.cities), None)


class HandoffTexts(_Model):
    """What customers are told when their conversation goes to a person (all optional).

    `{hours}` in a text becomes the hours when staff answer; `{phone}` the shop's phone.
    """

    staff_hours: Schedule | None = None
    """When staff answer chats; the shop's opening hours when not given."""
    waiting: Localized | None = None
    """The transition message, within staff hours."""
    after_hours: Localized | None = None
    """The transition message outside staff hours."""
    unanswered: Localized | None = None
    """Sent once when nobody has taken the conversation after HANDOFF_WAIT_SECONDS."""


class CompanyInfo(_Model):
    """Everything the agent may say about the shop, by section."""

    name: str = Field(min_length=1)
    about: Localized
    address: str = Field(min_length=1)
    city: str = Field(min_length=1)
    region: str | None = None
    maps_url: str | None = None
    phone: str = Field(min_length=7)
    whatsapp: str | None = None
    email: str
    website: str | None = None
    hours: Schedule
    hours_note: Localized | None = None
    payment: Payment
    shipping: Shipping
    returns: Localized
    warranty: Localized
    currency: str = Field(default="COP", min_length=3, max_length=3)
    """The currency of the file's amounts (each shipping zone's `cost` and `free_from`)."""
    handoff: HandoffTexts | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"'{value}' is not an e-mail address")
        return value


def check_currency(company: CompanyInfo, currency: str, path: Path) -> None:
    """Refuse a company file whose shipping amounts are in another currency than the shop's.

    Copied from the demo into a shop that sells in dollars, "cost: 8000" pesos would read as
    US$8.000,00.
    """
    amounts = any(z.cost is not None or z.free_from is not None for z in company.shipping.zones)
    if amounts and company.currency.upper() != currency.upper():
        raise ConfigurationError(
            f"the company file {path} gives its shipping amounts in {company.currency} but the "
            f"shop sells in {currency}: write them in {currency} and set `currency: {currency}` "
            "in it"
        )


def load_company(path: Path) -> CompanyInfo:
    """Read and check the company file; `ConfigurationError` names the file and the bad field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigurationError(f"cannot read the company file {path}: {err}") from err
    except yaml.YAMLError as err:
        raise ConfigurationError(f"the company file {path} is not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigurationError(f"the company file {path} must be a mapping of sections")
    try:
        return CompanyInfo.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigurationError(
            f"the company file {path} has an invalid field '{field}': {first['msg']}"
            + (f" ({err.error_count() - 1} more problems)" if err.error_count() > 1 else "")
        ) from err
