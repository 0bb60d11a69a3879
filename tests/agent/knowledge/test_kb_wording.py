"""A question finds its passage in other words than the document's: other forms of the same
word (stems), the other language (the bilingual vocabulary), with its question words and stop
words left out, and the passage whose heading names the subject first; and a question whose
specific thing no document holds is not answered by its generic words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fixtures.kb_documents import MAINTENANCE_TXT, SHIPPING_HTML, WARRANTY_MD
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.knowledge import documents
from agent.knowledge.bilingual import translations
from agent.knowledge.search import KnowledgeBase
from agent.knowledge.sources import from_upload
from agent.knowledge.stemming import language_of, stem, words_of
from agent.knowledge.terms import index_terms, query_concepts
from agent.migrate import upgrade


def _asked(question: str) -> dict[str, frozenset[str]]:
    return {concept.word: concept.forms for concept in query_concepts(question)}


@pytest.mark.parametrize(
    ("written", "asked"),
    [
        ("Devoluciones", "devolver"),
        ("las garantías", "garantia"),
        ("se recargan una vez al año", "recargar"),
        ("Extintores", "extintor"),
        ("refills are free", "refilled"),
        ("The shipping policy", "shipped"),
    ],
)
def test_another_form_of_a_word_finds_the_passage(written: str, asked: str) -> None:
    held = set(index_terms(written))
    [forms] = _asked(asked).values()
    assert held & forms


@pytest.mark.parametrize(
    ("question", "word", "document_words"),
    [
        ("Is the warranty void if it was dropped?", "warranty", "garantía"),
        ("Can I return gloves?", "return", "devolución de los guantes"),
        ("How much is shipping?", "shipping", "el envío"),
        ("Do you send an invoice?", "invoice", "factura electrónica"),
        ("¿tienen cascos?", "cascos", "the helmets"),
        ("¿dan factura?", "factura", "invoice"),
        ("do you give first aid courses?", "first aid", "curso de primeros auxilios"),
    ],
)
def test_a_question_in_one_language_finds_words_of_the_other(
    question: str, word: str, document_words: str
) -> None:
    forms = _asked(question)[word]
    assert set(index_terms(document_words)) & forms


@pytest.mark.parametrize(
    ("question", "word", "document_words"),
    [
        ("cuanto dura la garantai", "garantai", "garantía"),
        ("how do I get a refnud", "refnud", "reembolso"),
        ("se puede devolber?", "devolber", "devolución"),
    ],
)
def test_a_misspelt_word_is_searched_as_the_word_it_misspells(
    question: str, word: str, document_words: str
) -> None:
    assert set(index_terms(document_words)) & _asked(question)[word]


def test_question_words_and_stop_words_are_not_searched() -> None:
    asked = _asked("¿Cuánto tiempo de garantía tiene el casco? What is the price?")
    assert set(asked) == {"tiempo", "garantia", "casco", "price"}


def test_a_phrase_is_one_thing_asked_and_a_lone_word_stays_itself() -> None:
    assert list(_asked("How often should I replace the hard hat?")) == [
        "how often",
        "hard hat",
        "replace",
    ]
    # `vida` of `línea de vida` (a lifeline) is not what "harness" means on its own.
    assert stem("vida", "es") not in translations("harness", "en")
    assert stem("vida", "es") in translations("linea de vida", "es")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is the warranty of the helmets?", "en"),
        ("¿Cuál es la garantía de los cascos?", "es"),
        ("garantia casco", "es"),
    ],
)
def test_the_language_is_read_from_function_words(text: str, language: str) -> None:
    assert language_of(words_of(text)) == language


def test_the_heading_counts_more_than_the_body() -> None:
    terms = index_terms("Se cambian gratis.", title="Garantía", heading="Garantía › Cascos")
    assert terms.count(stem("cascos", "es")) == 2
    assert terms.count(stem("garantia", "es")) == 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of either kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url


@pytest.fixture
async def shop(shop_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The database holding the shop's warranty, maintenance and shipping pages."""
    engine = create_engine(shop_url)
    sessions = create_sessionmaker(engine)
    for name, content in (
        ("garantia.md", WARRANTY_MD.encode()),
        ("mantenimiento.txt", MAINTENANCE_TXT.encode()),
        ("envios.html", SHIPPING_HTML),
    ):
        await documents.add(sessions, from_upload(name, content))
    yield sessions
    await engine.dispose()


@pytest.mark.parametrize(
    ("question", "heading", "holds"),
    [
        ("How long is the warranty on hard hats?", "Cascos", "garantía de 6 meses"),
        ("Is a refill by someone else covered?", "Extintores", "recargas hechas por terceros"),
        ("how often do extinguishers need refilling", "Recarga", "una vez al año"),
        ("Do you ship extinguishers by plane?", "Transportadoras", "nunca por avión"),
        ("¿las garantías de los cascos cuánto duran?", "Cascos", "garantía de 6 meses"),
        ("¿me cambian la suspensión del casco?", "Cascos", "se cambia sin costo"),
    ],
)
async def test_the_passage_that_answers_is_found_in_other_words(
    shop: async_sessionmaker[AsyncSession], question: str, heading: str, holds: str
) -> None:
    base = KnowledgeBase(shop)
    [best, *_] = await base.search(question)
    assert best.heading.endswith(heading)
    assert holds in best.text
    assert base.answers(best)


async def test_a_question_about_something_else_is_not_answered(
    shop: async_sessionmaker[AsyncSession],
) -> None:
    base = KnowledgeBase(shop)
    async with shop() as session:
        assert await base.answer_in(session, "Do you rent scaffolding for events?") is None


@pytest.mark.parametrize(
    ("question", "heading", "holds"),
    [
        ("Do you deliver extinguishers by air to Medellín?", "Transportadoras", "nunca por avión"),
        ("¿cada cuanto hay que recargar los extintores de polvo?", "Recarga", "una vez al año"),
        ("Is a refill by someone else covered?", "Extintores", "recargas hechas por terceros"),
    ],
)
async def test_a_question_worded_unlike_the_document_is_answered(
    shop: async_sessionmaker[AsyncSession], question: str, heading: str, holds: str
) -> None:
    base = KnowledgeBase(shop)
    async with shop() as session:
        answer = await base.answer_in(session, question)
    assert answer is not None and answer.heading.endswith(heading)
    assert holds in answer.text


@pytest.mark.parametrize(
    "question",
    [
        # The passage on helmets' warranty holds "cascos" and "garantía", but the chin strap
        # asked about is in no document: the generic words alone must not answer.
        "¿los cascos con garantía vienen con barbuquejo?",
        "¿los cascos traen linterna?",
        "Do you have parking for customers at the shop?",
    ],
)
async def test_the_generic_words_of_a_question_about_something_else_do_not_answer_it(
    shop: async_sessionmaker[AsyncSession], question: str
) -> None:
    base = KnowledgeBase(shop)
    async with shop() as session:
        assert await base.answer_in(session, question) is None


async def test_a_word_found_only_by_its_spelling_counts_half(
    shop: async_sessionmaker[AsyncSession],
) -> None:
    base = KnowledgeBase(shop)
    [spelt_right, *_] = await base.search("¿la garantía de los cascos?")
    [misspelt, *_] = await base.search("¿la garantai de los cascos?")
    assert spelt_right.chunk_id == misspelt.chunk_id
    assert spelt_right.match == 1.0
    assert 0.5 < misspelt.match < 1.0
    assert base.answers(misspelt)
    assert _asked("la garantai")["garantai"] and query_concepts("garantai")[0].spelt
    assert not query_concepts("garantía")[0].spelt
