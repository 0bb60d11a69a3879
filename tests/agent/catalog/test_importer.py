"""Importing a shop's own catalog CSV: good rows land, bad rows are reported by line and column."""

from __future__ import annotations

import csv
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.catalog.import_prices import parse_price
from agent.catalog.importer import ImportReport, RowError, import_products
from agent.errors import InvalidInputError
from agent.models import Product

CATALOGS = Path(__file__).parents[2] / "fixtures" / "catalogs"
OWN_FORMAT = CATALOGS / "own_format.csv"
HEADER = "sku,name,category,description,price,currency,stock,synonyms,family,attributes,active"


async def imported(session: AsyncSession, path: Path) -> ImportReport:
    report = await import_products(session, path)
    await session.commit()
    return report


async def products(session: AsyncSession) -> dict[str, Product]:
    return {p.sku: p for p in await session.scalars(select(Product))}


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$180.000", Decimal(180000)),
        ("180000", Decimal(180000)),
        ("180.000,50", Decimal("180000.50")),
        ("$ 1.250.000", Decimal(1250000)),
        ("1,250,000", Decimal(1250000)),
        ("25000.5", Decimal("25000.5")),
        ("COP 25.000", Decimal(25000)),
        ("0", Decimal(0)),
        ("", None),
    ],
)
def test_colombian_price_formats(text: str, amount: Decimal | None) -> None:
    assert parse_price(text) == amount


@pytest.mark.parametrize("text", ["abc", "-5000", "$-5.000", "12.34.56", "1.2345", "1e5", "$"])
def test_unusable_prices_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_price(text)


async def test_good_rows_import_and_bad_rows_name_line_and_column(session: AsyncSession) -> None:
    report = await imported(session, OWN_FORMAT)

    assert report.format == "products"
    assert report.rows == 10
    assert report.created == 6
    # Line numbers are the file's: the quoted two-line description shifts every later row.
    assert [(e.row, e.field) for e in report.errors] == [
        (6, "price"),
        (7, "price"),
        (8, "name"),
        (11, "attributes"),
    ]
    assert "negative" in report.errors[1].message
    catalog = await products(session)
    assert set(catalog) == {
        "T-EXT-10",
        "T-CASCO",
        "GUANTE-DE-CARNAZA",
        "T-BIG",
        "T-CENTS",
        "T-ONREQ",
    }
    extintor = catalog["T-EXT-10"]
    assert extintor.price == Decimal(85000)
    assert extintor.stock == 12
    assert extintor.family == "Extintor PQS"
    assert extintor.synonyms == ["extinguidor", "fire extinguisher"]
    assert extintor.attributes == {"capacity": "10 lb"}
    guante = catalog["GUANTE-DE-CARNAZA"]
    assert (guante.price, guante.stock, guante.currency) == (Decimal(7500), 0, "COP")
    assert guante.description == "Par.\nTalla única."
    assert catalog["T-BIG"].price == Decimal(1250000)
    assert catalog["T-CENTS"].price == Decimal("180000.50")
    assert catalog["T-CENTS"].active is False
    assert catalog["T-ONREQ"].price is None


async def test_reimport_updates_in_place_and_keeps_stock_when_not_given(
    session: AsyncSession, tmp_path: Path
) -> None:
    await imported(session, OWN_FORMAT)
    again = await imported(session, OWN_FORMAT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)

    edited = tmp_path / "edited.csv"
    text = OWN_FORMAT.read_text(encoding="utf-8")
    edited.write_text(
        text.replace("$85.000", "$89.900").replace(",38000,,5,", ",38000,,0,"), encoding="utf-8"
    )
    catalog = await products(session)
    catalog["GUANTE-DE-CARNAZA"].stock = 40  # counted in the shop since the first import
    await session.commit()

    report = await imported(session, edited)

    assert (report.created, report.updated, report.unchanged) == (0, 2, 4)
    assert await session.scalar(select(func.count()).select_from(Product)) == 6
    catalog = await products(session)
    assert catalog["T-EXT-10"].price == Decimal(89900)
    assert catalog["T-CASCO"].stock == 0
    assert catalog["GUANTE-DE-CARNAZA"].stock == 40  # empty stock cell: left as counted


async def test_stock_only_change_keeps_updated_at(session: AsyncSession, tmp_path: Path) -> None:
    await imported(session, OWN_FORMAT)
    before = (await products(session))["T-CASCO"].updated_at
    edited = tmp_path / "stock.csv"
    text = OWN_FORMAT.read_text(encoding="utf-8")
    edited.write_text(text.replace(",38000,,5,", ",38000,,7,"), encoding="utf-8")

    report = await imported(session, edited)

    session.expunge_all()
    casco = (await products(session))["T-CASCO"]
    assert (report.updated, casco.stock, casco.updated_at) == (1, 7, before)


async def test_semicolons_bom_and_spanish_headers(session: AsyncSession) -> None:
    report = await imported(session, CATALOGS / "semicolon_bom.csv")

    assert (report.created, report.errors) == (3, [])
    catalog = await products(session)
    assert catalog["SC-01"].price == Decimal(330000)
    assert catalog["SC-01"].synonyms == ["extintor de gas", "CO2"]
    assert catalog["SC-02"].price == Decimal(1200)
    assert catalog["SENAL-SALIDA-DE-EMERGENCIA"].price == Decimal(24000)


async def test_excel_cp1252_file_with_sep_line(session: AsyncSession, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "sep=;\nsku;name;category;price\nX-1;Señal de extintor;Señalización;$ 24.000\n".encode(
            "cp1252"
        )
    )

    report = await imported(session, path)

    assert (report.created, report.errors) == (1, [])
    assert (await products(session))["X-1"].name == "Señal de extintor"


async def test_same_sku_twice_in_one_file_is_an_error(
    session: AsyncSession, tmp_path: Path
) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        f"{HEADER}\nA-1,Casco,Cascos,,1000,,,,,,\nA-1,Casco rojo,Cascos,,2000,,,,,,\n",
        encoding="utf-8",
    )

    report = await imported(session, path)

    assert report.created == 1
    assert report.errors == [RowError(3, "sku", "the sku A-1 is already used at line 2")]
    assert (await products(session))["A-1"].name == "Casco"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("title,price\nCasco,1000\n", "name and category"),
        ("name,price\nCasco,1000\n", "category"),
    ],
)
async def test_files_that_are_not_catalogs_are_refused(
    session: AsyncSession, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "not_a_catalog.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(InvalidInputError, match=message):
        await import_products(session, path)


async def test_progress_and_a_ten_thousand_row_file(session: AsyncSession, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER.split(","))
        for i in range(10_000):
            attributes = json.dumps({"size": str(36 + i % 10)})
            price = f"${(i % 900 + 2) * 1000:,}".replace(",", ".")
            row = {
                "sku": f"GEN-{i:05d}",
                "name": f"Guante modelo {i}",
                "category": "Protección de manos",
                "description": "Par.",
                "price": price,
                "stock": str(i % 50),
                "synonyms": "guante|glove",
                "family": "Guante",
                "attributes": attributes,
                "active": "sí",
            }
            writer.writerow([row.get(column, "") for column in HEADER.split(",")])
    calls: list[tuple[int, int]] = []

    started = time.perf_counter()
    report = await import_products(
        session, path, progress=lambda done, total: calls.append((done, total))
    )
    await session.commit()
    elapsed = time.perf_counter() - started

    assert (report.created, report.errors) == (10_000, [])
    assert elapsed < 30, f"10,000 rows took {elapsed:.1f} s"
    assert calls[0] == (0, 10_000) and calls[-1] == (10_000, 10_000)
    assert len(calls) > 2 and [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert await session.scalar(select(func.count()).select_from(Product)) == 10_000


async def test_values_too_long_for_the_table_are_row_errors(
    session: AsyncSession, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    rows = f"L-1,{'Casco ' * 40},Cascos,,1000,,,,,,\nL-2,Casco,Cascos,,,,,,,,\n"
    path.write_text(f"{HEADER}\n{rows}", encoding="utf-8")

    report = await imported(session, path)

    assert report.created == 1
    assert report.errors == [RowError(2, "name", "longer than 200 characters")]
