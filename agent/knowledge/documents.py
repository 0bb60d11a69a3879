"""Adding, replacing, listing and removing the knowledge base's documents."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.errors import InvalidInputError, NotFoundError
from agent.knowledge.chunking import Chunk, chunks
from agent.knowledge.embeddings import Embedder
from agent.knowledge.extract import blocks
from agent.knowledge.sources import Source
from agent.knowledge.terms import index_terms
from agent.models import KnowledgeChunk, KnowledgeDocument, utcnow
from agent.settings import Settings

INSERT_BATCH = 500
"""Passages written per INSERT."""


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A document as staff see it in the list."""

    id: int
    source: str
    title: str
    kind: str
    chunks: int
    characters: int
    embedding_model: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Sizes:
    """How long passages are, and how much each repeats of the one before."""

    chars: int = 900
    overlap: int = 150

    @classmethod
    def from_settings(cls, settings: Settings) -> Sizes:
        """KB_CHUNK_CHARS and KB_CHUNK_OVERLAP."""
        return cls(settings.kb_chunk_chars, settings.kb_chunk_overlap)


def _info(row: KnowledgeDocument) -> DocumentInfo:
    return DocumentInfo(
        id=row.id,
        source=row.source,
        title=row.title,
        kind=row.kind,
        chunks=row.chunks,
        characters=row.characters,
        embedding_model=row.embedding_model,
        updated_at=row.updated_at,
    )


def _read(source: Source, sizes: Sizes) -> tuple[list[Chunk], str]:
    """The document's passages and its SHA-256 (blocking: run in a thread)."""
    with source.open() as file:
        passages = list(chunks(blocks(file, source.kind), size=sizes.chars, overlap=sizes.overlap))
    return passages, source.sha256()


def _title(source: Source, passages: list[Chunk], given: str | None) -> str:
    for title in (given, source.title, *(p.headings[0] for p in passages[:1] if p.headings)):
        if title and title.strip():
            return " ".join(title.split())[:300]
    return Path(source.name.rstrip("/")).stem[:300] or source.name[:300]


async def add(
    sessions: async_sessionmaker[AsyncSession],
    source: Source,
    *,
    title: str | None = None,
    sizes: Sizes | None = None,
    embedder: Embedder | None = None,
) -> DocumentInfo:
    """Add a document, or replace the one from the same source, in one transaction.

    The text is read and cut (and embedded) before the transaction: a document's passages are
    held in memory, one document at a time, never a whole collection.
    """
    passages, sha = await asyncio.to_thread(_read, source, sizes or Sizes())
    if not passages:
        raise InvalidInputError(f"{source.name}: no text found in it")
    name = _title(source, passages, title)
    vectors: list[bytes | None] = [None] * len(passages)
    if embedder is not None:
        found = await embedder.embed([_embedded(name, p) for p in passages], task="document")
        vectors = [np.asarray(v, dtype="<f4").tobytes() for v in found]
    async with transaction(sessions) as session:
        await _remove(session, source.name)
        now = utcnow()
        document = KnowledgeDocument(
            source=source.name,
            title=name,
            kind=source.kind,
            sha256=sha,
            chunks=len(passages),
            characters=sum(len(p.text) for p in passages),
            embedding_model=embedder.model if embedder is not None else None,
            created_at=now,
            updated_at=now,
        )
        session.add(document)
        await session.flush()
        rows = (
            {
                "document_id": document.id,
                "position": position,
                "heading": passage.heading,
                "text": passage.text,
                "terms": " ".join(index_terms(passage.text, title=name, heading=passage.heading)),
                "embedding": vector,
            }
            for position, (passage, vector) in enumerate(zip(passages, vectors, strict=True))
        )
        while batch := list(islice(rows, INSERT_BATCH)):
            await session.execute(insert(KnowledgeChunk), batch)
    return _info(document)


def _embedded(title: str, passage: Chunk) -> str:
    """What is embedded of a passage: where it sits, then what it says."""
    return f"{title} — {passage.heading}\n{passage.text}" if passage.heading else passage.text


async def _remove(session: AsyncSession, source: str) -> bool:
    found = await session.scalar(
        select(KnowledgeDocument.id).where(KnowledgeDocument.source == source)
    )
    if found is None:
        return False
    # The passages first, explicitly: SQLite's FTS5 triggers see each deleted row.
    await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == found))
    await session.execute(delete(KnowledgeDocument).where(KnowledgeDocument.id == found))
    return True


async def remove(sessions: async_sessionmaker[AsyncSession], key: str | int) -> DocumentInfo:
    """Remove a document (by id or source) and every passage and vector of it."""
    async with transaction(sessions) as session:
        where = (
            KnowledgeDocument.id == key if isinstance(key, int) else KnowledgeDocument.source == key
        )
        row = await session.scalar(select(KnowledgeDocument).where(where))
        if row is None:
            raise NotFoundError(f"no document {key!r} in the knowledge base")
        info = _info(row)
        await _remove(session, row.source)
    return info


async def listing(session: AsyncSession) -> list[DocumentInfo]:
    """Every document, the latest changed first."""
    rows = await session.scalars(
        select(KnowledgeDocument).order_by(KnowledgeDocument.updated_at.desc())
    )
    return [_info(row) for row in rows]


async def passage_count(session: AsyncSession) -> int:
    """How many passages the knowledge base holds."""
    return int(await session.scalar(select(func.count(KnowledgeChunk.id))) or 0)
