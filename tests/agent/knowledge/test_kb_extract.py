"""Text out of every format the knowledge base reads, under its headings, and cut into passages."""

from __future__ import annotations

import io
import itertools

import pytest
from fixtures.kb_documents import (
    MAINTENANCE_TXT,
    PRICES_CSV,
    SHIPPING_HTML,
    WARRANTY_MD,
    docx_bytes,
    pdf_bytes,
)

from agent.errors import InvalidInputError
from agent.knowledge.chunking import chunks
from agent.knowledge.extract import Block, Kind, blocks, html_title, kind_of


def _read(data: bytes, kind: Kind) -> list[Block]:
    return list(blocks(io.BytesIO(data), kind))


def test_markdown_keeps_the_heading_path() -> None:
    found = _read(WARRANTY_MD.encode(), "markdown")
    assert (
        Block(("Política de garantía",), "Esta política aplica a todo lo que vende la tienda.")
        in found
    )
    cascos = [b for b in found if b.headings == ("Política de garantía", "Cascos")]
    assert cascos and "6 meses" in cascos[0].text


def test_plain_text_finds_numbered_headings() -> None:
    found = _read(MAINTENANCE_TXT.encode(), "text")
    assert found[0].headings == ("Mantenimiento de extintores", "1. Recarga")
    assert found[0].text.startswith("Los extintores de polvo químico seco se recargan")
    assert found[1].headings == ("Mantenimiento de extintores", "2. Prueba hidrostática")


def test_html_drops_scripts_navigation_and_footers() -> None:
    found = _read(SHIPPING_HTML, "html")
    text = " ".join(b.text for b in found)
    assert "tracking" not in text and "Inicio" not in text and "Copyright" not in text
    by_text = {b.text: b.headings for b in found}
    assert by_text["Los extintores viajan solo por tierra, nunca por avión."] == (
        "Envíos y entregas",
        "Transportadoras",
    )
    assert "Ciudad · Medellín · 2 días" in by_text
    assert html_title(SHIPPING_HTML) == "Envíos y entregas"


def test_csv_rows_name_their_columns() -> None:
    found = _read(PRICES_CSV.encode(), "csv")
    assert [b.text for b in found] == [
        "codigo: EXT-10 · producto: Extintor PQS 10 lb · precio: 95000.",
        "codigo: CAS-01 · producto: Casco dieléctrico · precio: 45000.",
    ]


def test_pdf_pages_are_read_with_their_headings() -> None:
    data = pdf_bytes(
        [
            ("Ficha técnica del casco", ["El casco clase E resiste 20.000 voltios."]),
            ("Cuidados", ["Limpie el casco con agua y jabón neutro."]),
        ]
    )
    found = _read(data, "pdf")
    assert found[0] == Block(
        ("Ficha técnica del casco",), "El casco clase E resiste 20.000 voltios."
    )
    assert found[1] == Block(("Cuidados",), "Limpie el casco con agua y jabón neutro.")


def test_docx_headings_paragraphs_and_tables() -> None:
    data = docx_bytes(
        [
            (1, "Capacitaciones", ["Dictamos cursos de manejo de extintores."]),
            (2, "Brigadas", ["El curso de brigada dura 8 horas."]),
        ],
        table=[["Curso", "Horas"], ["Primeros auxilios", "4"]],
    )
    found = _read(data, "docx")
    assert found[0] == Block(("Capacitaciones",), "Dictamos cursos de manejo de extintores.")
    assert found[1] == Block(("Capacitaciones", "Brigadas"), "El curso de brigada dura 8 horas.")
    assert found[-1] == Block(("Capacitaciones", "Brigadas"), "Primeros auxilios · 4")


@pytest.mark.parametrize(
    ("data", "kind"), [(b"not a pdf at all", "pdf"), (b"PK\x03\x04 broken zip", "docx")]
)
def test_a_broken_file_is_refused_by_name(data: bytes, kind: Kind) -> None:
    with pytest.raises(InvalidInputError, match=f"not a readable {kind.upper()}"):
        _read(data, kind)


def test_an_unknown_format_is_refused() -> None:
    assert kind_of("Ficha.PDF") == "pdf"
    with pytest.raises(InvalidInputError, match="not a format"):
        kind_of("fotos.zip")


def test_passages_keep_headings_stay_within_size_and_overlap() -> None:
    sentence = "El extintor de {n} libras se inspecciona cada mes y se recarga cada año."
    text = " ".join(sentence.format(n=n) for n in range(40))
    found = list(
        chunks(
            [Block(("Manual", "Recarga"), text), Block(("Manual", "Prueba"), "Cada cinco años.")],
            size=300,
            overlap=60,
        )
    )
    recarga = [c for c in found if c.headings == ("Manual", "Recarga")]
    assert len(recarga) > 5 and all(len(c.text) <= 300 for c in recarga)
    for before, after in itertools.pairwise(recarga):
        assert after.text[:20] in before.text  # each passage starts with the end of the one before
    assert found[-1].heading == "Manual › Prueba" and found[-1].text == "Cada cinco años."
    joined = " ".join(c.text for c in recarga)
    assert all(sentence.format(n=n) in joined for n in range(40))  # nothing lost


def test_plain_text_lines_after_a_colon_are_text_and_numbered_headings_stand() -> None:
    written = (
        "Medios de pago\n\nTransferencia a nuestras cuentas:\n  Bancolombia, cuenta 123-45\n"
        "  Davivienda, cuenta 678-90\nAmbas a nombre de la tienda.\n\n\n"
        "3. CÓMO PONERSE EL ARNÉS\n\na) Tome el arnés por la argolla dorsal.\n"
    )
    found = _read(written.encode(), "text")
    assert found[0].headings == ("Medios de pago",)
    assert "Bancolombia, cuenta 123-45 Davivienda, cuenta 678-90" in found[0].text
    assert found[1].headings == ("Medios de pago", "3. CÓMO PONERSE EL ARNÉS")
    assert found[1].text.startswith("a) Tome el arnés")
