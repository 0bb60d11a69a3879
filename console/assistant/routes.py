"""The assistant's page in the console and its JSON endpoint (`POST /console/assistant/ask`).

Any staff member asks; questions about revenue (sales, top products) are for managers, as the
dashboard is. Any staff member may propose a restock, only a manager a price change, and only a
manager approves either (/console/proposals). The endpoint checks the session's CSRF token as
every console action does, and only it proposes (a page load never does). The page's script
(static/assistant.js) writes the table and draws the chart with the vendored Chart.js, under
the console's CSP.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from agent.catalog.search import ProductIndex
from agent.errors import InvalidInputError
from agent.models import StaffRole
from agent.provided import IndexDep
from agent.words import STAFF_LANGUAGE
from console import pages, queries
from console.assistant.answering import (
    MAX_QUESTION,
    answer,
    examples,
    needs_manager,
    read_question,
)
from console.assistant.proposing import not_sent, propose
from console.auth import ConsoleDep, ManagersOnly, StaffDep, StaffUser, check_csrf
from console.routes import html
from console.service import StaffConsole
from console.words import staff_text as _

router = APIRouter(prefix="/console/assistant", include_in_schema=False)

SCRIPTS = ("vendor/chart.umd.min.js", "assistant.js")


async def _replied(
    console: StaffConsole, user: StaffUser, index: ProductIndex, question: str, *, sent: bool
) -> dict[str, Any]:
    """The reply to `question` as JSON; InvalidInputError for an empty or long question,
    ManagersOnly for an agent's revenue question or price change. A request proposes only when
    `sent` (a POST with its CSRF token): a page load never changes anything."""
    question = question.strip()
    if not question or len(question) > MAX_QUESTION:
        raise InvalidInputError(_("assistant.error.question", max=MAX_QUESTION), field="question")
    settings = console.settings
    async with console.sessions() as session:  # the reading finds products through the search
        await index.ensure_fresh(session)
    reply = await read_question(
        question,
        index=index,
        llm=console.llm,
        shop=settings.shop_name,
        budget=settings.llm_understanding_timeout,
    )
    manager = user.staff.role == StaffRole.MANAGER
    if needs_manager(reply) and not manager:
        raise ManagersOnly()
    if reply.request is not None:
        found = (
            await propose(
                reply.request,
                question=question,
                staff=user.staff,
                sessions=console.sessions,
                index=index,
                settings=settings,
            )
            if sent
            else not_sent(reply.request)
        )
        reply = replace(reply, answer=found)
    elif reply.ask is not None:
        found = await answer(
            reply.ask,
            sessions=console.sessions,
            index=index,
            settings=settings,
            language=reply.language,
        )
        reply = replace(reply, answer=found)
    return reply.as_json(settings, manager=manager)


@router.get("")
async def assistant_page(
    console: ConsoleDep, user: StaffDep, index: IndexDep, q: str | None = None
) -> HTMLResponse:
    """The assistant: a question box, examples, and the answer to `q` when there is one (the
    page's script asks through `/ask` instead, and draws the chart)."""
    replied: dict[str, Any] | None = None
    error = None
    status_code = 200
    if q is not None:
        try:
            replied = await _replied(console, user, index, q, sent=False)
        except InvalidInputError as err:
            error, status_code = str(err), 422
        except ManagersOnly:
            error, status_code = _("console.error.managers_only"), 403
    async with console.sessions() as session:
        waiting = (await queries.counts(session))["waiting_human"]
    manager = user.staff.role == StaffRole.MANAGER
    page = pages.render_page(
        "assistant.html",
        title=_("assistant.page.title"),
        shop=console.settings.shop_name,
        staff=user.staff,
        csrf=user.csrf_token,
        page="assistant",
        current="assistant",
        waiting=waiting,
        scripts=SCRIPTS,
        examples=examples(STAFF_LANGUAGE, manager=manager),
        max_question=MAX_QUESTION,
        question=q or "",
        replied=replied,
        error=error,
    )
    return html(page, status_code)


@router.post("/ask")
async def ask(
    request: Request, console: ConsoleDep, user: StaffDep, index: IndexDep
) -> JSONResponse:
    """A question in, the query it was read as and its answer out (JSON)."""
    await check_csrf(request, user)
    form = await request.form()
    question = str(form.get("question") or "")
    replied = await _replied(console, user, index, question, sent=True)
    return JSONResponse(replied, headers={"cache-control": "no-store"})
