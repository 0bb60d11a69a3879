"""The console's "Documentos" page for managers: the shop's documents the agent answers from.

Upload a file (PDF, DOCX, HTML, Markdown, CSV, text) or give a page's address; uploading the
same file name (or the same address) again replaces the document; delete removes it with every
passage and vector. Plain forms: each posts and answers with the page and what was done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from agent.errors import InvalidInputError, NotFoundError
from agent.knowledge import documents
from agent.knowledge.embeddings import build_embedder
from agent.knowledge.extract import KINDS
from agent.knowledge.sources import Source, fetch, from_upload, is_url
from agent.llm.errors import LLMError
from console import pages
from console.auth import ConsoleDep, ManagerDep, check_csrf
from console.routes import html
from console.words import staff_text as _

router = APIRouter(prefix="/console/knowledge", include_in_schema=False)
UPLOAD_PATH = "/console/knowledge/upload"
"""Where files are posted: its body may be as large as KB_MAX_BYTES (agent/request_guard.py)."""


async def _page(
    console: ConsoleDep,
    user: ManagerDep,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    async with console.sessions() as session:
        rows = await documents.listing(session)
    page = pages.render_page(
        "knowledge.html",
        title=_("knowledge.page.heading"),
        shop=console.settings.shop_name,
        staff=user.staff,
        csrf=user.csrf_token,
        page="knowledge",
        current="knowledge",
        documents=rows,
        formats=", ".join(sorted(KINDS)),
        notice=notice,
        error=error,
    )
    return html(page, status_code)


@router.get("")
async def knowledge(console: ConsoleDep, user: ManagerDep) -> Response:
    """The documents, newest first, with the forms to add more (managers only)."""
    return await _page(console, user)


async def _add(request: Request, console: ConsoleDep, user: ManagerDep, source: Source) -> Response:
    settings = console.settings
    embedder = build_embedder(settings)
    try:
        info = await documents.add(
            console.sessions,
            source,
            title=str((await request.form()).get("title") or "").strip() or None,
            sizes=documents.Sizes.from_settings(settings),
            embedder=embedder,
        )
    except (InvalidInputError, LLMError) as err:
        return await _page(console, user, error=str(err), status_code=422)
    finally:
        if embedder is not None:
            await embedder.close()
    done = _("knowledge.page.added", title=info.title, passages=info.chunks)
    return await _page(console, user, notice=done)


@router.post("/upload")
async def upload(
    request: Request,
    console: ConsoleDep,
    user: ManagerDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Add (or replace) an uploaded document."""
    await check_csrf(request, user)
    data = await file.read(console.settings.kb_max_bytes + 1)
    if len(data) > console.settings.kb_max_bytes:
        error = _("knowledge.page.too_large", limit=console.settings.kb_max_bytes)
        return await _page(console, user, error=error, status_code=413)
    try:
        source = from_upload(file.filename or "", data)
    except InvalidInputError as err:
        return await _page(console, user, error=str(err), status_code=422)
    return await _add(request, console, user, source)


@router.post("/fetch")
async def fetch_page(
    request: Request,
    console: ConsoleDep,
    user: ManagerDep,
    url: Annotated[str, Form()] = "",
) -> Response:
    """Add (or replace) a web page, fetched now."""
    await check_csrf(request, user)
    if not is_url(url.strip()):
        return await _page(console, user, error=_("knowledge.page.bad_url"), status_code=422)
    settings = console.settings
    try:
        source = await fetch(
            url.strip(), seconds=settings.kb_fetch_timeout, max_bytes=settings.kb_max_bytes
        )
    except InvalidInputError as err:
        return await _page(console, user, error=str(err), status_code=422)
    return await _add(request, console, user, source)


@router.post("/{document_id}/delete")
async def delete(
    request: Request, console: ConsoleDep, user: ManagerDep, document_id: int
) -> Response:
    """Remove a document with every passage and vector of it."""
    await check_csrf(request, user)
    try:
        info = await documents.remove(console.sessions, document_id)
    except NotFoundError as err:
        return await _page(console, user, error=str(err), status_code=404)
    return await _page(console, user, notice=_("knowledge.page.removed", title=info.title))
