"""Adding, replacing and removing documents, and finding passages by keyword, on SQLite (FTS5)
and PostgreSQL (GIN full-text): the same answers on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fixtures.kb_documents import (
    MAINTENANCE_TXT,
    SHIPPING_HTML,
    WARRANTY_MD,
    docx_bytes,
    pdf_bytes,
    serving,
)
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.errors import InvalidInputError, NotFoundError
from agent.knowledge import documents
from agent.knowledge.search import KnowledgeBase
from agent.knowledge.sources import Source, fetch, from_path, from_upload
from agent.migrate import upgrade
from agent.models import KnowledgeChunk, KnowledgeDocument


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kb_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of either kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url


@pytest.fixture
async def kb_sessions(kb_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on `kb_url`."""
    engine = create_engine(kb_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _shop_documents(sessions: async_sessionmaker[AsyncSession], folder: Path) -> None:
    (folder / "garantia.md").write_text(WARRANTY_MD, encoding="utf-8")
    (folder / "mantenimiento.txt").write_text(MAINTENANCE_TXT, encoding="utf-8")
    for name in ("garantia.md", "mantenimiento.txt"):
        await documents.add(sessions, from_path(folder / name, max_bytes=1_000_000))
    await documents.add(sessions, from_upload("envios.html", SHIPPING_HTML))


async def _counts(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    """Documents, passages, and passages the keyword index holds."""
    async with sessions() as session:
        docs = await session.scalar(select(func.count(KnowledgeDocument.id)))
        chunks = await session.scalar(select(func.count(KnowledgeChunk.id)))
        if session.get_bind().dialect.name == "sqlite":
            indexed = await session.scalar(
                text("SELECT count(*) FROM kb_chunks_fts WHERE kb_chunks_fts MATCH 'extintor'")
            )
        else:
            indexed = await session.scalar(
                text(
                    "SELECT count(*) FROM kb_chunks WHERE to_tsvector('simple', terms) "
                    "@@ to_tsquery('simple', 'extintor')"
                )
            )
        return int(docs or 0), int(chunks or 0), int(indexed or 0)


async def test_questions_find_the_passage_that_answers_them(
    kb_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _shop_documents(kb_sessions, tmp_path)
    base = KnowledgeBase(kb_sessions)
    found = await base.search("¿Cuántos meses de garantía tiene un casco?")
    assert found[0].document == "Política de garantía"
    assert found[0].place == "Política de garantía › Cascos"
    assert "6 meses" in found[0].text
    found = await base.search("mandan extintores por avion?")
    assert "Los extintores viajan solo por tierra, nunca por avión." in found[0].text
    assert found[0].document == "Envíos y entregas"
    found = await base.search("cada cuanto la prueba hidrostatica")
    assert found[0].heading == "Mantenimiento de extintores › 2. Prueba hidrostática"
    assert found[0].match == 1.0


async def test_nothing_above_the_threshold_is_no_answer(
    kb_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _shop_documents(kb_sessions, tmp_path)
    base = KnowledgeBase(kb_sessions, min_match=0.5)
    async with kb_sessions() as session:
        assert await base.answer_in(session, "¿venden helados de mora?") is None
        # "extintor" is in the documents; "piscina" and "alquiler" are not: most of it unanswered.
        assert await base.answer_in(session, "alquilan piscinas para extintores?") is None
        answer = await base.answer_in(session, "garantia de los cascos")
    assert answer is not None and "6 meses" in answer.text


async def test_adding_the_same_source_again_replaces_it(
    kb_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _shop_documents(kb_sessions, tmp_path)
    assert await _counts(kb_sessions) == (3, 7, 4)
    newer = WARRANTY_MD.replace("12 meses", "24 meses")
    (tmp_path / "garantia.md").write_text(newer, encoding="utf-8")
    info = await documents.add(kb_sessions, from_path(tmp_path / "garantia.md", max_bytes=10**6))
    assert info.title == "Política de garantía"
    assert await _counts(kb_sessions) == (3, 7, 4)
    found = await KnowledgeBase(kb_sessions).search("garantía de los extintores")
    assert "24 meses" in found[0].text
    assert all("12 meses" not in p.text for p in found)


async def test_removing_a_document_removes_every_passage(
    kb_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await _shop_documents(kb_sessions, tmp_path)
    removed = await documents.remove(kb_sessions, str((tmp_path / "garantia.md").resolve()))
    assert removed.chunks == 3
    assert await _counts(kb_sessions) == (2, 4, 3)
    assert await KnowledgeBase(kb_sessions).search("garantía de los cascos") == []
    async with kb_sessions() as session:
        listed = await documents.listing(session)
    html = next(d for d in listed if d.kind == "html")
    await documents.remove(kb_sessions, html.id)
    assert await _counts(kb_sessions) == (1, 2, 2)
    with pytest.raises(NotFoundError):
        await documents.remove(kb_sessions, html.id)


async def test_pdf_docx_and_a_fetched_page(
    kb_sessions: async_sessionmaker[AsyncSession],
) -> None:
    pdf = pdf_bytes([("Ficha del casco", ["El casco clase E resiste 20.000 voltios."])])
    docx = docx_bytes([(1, "Capacitaciones", ["El curso de brigada dura 8 horas."])])
    await documents.add(kb_sessions, from_upload("casco.pdf", pdf))
    await documents.add(kb_sessions, from_upload("cursos.docx", docx), title="Cursos 2026")
    with serving({"/envios": ("text/html; charset=utf-8", SHIPPING_HTML)}) as pages:
        page = await fetch(pages.url("/envios"), seconds=5, max_bytes=10**6)
        with pytest.raises(InvalidInputError, match="404"):
            await fetch(pages.url("/nada"), seconds=5, max_bytes=10**6)
        with pytest.raises(InvalidInputError, match="KB_MAX_BYTES"):
            await fetch(pages.url("/envios"), seconds=5, max_bytes=100)
    await documents.add(kb_sessions, page)
    base = KnowledgeBase(kb_sessions)
    assert (await base.search("voltios del casco"))[0].document == "Ficha del casco"
    assert (await base.search("cuantas horas dura el curso de brigada"))[
        0
    ].document == "Cursos 2026"
    envios = (await base.search("transportadora servientrega"))[0]
    assert envios.source == pages.url("/envios") and envios.document == "Envíos y entregas"


async def test_a_document_without_text_is_refused(
    kb_sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(InvalidInputError, match="no text"):
        await documents.add(kb_sessions, Source("vacio.md", "markdown", b"\n\n"))
    assert await _counts(kb_sessions) == (0, 0, 0)
