"""Vectors from Gemini and Ollama (their official SDKs against the local protocol server), kept
beside the passages, and ranked together with the keywords."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fixtures.kb_documents import WARRANTY_MD
from fixtures.llm_servers import (
    EMBEDDING_DIMENSIONS,
    GEMINI_KEY,
    Reply,
    Request,
    ScriptedServer,
    fake_vector,
    gemini_error,
    ollama_error,
)
from fixtures.llm_setup import configured
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.knowledge import documents
from agent.knowledge.embeddings import Embedder, build_embedder
from agent.knowledge.search import KnowledgeBase
from agent.knowledge.sources import from_upload
from agent.models import KnowledgeChunk, KnowledgeDocument
from agent.settings import Settings

COURSES_MD = """# Capacitaciones

## Brigadas
Entrenamos a las brigadas de emergencia de las empresas con simulacros reales.
"""
ANY_VENDOR = ["gemini", "ollama"]


@pytest.fixture
async def sessions_on(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's empty, migrated SQLite database."""
    engine = create_engine(settings.database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def opened() -> AsyncIterator[list[Embedder]]:
    """The embedders a test makes, closed after it."""
    made: list[Embedder] = []
    yield made
    for embedder in made:
        await embedder.close()


def _embedder(
    settings: Settings, server: ScriptedServer, vendor: str, opened: list[Embedder]
) -> Embedder:
    values: dict[str, object] = {"kb_embeddings": vendor, "kb_fetch_timeout": 5.0}
    if vendor == "gemini":
        values |= {"google_api_key": GEMINI_KEY, "gemini_base_url": server.url}
    else:
        values |= {"ollama_host": server.url, "kb_embedding_model": ScriptedServer.model}
    embedder = build_embedder(configured(settings, **values))
    assert embedder is not None
    opened.append(embedder)
    return embedder


@pytest.mark.parametrize("vendor", ANY_VENDOR)
async def test_passages_are_stored_with_their_vectors(
    settings: Settings,
    server: ScriptedServer,
    sessions_on: async_sessionmaker[AsyncSession],
    vendor: str,
    opened: list[Embedder],
) -> None:
    embedder = _embedder(settings, server, vendor, opened)
    info = await documents.add(
        sessions_on, from_upload("garantia.md", WARRANTY_MD.encode()), embedder=embedder
    )
    assert info.embedding_model == embedder.model
    async with sessions_on() as session:
        rows = list(await session.scalars(select(KnowledgeChunk).order_by(KnowledgeChunk.id)))
    assert len(rows) == info.chunks == 3
    assert all(len(row.embedding or b"") == EMBEDDING_DIMENSIONS * 4 for row in rows)
    [call] = server.calls("embed", "gemini-embed")
    sent = call.text
    assert "Los cascos tienen garantía de 6 meses" in sent
    if vendor == "gemini":
        assert call.path.endswith(":batchEmbedContents") and "RETRIEVAL_DOCUMENT" in sent


@pytest.mark.parametrize("vendor", ANY_VENDOR)
async def test_meaning_finds_a_passage_the_keywords_miss(
    settings: Settings,
    server: ScriptedServer,
    sessions_on: async_sessionmaker[AsyncSession],
    vendor: str,
    opened: list[Embedder],
) -> None:
    embedder = _embedder(settings, server, vendor, opened)
    for name, text in (("garantia.md", WARRANTY_MD), ("cursos.md", COURSES_MD)):
        await documents.add(sessions_on, from_upload(name, text.encode()), embedder=embedder)
    question = "¿enseñan a la gente a salir del edificio?"
    keywords_only = await KnowledgeBase(sessions_on).search(question)
    assert all(p.document != "Capacitaciones" for p in keywords_only)
    async with sessions_on() as session:
        courses = await session.scalar(
            select(KnowledgeChunk)
            .join(KnowledgeDocument)
            .where(KnowledgeDocument.title == "Capacitaciones", KnowledgeChunk.text.like("Entren%"))
        )
    assert courses is not None

    def near_the_courses(request: Request) -> Reply:
        # A model that knows "salir del edificio" and "simulacros" are near: the courses' vector.
        vector = fake_vector(f"Capacitaciones — {courses.heading}\n{courses.text}")
        if vendor == "gemini":
            return Reply(body={"embeddings": [{"values": vector}]})
        return Reply(body={"model": ScriptedServer.model, "embeddings": [vector]})

    server.script("embed", near_the_courses)
    hybrid = await KnowledgeBase(sessions_on, embedder=embedder).search(question)
    assert [p.document for p in hybrid][:1] == ["Capacitaciones"]
    assert "simulacros reales" in hybrid[0].text
    assert hybrid[0].match == 0.0  # found by meaning alone: not enough to answer by itself


@pytest.mark.parametrize(
    ("vendor", "failure"),
    [("gemini", gemini_error(503, "UNAVAILABLE")), ("ollama", ollama_error(500))],
)
async def test_a_failing_embedder_leaves_the_keywords(
    settings: Settings,
    server: ScriptedServer,
    sessions_on: async_sessionmaker[AsyncSession],
    vendor: str,
    failure: Reply,
    opened: list[Embedder],
) -> None:
    embedder = _embedder(settings, server, vendor, opened)
    await documents.add(
        sessions_on, from_upload("garantia.md", WARRANTY_MD.encode()), embedder=embedder
    )
    base = KnowledgeBase(sessions_on, embedder=embedder)
    server.script("embed", failure)
    found = await base.search("garantía de los cascos")
    assert "6 meses" in found[0].text
    assert server.pending("embed") == 0
    found = await base.search("garantía de los cascos")  # the server is back: both rankings
    assert "6 meses" in found[0].text
