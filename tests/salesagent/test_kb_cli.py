"""`salesagent kb`, run as a shop owner runs it: a real process per command."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.cli_process import cli_env, salesagent
from fixtures.kb_documents import SHIPPING_HTML, WARRANTY_MD, docx_bytes, pdf_bytes, serving


@pytest.fixture
def shop(tmp_path: Path) -> dict[str, str]:
    """The environment of a shop with an empty database."""
    return cli_env(f"sqlite:///{tmp_path / 'shop.db'}", COLUMNS="200")


def test_add_a_folder_and_a_page_list_search_replace_and_remove(
    shop: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "documentos"
    folder.mkdir()
    (folder / "garantia.md").write_text(WARRANTY_MD, encoding="utf-8")
    (folder / "casco.pdf").write_bytes(
        pdf_bytes([("Ficha del casco", ["El casco clase E resiste 20.000 voltios."])])
    )
    (folder / "cursos.docx").write_bytes(
        docx_bytes([(1, "Capacitaciones", ["El curso de brigada dura 8 horas."])])
    )
    (folder / "fotos.zip").write_bytes(b"not read")

    added = salesagent(shop, "kb", "add", str(folder))
    assert added.returncode == 0, added.stderr
    assert "'Política de garantía': 3 passages (markdown)" in added.stdout
    assert "'Ficha del casco': 1 passages (pdf)" in added.stdout
    assert "'Capacitaciones': 1 passages (docx)" in added.stdout
    assert "fotos" not in added.stdout

    with serving({"/envios.html": ("text/html", SHIPPING_HTML)}) as pages:
        url = pages.url("/envios.html")
        page = salesagent(shop, "kb", "add", url, "--title", "Envíos")
    assert page.returncode == 0, page.stderr
    assert "'Envíos': 2 passages (html)" in page.stdout

    listed = salesagent(shop, "kb", "list")
    assert listed.returncode == 0
    for title in ("Política de garantía", "Ficha del casco", "Capacitaciones", "Envíos"):
        assert title in listed.stdout

    found = salesagent(shop, "kb", "search", "cuantos voltios resiste el casco")
    assert found.returncode == 0
    assert found.stdout.startswith("Ficha del casco (match 1.00, answers)")
    assert "20.000 voltios" in found.stdout

    (folder / "garantia.md").write_text(WARRANTY_MD.replace("6 meses", "9 meses"), "utf-8")
    again = salesagent(shop, "kb", "add", str(folder / "garantia.md"))
    assert again.returncode == 0 and "document 5 'Política de garantía'" in again.stdout
    cascos = salesagent(shop, "kb", "search", "garantia cascos", "--limit", "5")
    assert "9 meses" in cascos.stdout and "6 meses" not in cascos.stdout

    removed = salesagent(shop, "kb", "remove", str(folder / "garantia.md"))
    assert removed.returncode == 0
    assert "document 5 'Política de garantía' removed (3 passages)" in removed.stdout
    gone = salesagent(shop, "kb", "search", "garantia cascos")
    assert "Política de garantía" not in gone.stdout
    by_id = salesagent(shop, "kb", "remove", "1")  # the folder is read in name order
    assert "'Ficha del casco' removed" in by_id.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "nowhere.md"], "nowhere.md: no such file"),
        (["add", "http://127.0.0.1:9/nothing.html"], "could not be fetched"),
        (["remove", "99"], "no document 99 in the knowledge base"),
    ],
)
def test_a_wrong_command_says_what_is_wrong(
    shop: dict[str, str], args: list[str], message: str
) -> None:
    done = salesagent(shop, "kb", *args)
    assert done.returncode == 1
    assert message in " ".join(done.stderr.split())
