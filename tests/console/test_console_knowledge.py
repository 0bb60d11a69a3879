"""The console's Documentos page over real HTTP: managers upload, fetch, list and delete the
shop's documents, and customers are answered from them at once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fixtures.console_login import add_staff, csrf_of, log_in
from fixtures.kb_documents import SHIPPING_HTML, WARRANTY_MD, serving
from fixtures.live_server import LiveServer
from fixtures.live_server import serving as live_serving
from fixtures.llm_setup import configured

from agent.models import StaffRole
from agent.settings import Settings


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with live_serving(configured(demo_settings, kb_max_bytes=4000)) as running:
        yield running


@pytest.fixture
async def manager(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A manager logged in to the console."""
    await add_staff(live.runtime, "marta", StaffRole.MANAGER)
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        await log_in(client, "marta")
        yield client


async def _upload(
    client: httpx.AsyncClient, name: str, data: bytes, **fields: str
) -> httpx.Response:
    token = await csrf_of(client, "/console/knowledge")
    return await client.post(
        "/console/knowledge/upload",
        data={"csrf_token": token, **fields},
        files={"file": (name, data, "application/octet-stream")},
    )


async def _customer_asks(live: LiveServer, text: str) -> str:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        answer = await http.post("/chat/text", json={"chat_id": "kb-customer", "message": text})
    answer.raise_for_status()
    reply: str = answer.json()["reply"]
    return reply


async def test_a_manager_uploads_replaces_and_deletes_a_document(
    live: LiveServer, manager: httpx.AsyncClient
) -> None:
    page = await manager.get("/console/knowledge")
    assert page.status_code == 200 and "Todavía no hay documentos." in page.text

    added = await _upload(manager, "garantia.md", WARRANTY_MD.encode())
    assert added.status_code == 200
    assert "«Política de garantía» quedó en la base de conocimiento: 3 pasajes." in added.text
    assert "<td>garantia.md</td>" in added.text
    reply = await _customer_asks(live, "¿Cuántos meses de garantía tienen los cascos?")
    assert reply.startswith("Esto dice *Política de garantía › Cascos*:") and "6 meses" in reply

    newer = WARRANTY_MD.replace("6 meses", "9 meses").encode()
    replaced = await _upload(manager, "garantia.md", newer, title="Garantías 2026")
    assert "«Garantías 2026» quedó en la base de conocimiento: 3 pasajes." in replaced.text
    assert replaced.text.count("<td>garantia.md</td>") == 1
    reply = await _customer_asks(live, "¿Cuántos meses de garantía tienen los cascos?")
    assert "9 meses" in reply and "6 meses" not in reply and "*Garantías 2026 › " in reply

    listed = await manager.get("/console/knowledge")
    [document_id] = re.findall(r'action="/console/knowledge/(\d+)/delete"', listed.text)
    token = await csrf_of(manager, "/console/knowledge")
    deleted = await manager.post(
        f"/console/knowledge/{document_id}/delete", data={"csrf_token": token}
    )
    assert deleted.status_code == 200
    assert "«Garantías 2026» se eliminó con todos sus pasajes." in deleted.text
    assert "Todavía no hay documentos." in deleted.text
    reply = await _customer_asks(live, "¿Cuántos meses de garantía tienen los cascos?")
    assert "Esto dice" not in reply  # the company file answers again


async def test_a_manager_adds_a_page_by_its_address(
    live: LiveServer, manager: httpx.AsyncClient
) -> None:
    with serving({"/envios": ("text/html; charset=utf-8", SHIPPING_HTML)}) as pages:
        token = await csrf_of(manager, "/console/knowledge")
        added = await manager.post(
            "/console/knowledge/fetch", data={"csrf_token": token, "url": pages.url("/envios")}
        )
        missing = await manager.post(
            "/console/knowledge/fetch", data={"csrf_token": token, "url": pages.url("/nada")}
        )
    assert "«Envíos y entregas» quedó en la base de conocimiento: 2 pasajes." in added.text
    assert missing.status_code == 422 and "the server answered 404" in missing.text
    bad = await manager.post("/console/knowledge/fetch", data={"csrf_token": token, "url": "x"})
    assert bad.status_code == 422 and "Escribe la dirección completa" in bad.text


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("fotos.zip", b"PK", 422, "not a format the knowledge base reads"),
        ("grande.md", b"# Grande\n\n" + b"palabra " * 600, 413, "pasa del límite de 4000 bytes"),
        ("roto.pdf", b"%PDF-1.4 roto", 422, "not a readable PDF"),
    ],
)
async def test_a_file_that_cannot_be_used_is_refused_and_said_why(
    manager: httpx.AsyncClient, name: str, data: bytes, status: int, message: str
) -> None:
    refused = await _upload(manager, name, data)
    assert refused.status_code == status
    assert message in refused.text
    assert "Todavía no hay documentos." in refused.text


async def test_agents_and_forged_requests_are_refused(
    live: LiveServer, manager: httpx.AsyncClient
) -> None:
    forged = await manager.post(
        "/console/knowledge/upload",
        files={"file": ("garantia.md", WARRANTY_MD.encode(), "text/markdown")},
    )
    assert forged.status_code == 403
    await add_staff(live.runtime, "ana")
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as agent:
        await log_in(agent, "ana")
        assert (await agent.get("/console/knowledge")).status_code == 403
    page = await manager.get("/console/knowledge")
    assert "Todavía no hay documentos." in page.text
