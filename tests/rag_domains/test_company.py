"""The company file (loading, errors that name the field) and the company handler's answers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fixtures.turns import turn
from sqlalchemy.ext.asyncio import AsyncSession

from agent.company import CompanyInfo, load_company
from agent.errors import ConfigurationError
from agent.settings import DEMO_SHOP_DIR
from rag_domains.company import CompanyHandler

DEMO_FILE = DEMO_SHOP_DIR / "company.yaml"


@pytest.fixture
def company() -> CompanyInfo:
    """The demo shop's company file."""
    return load_company(DEMO_FILE)


@pytest.fixture
def handler(company: CompanyInfo) -> CompanyHandler:
    """The handler over the demo shop's file."""
    return CompanyHandler(company)


def test_the_demo_file_loads(company: CompanyInfo) -> None:
    assert company.name == "Extintores y Seguridad Industrial del Risaralda"
    assert company.city == "Pereira"
    assert company.hours.day("lunes")[0].opens.isoformat() == "07:30:00"
    assert company.hours.domingo == []
    assert len(company.payment.methods) >= 3


def _demo() -> dict[str, object]:
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": {"lunes": "7-18"}}, "hours.lunes"),
        ({"hours": {"lunes": "18:00-08:00"}}, "hours.lunes"),
        ({"hours": {"lunez": "08:00-12:00"}}, "hours.lunez"),
        ({"email": "ventas en extintores"}, "email"),
        ({"horario": "08:00-12:00"}, "horario"),
        ({"phone": None}, "phone"),
        ({"shipping": {"zones": [{"name": "Pereira", "cost": -1, "delivery": "hoy"}]}}, "cost"),
        ({"returns": {"en": "only English"}}, "returns.es"),
    ],
)
def test_an_invalid_file_names_the_file_and_the_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump({**_demo(), **change}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_company(path)
    assert str(path) in str(caught.value)
    assert field in str(caught.value)

    path.write_text(yaml.safe_dump(_demo(), allow_unicode=True), encoding="utf-8")
    assert load_company(path).name == _demo()["name"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("name: [unclosed", "not valid YAML"), ("- a list", "mapping")],
)
def test_an_unreadable_file_is_a_configuration_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "company.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        load_company(path)


async def ask(
    session: AsyncSession, handler: CompanyHandler, intent: str, language: str = "es", **kw: str
) -> str:
    return (await handler.handle(await turn(session, intent, language=language, **kw))).reply


async def test_hours_group_the_days_in_both_languages(
    session: AsyncSession, handler: CompanyHandler
) -> None:
    spanish = await ask(session, handler, "company.hours")
    assert spanish.startswith("Nuestro horario:")
    assert "• Lunes a viernes: 7:30 a. m. – 12:30 p. m. y 2:00 p. m. – 6:00 p. m." in spanish
    assert "• Sábado: 8:00 a. m. – 1:00 p. m." in spanish
    assert "• Domingo: cerrado" in spanish
    assert "• Festivos: cerrado" in spanish
    english = await ask(session, handler, "company.hours", "en")
    assert "• Monday to Friday: 7:30 am – 12:30 pm and 2:00 pm – 6:00 pm" in english
    assert "• Sunday: closed" in english
    assert "We answer on WhatsApp around the clock" in english


async def test_location_contact_and_about(session: AsyncSession, handler: CompanyHandler) -> None:
    location = await ask(session, handler, "company.location")
    assert location.startswith("Estamos en *Carrera 10 # 21-34, local 2, Centro*, Pereira")
    assert "https://maps.google.com/" in location
    contact = await ask(session, handler, "company.contact", "en")
    assert "• Phone: +57 606 340 1234" in contact
    assert "• WhatsApp: +57 310 555 0123" in contact
    assert "• E-mail: ventas@extintoresrisaralda.example" in contact
    about = await ask(session, handler, "company.about", "en")
    assert about.startswith("*Extintores y Seguridad Industrial del Risaralda*\nWe are a Pereira")
    assert await ask(session, handler, "company") == await ask(session, handler, "company.about")


async def test_payment_falls_back_to_spanish_where_there_is_no_english(
    session: AsyncSession, handler: CompanyHandler
) -> None:
    english = await ask(session, handler, "company.payment", "en")
    assert english.startswith("You can pay with:")
    assert "• Cash at our store" in english
    assert "• Nequi y Daviplata" in english  # written only in Spanish in the file
    spanish = await ask(session, handler, "company.payment")
    assert "• Efectivo en nuestro local" in spanish


async def test_shipping_for_a_city_and_for_everywhere(
    session: AsyncSession, handler: CompanyHandler
) -> None:
    near = await ask(session, handler, "company.shipping", city="dosquebradas")
    assert near == (
        "Sí, enviamos a Dosquebradas. Costo del envío: $8.000 (gratis desde $300.000). "
        "Tiempo de entrega: el mismo día si pides antes de las 2:00 p. m."
    )
    far = await ask(session, handler, "company.shipping", "en", city="Medellín")
    assert far.startswith("Yes, we deliver to Medellín. Shipping: quoted by weight and place.")
    everywhere = await ask(session, handler, "company.shipping")
    assert "• *Pereira y Dosquebradas*: $8.000 (gratis desde $300.000)" in everywhere
    assert "• *Resto del país*: se cotiza según peso y destino" in everywhere


async def test_returns_and_warranty(session: AsyncSession, handler: CompanyHandler) -> None:
    returns = await ask(session, handler, "company.returns")
    assert returns.startswith("*Cambios y devoluciones*\nTienes 8 días calendario")
    warranty = await ask(session, handler, "company.warranty", "en")
    assert warranty.startswith("*Warranty*\nNew extinguishers carry a 1-year warranty")
