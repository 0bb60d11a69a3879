"""Customers' questions answered from the shop's documents in a conversation: the passage
quoted with its document's name offline, phrased by a model under the grounding guard, and
"No sé" when nothing the shop wrote answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from conftest import Chat
from fixtures.kb_documents import MAINTENANCE_TXT, WARRANTY_MD
from fixtures.llm_servers import ScriptedServer, gemini_stream
from fixtures.llm_setup import gemini_settings

from agent.knowledge import documents
from agent.knowledge.sources import from_upload
from agent.settings import Settings
from salesagent.runtime import Runtime

NO_SE = "No sé. No encuentro eso en la información de la tienda"


async def _with_documents(runtime: Runtime) -> None:
    for name, text in (("garantia.md", WARRANTY_MD), ("mantenimiento.txt", MAINTENANCE_TXT)):
        await documents.add(runtime.sessions, from_upload(name, text.encode()))


async def test_a_warranty_question_quotes_the_passage_and_names_the_document(
    runtime: Runtime, chat: Chat
) -> None:
    await _with_documents(runtime)
    result = await chat.say("¿Cuántos meses de garantía tienen los cascos?")
    assert result.reply == (
        "Esto dice *Política de garantía › Cascos*:\n\n"
        "Los cascos tienen garantía de 6 meses; la suspensión se cambia sin costo el primer mes."
    )


async def test_a_question_to_know_about_a_product_is_answered_from_the_manual(
    runtime: Runtime, chat: Chat
) -> None:
    await _with_documents(runtime)
    result = await chat.say("¿Cada cuánto se recarga un extintor?")
    assert result.reply is not None
    assert result.reply.startswith("Esto dice *Mantenimiento de extintores › 1. Recarga*:")
    assert "se recargan una vez al año, o después de cada uso" in result.reply
    price = await chat.say("¿cuánto vale la recarga de un extintor de 10 lb?")
    assert price.reply is not None and "Esto dice" not in price.reply  # prices: the catalog's


async def test_what_no_document_says_is_not_known(runtime: Runtime, chat: Chat) -> None:
    await _with_documents(runtime)
    result = await chat.say("¿la empresa tiene certificación ISO?")
    assert result.reply is not None and result.reply.startswith(NO_SE)
    english = await Chat(runtime, "en-customer").say("Does the company have ISO certification?")
    assert english.reply is not None
    assert english.reply.startswith("I don't know. I can't find that in the shop's information")


async def test_without_documents_the_company_file_answers_as_before(
    runtime: Runtime, chat: Chat
) -> None:
    result = await chat.say("¿la empresa tiene certificación ISO?")
    assert result.reply is not None and result.reply.startswith(
        "*Extintores y Seguridad Industrial del Risaralda*"
    )
    warranty = await chat.say("¿Cuántos meses de garantía tienen los cascos?")
    assert warranty.reply is not None and "Esto dice" not in warranty.reply
    about = await Chat(runtime, "other").say("quienes son ustedes")
    assert about.reply is not None and "Somos una empresa de Pereira" in about.reply


@pytest.fixture
async def phrased(demo_settings: Settings, server: ScriptedServer) -> AsyncIterator[Runtime]:
    """The demo shop with Gemini phrasing every reply, and the shop's documents."""
    settings = gemini_settings(demo_settings, server, llm_phrasing="always")
    runtime = await Runtime.start(settings, migrate=False)
    await _with_documents(runtime)
    yield runtime
    await runtime.close()


async def test_a_model_phrases_the_passage_with_its_numbers(
    phrased: Runtime, server: ScriptedServer
) -> None:
    said = "Según nuestra política de garantía, los cascos tienen 6 meses de garantía."
    server.script("stream", gemini_stream([said[:30], said[30:]]))
    result = await Chat(phrased, "phrased").say("¿Cuántos meses de garantía tienen los cascos?")
    assert result.reply == said
    [call] = server.calls("gemini-stream")
    assert "Los cascos tienen garantía de 6 meses" in call.text  # the passage is in the facts


async def test_a_number_the_passage_does_not_hold_keeps_the_quote(
    phrased: Runtime, server: ScriptedServer
) -> None:
    server.script("stream", gemini_stream(["Los cascos tienen ", "18 meses de garantía."]))
    result = await Chat(phrased, "guarded").say("¿Cuántos meses de garantía tienen los cascos?")
    assert result.reply is not None
    assert result.reply.startswith("Esto dice *Política de garantía › Cascos*:")
    assert "18" not in result.reply
