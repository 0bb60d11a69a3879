"""Finding the passages that answer a question: keywords (BM25) and, with vectors, meaning.

The database's full-text index (FTS5 on SQLite, GIN on PostgreSQL) finds the passages holding
any of the question's words; they are ranked by BM25 in Python with the same figures on both
databases. With an embedder, the passages nearest the question's vector (cosine, numpy, read
in batches) are ranked too and the two rankings are fused (reciprocal rank fusion).

`match` says how much of the question a passage holds: the share of the question's word
weight (inverse document frequency) found in it. An answer needs more than `min_match`. A word
no passage holds (the thing the shop may not have: *wifi*, *forklifts*) weighs as much as the
question's rarest held word, and a word found only as the vocabulary word nearest its spelling
counts half, so generic words alone (*local*, *clientes*) do not make an answer.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import reading_session
from agent.knowledge.chunking import HEADING_JOINER
from agent.knowledge.embeddings import Embedder, build_embedder
from agent.knowledge.terms import Concept, query_concepts
from agent.llm.errors import LLMError
from agent.models import KnowledgeChunk, KnowledgeDocument
from agent.settings import Settings
from agent.shops.current import DEFAULT_SHOP_ID
from agent.shops.scoping import session_shop_id

log = logging.getLogger(__name__)

CANDIDATES = 100
"""Passages the keyword index hands over for ranking."""
_K1, _B = 1.2, 0.5
_RRF_K = 60
SPELT_SHARE = 0.5
"""How much of its weight a word counts when a passage holds it only as the vocabulary word
nearest its spelling (`clave` read as `clase`): a guess, not the word."""
_VECTOR_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage found for a question, with the document it comes from."""

    chunk_id: int
    document: str
    """The document's title."""
    source: str
    heading: str
    text: str
    score: float
    match: float
    """The share of the question's word weight the passage holds (0 to 1)."""

    @property
    def place(self) -> str:
        """The document's title and the headings the passage sits under (`Garantía › Cascos`)."""
        headings = self.heading.split(HEADING_JOINER) if self.heading else []
        if headings and headings[0] == self.document:
            headings = headings[1:]
        return HEADING_JOINER.join([self.document, *headings])


class KnowledgeBase:
    """Searches the shop's documents."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        embedder: Embedder | None = None,
        min_match: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self.embedder = embedder
        self.min_match = min_match

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> KnowledgeBase:
        """The knowledge base the settings describe (KB_EMBEDDINGS, KB_MIN_MATCH)."""
        return cls(sessions, embedder=build_embedder(settings), min_match=settings.kb_min_match)

    async def close(self) -> None:
        """Close the embedder's connections."""
        if self.embedder is not None:
            await self.embedder.close()

    async def search(self, question: str, *, limit: int = 3) -> list[Passage]:
        """The passages that best answer `question`, best first (keywords and, with an
        embedder, meaning: the question is embedded first, with no transaction open)."""
        vector = await self.vector(question)
        async with reading_session(self._sessions) as session:
            return await self.search_in(session, question, limit=limit, vector=vector)

    async def vector(self, question: str) -> list[float] | None:
        """The question's vector, or None without an embedder or when the embedder fails."""
        if self.embedder is None:
            return None
        try:
            [vector] = await self.embedder.embed([question], task="query")
        except LLMError:
            log.warning("the question could not be embedded; keywords only", exc_info=True)
            return None
        return vector

    async def search_in(
        self,
        session: AsyncSession,
        question: str,
        *,
        limit: int = 3,
        vector: list[float] | None = None,
    ) -> list[Passage]:
        """`search` on the caller's session; vectors count when the question's is given."""
        concepts = query_concepts(question)
        keyword = await _keyword(session, concepts) if concepts else {}
        nearest: list[int] = []
        if vector is not None and self.embedder is not None:
            query = np.asarray(vector, dtype=np.float32)
            nearest = await _nearest(session, query, self.embedder.model, limit=max(limit, 20))
        order = sorted(keyword, key=lambda i: keyword[i].score, reverse=True)
        best = (_fused([order, nearest]) if nearest else order)[:limit]
        rows = await _rows(session, best)
        unscored = _Scored(0.0, 0.0)
        return [_passage(rows[i], keyword.get(i, unscored)) for i in best if i in rows]

    def answers(self, passage: Passage) -> bool:
        """Whether the passage holds enough of the question (more than `min_match`) to answer."""
        return passage.match > self.min_match

    async def empty(self, session: AsyncSession) -> bool:
        """Whether the shop has no documents (then there is nothing to not know)."""
        return await session.scalar(select(KnowledgeDocument.id).limit(1)) is None

    async def answer_in(
        self, session: AsyncSession, question: str, *, vector: list[float] | None = None
    ) -> Passage | None:
        """The best ranked of the top three passages that holds enough of the question
        to answer it; None: the shop's documents do not say."""
        found = await self.search_in(session, question, limit=3, vector=vector)
        return next((p for p in found if self.answers(p)), None)


@dataclass(frozen=True, slots=True)
class _Scored:
    score: float
    match: float


def _passage(row: tuple[KnowledgeChunk, KnowledgeDocument], scored: _Scored) -> Passage:
    chunk, document = row
    return Passage(
        chunk_id=chunk.id,
        document=document.title,
        source=document.source,
        heading=chunk.heading,
        text=chunk.text,
        score=scored.score,
        match=scored.match,
    )


async def _rows(
    session: AsyncSession, ids: list[int]
) -> dict[int, tuple[KnowledgeChunk, KnowledgeDocument]]:
    if not ids:
        return {}
    statement = (
        select(KnowledgeChunk, KnowledgeDocument)
        .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
        .where(KnowledgeChunk.id.in_(ids))
    )
    return {chunk.id: (chunk, document) for chunk, document in await session.execute(statement)}


async def _keyword(session: AsyncSession, concepts: list[Concept]) -> dict[int, _Scored]:
    """BM25 and match of the passages holding any form of the question's `concepts`.

    A concept counts once however many of its forms (stems, translations) a passage holds:
    its best form's BM25 term score, its heaviest found form's weight in the match."""
    postgres = session.get_bind().dialect.name == "postgresql"
    total = int(
        await session.scalar(
            select(func.count(KnowledgeChunk.id)).join(
                KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id
            )
        )
        or 0
    )
    if total == 0:
        return {}
    every = sorted({form for concept in concepts for form in concept.forms})
    shop = _shop(session)
    frequency = {form: await _document_frequency(session, form, postgres, shop) for form in every}
    found = [form for form in every if frequency[form]]
    if not found:
        return {}
    idf = {form: math.log(1 + (total - df + 0.5) / (df + 0.5)) for form, df in frequency.items()}
    held_weight = {
        concept.word: max((idf[f] for f in concept.forms if frequency[f]), default=0.0)
        for concept in concepts
    }
    # A word no passage holds (slang, a typo, something the shop does not have) weighs as much
    # as the rarest word that is held: it is the most specific thing asked, and a passage
    # holding only the question's generic words ("local", "clientes") must not answer it.
    unknown = max(held_weight.values())
    weight = {word: value or unknown for word, value in held_weight.items()}
    if postgres:
        candidates = text(
            "SELECT c.id, c.terms FROM kb_chunks c " + _OF_THE_SHOP + "AND "
            "to_tsvector('simple'::regconfig, c.terms) @@ to_tsquery('simple'::regconfig, :q) "
            "ORDER BY ts_rank(to_tsvector('simple'::regconfig, c.terms), "
            "to_tsquery('simple'::regconfig, :q)) DESC LIMIT :n"
        )
        query = " | ".join(found)
    else:
        candidates = text(
            "SELECT c.id, c.terms FROM kb_chunks_fts f JOIN kb_chunks c ON c.id = f.rowid "
            + _OF_THE_SHOP
            + "AND kb_chunks_fts MATCH :q ORDER BY bm25(kb_chunks_fts) LIMIT :n"
        )
        query = " OR ".join(f'"{form}"' for form in found)
    rows = (await session.execute(candidates, {"q": query, "n": CANDIDATES, "shop": shop})).all()
    counted = [(int(row[0]), Counter(str(row[1]).split())) for row in rows]
    average = sum(c.total() for _, c in counted) / max(len(counted), 1)
    whole = sum(weight.values())
    scored: dict[int, _Scored] = {}
    for chunk_id, counts in counted:
        norm = _K1 * (1 - _B + _B * counts.total() / average)
        score = 0.0
        held = 0.0
        for concept in concepts:
            best = max(
                (idf[f] * counts[f] * (_K1 + 1) / (counts[f] + norm) for f in concept.forms),
                default=0.0,
            )
            if best:
                score += best
                spelt_only = not any(counts[f] for f in concept.forms - concept.spelt)
                held += weight[concept.word] * (SPELT_SHARE if spelt_only else 1.0)
        scored[chunk_id] = _Scored(score, held / whole)
    return scored


def _shop(session: AsyncSession) -> int:
    """The shop whose passages are searched (the SQL below is not the ORM's: it names it)."""
    shop_id = session_shop_id(session.sync_session)
    return DEFAULT_SHOP_ID if shop_id is None else shop_id


_OF_THE_SHOP = "JOIN kb_documents d ON d.id = c.document_id WHERE d.shop_id = :shop "


async def _document_frequency(session: AsyncSession, term: str, postgres: bool, shop: int) -> int:
    if postgres:
        statement = text(
            "SELECT count(*) FROM kb_chunks c " + _OF_THE_SHOP + "AND "
            "to_tsvector('simple'::regconfig, c.terms) @@ to_tsquery('simple'::regconfig, :q)"
        )
    else:
        statement = text(
            "SELECT count(*) FROM kb_chunks_fts f JOIN kb_chunks c ON c.id = f.rowid "
            + _OF_THE_SHOP
            + "AND kb_chunks_fts MATCH :q"
        )
    query = f'"{term}"' if not postgres else term
    return int(await session.scalar(statement, {"q": query, "shop": shop}) or 0)


async def _nearest(
    session: AsyncSession, query: np.ndarray, model: str, *, limit: int
) -> list[int]:
    """The passages whose vectors (of `model`) are nearest `query`, read in batches."""
    norm = float(np.linalg.norm(query))
    if norm == 0:
        return []
    query = query / norm
    statement = (
        select(KnowledgeChunk.id, KnowledgeChunk.embedding)
        .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
        .where(KnowledgeDocument.embedding_model == model, KnowledgeChunk.embedding.is_not(None))
        .execution_options(yield_per=_VECTOR_BATCH)
    )
    best: list[tuple[float, int]] = []
    result = await session.stream(statement)
    async for rows in result.partitions(_VECTOR_BATCH):
        ids = [int(row[0]) for row in rows]
        matrix = np.stack([np.frombuffer(row[1] or b"", dtype="<f4") for row in rows])
        if matrix.shape[1] != query.shape[0]:
            continue  # vectors of another size: the model was changed without re-adding
        norms = np.linalg.norm(matrix, axis=1)
        similarity = matrix @ query / np.where(norms == 0, 1, norms)
        for chunk_id, value in zip(ids, similarity.tolist(), strict=True):
            heapq.heappush(best, (value, chunk_id))
            if len(best) > limit:
                heapq.heappop(best)
    return [chunk_id for _, chunk_id in sorted(best, reverse=True)]


def _fused(rankings: list[list[int]]) -> list[int]:
    """Reciprocal rank fusion: each ranking gives 1 / (60 + rank) to its passages."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1 / (_RRF_K + rank)
    return sorted(fused, key=fused.__getitem__, reverse=True)
