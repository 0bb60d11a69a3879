"""Importing the real Risaralda catalog: variants, recharges, duplicates and placeholders."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.importer import ImportReport, import_products
from agent.models import Product
from agent.settings import DEMO_SHOP_DIR

RISARALDA = DEMO_SHOP_DIR / "catalog_extintores_risaralda.csv"
SAMPLE = Path(__file__).parents[2] / "fixtures" / "catalogs" / "risaralda_sample.csv"
# What the source's template left unfilled: "[Especificar Material]", "X cm de alto", "XxY cm".
PLACEHOLDER = re.compile(
    r"\[|\]|especificar|añade aquí|detallar si|mencionar si"
    r"|\b[XYZ](x[XYZ])?\s?(cm|kg|lbs?|litros|horas)\b",
    re.IGNORECASE,
)


async def imported(session: AsyncSession, path: Path) -> tuple[ImportReport, dict[str, Product]]:
    report = await import_products(session, path)
    await session.commit()
    return report, {p.sku: p for p in await session.scalars(select(Product))}


async def test_the_whole_catalog(session: AsyncSession) -> None:
    report, catalog = await imported(session, RISARALDA)

    assert report.format == "risaralda"
    assert (report.rows, report.created, report.errors) == (39, 55, [])
    assert report.variants == 25
    assert len(catalog) == 55
    assert {p.category for p in catalog.values()} == {
        "Extintores",
        "Recarga y mantenimiento",
        "Gabinetes y soportes",
        "Primeros auxilios",
        "Señalización",
        "Señalización vial",
        "Kits de carretera",
    }


async def test_variants_become_products_with_their_own_price(session: AsyncSession) -> None:
    _, catalog = await imported(session, RISARALDA)

    co2 = {sku: p for sku, p in catalog.items() if p.family == "Extintor de CO2"}
    assert {sku: p.price for sku, p in co2.items()} == {
        "RIS-107-5LB": Decimal(280000),
        "RIS-107-10LB": Decimal(380000),
        "RIS-107-15LB": Decimal(520000),
        "RIS-107-20LB": Decimal(700000),
    }
    ten = catalog["RIS-107-10LB"]
    assert ten.name == "Extintor de CO2 10 lb"
    assert ten.category == "Extintores"
    assert ten.attributes["capacity"] == "10 lb"
    assert {"extinguidor", "fire extinguisher", "dióxido de carbono"} <= set(ten.synonyms)
    # The recharge price list is a service, not the price of a new extinguisher.
    recharge = catalog["RIS-107-REC-10LB"]
    assert (recharge.name, recharge.price) == ("Recarga de extintor de CO2 10 lb", Decimal(210000))
    assert recharge.category == "Recarga y mantenimiento"
    assert recharge.attributes == {
        "kind": "servicio",
        "capacity": "10 lb",
        "agent": "Dióxido de Carbono (CO2)",
    }
    # Variants in price_raw, in a spec list, or in both (in a different order).
    assert catalog["RIS-304-100M"].price == Decimal(25000)
    assert catalog["RIS-304-500M"].price == Decimal(35000)
    assert catalog["RIS-304-500M"].attributes["size"] == "500 m"
    assert catalog["RIS-210-MEDIANO"].price == Decimal(130000)
    assert (
        catalog["RIS-210-MEDIANO"].name == "Botiquín Industrial con Dotación mediano (38x30x10 cm)"
    )
    assert catalog["RIS-310-CON-SENAL"].price == Decimal(45000)
    assert catalog["RIS-310-CON-SENAL"].name == "Base Matero para Extintor con señal"
    assert [catalog[f"RIS-408-{cm}CM"].price for cm in (20, 33, 45, 70, 90)] == [
        Decimal(p) for p in (40000, 55000, 90000, 150000, 200000)
    ]
    assert catalog["RIS-408-20CM"].category == "Señalización vial"


async def test_prices_notes_and_prices_on_request(session: AsyncSession) -> None:
    _, catalog = await imported(session, RISARALDA)

    assert catalog["RIS-101"].price is None
    assert catalog["RIS-201"].price is None
    assert catalog["RIS-205"].price == Decimal(180000)
    gabinete = catalog["RIS-212"]
    assert gabinete.price == Decimal(100000)
    assert gabinete.category == "Gabinetes y soportes"
    assert gabinete.description.endswith("Incluye instalación.")
    assert catalog["RIS-406"].attributes["price_note"] == "Precio por par."


async def test_names_come_from_the_product_not_the_slogan(session: AsyncSession) -> None:
    _, catalog = await imported(session, RISARALDA)

    assert catalog["RIS-209"].name == "Bolso Morral Grande"  # title: "Amplia Capacidad para..."
    assert catalog["RIS-205"].name == "Botiquín Tipo A"
    assert "first aid kit" in catalog["RIS-205"].synonyms
    # Two different products titled "Extintor de Agente Limpio" stay apart.
    assert catalog["RIS-103"].name == "Extintor de Agente Limpio"
    assert catalog["RIS-105"].name == "Extintor de Agente Limpio Halocarbonado"
    assert "solkaflam" in catalog["RIS-105"].synonyms


async def test_duplicates_are_imported_once_and_reported(session: AsyncSession) -> None:
    report, catalog = await imported(session, RISARALDA)

    assert [s.row for s in report.skipped] == [3, 11]
    assert all("duplicate of line" in s.reason for s in report.skipped)
    assert "RIS-102" not in catalog and "RIS-203" not in catalog
    names = [p.name for p in catalog.values()]
    assert len(names) == len(set(names))


async def test_no_placeholder_or_markdown_reaches_the_catalog(session: AsyncSession) -> None:
    _, catalog = await imported(session, RISARALDA)

    for product in catalog.values():
        texts = [product.name, product.description, *map(str, product.attributes.values())]
        for text in texts:
            assert not PLACEHOLDER.search(text), (product.sku, PLACEHOLDER.search(text))
            assert "**" not in text and "травма" not in text, product.sku
    camilla = catalog["RIS-201"].description
    assert "Accesorios Incluidos: Arnés, Inmovilizador de Cuello, Soporte, Señal" in camilla


async def test_reimport_changes_nothing(session: AsyncSession) -> None:
    await imported(session, RISARALDA)
    report, catalog = await imported(session, RISARALDA)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 55)
    assert len(catalog) == 55


async def test_broken_rows_are_reported_and_the_rest_imported(session: AsyncSession) -> None:
    report, catalog = await imported(session, SAMPLE)

    assert [(e.row, e.field) for e in report.errors] == [
        (9, "title"),
        (10, "specs_json"),
        (11, "price_raw"),
    ]
    assert [s.row for s in report.skipped] == [3]
    assert report.created == len(catalog) == 15
    unknown_line = catalog["RIS-903"]
    assert unknown_line.category == "Protección personal"
    assert unknown_line.price is None
    assert unknown_line.attributes == {"color": "Rojo", "price_note": "A convenir."}
