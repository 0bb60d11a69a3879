"""The console's proposals: the managers' desk (`/console/proposals`) and the panel of one
conversation, live; a manager approves (editing the value when needed) or rejects with a reason.

Everybody on the staff sees them; only managers decide (403 for an agent). Every action checks
the CSRF token; the script asks for JSON, a plain form gets a redirect back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from agent.errors import ConflictError, InvalidInputError, NotFoundError
from agent.words import N_, STAFF_LANGUAGE, Labels
from console import pages
from console.auth import ConsoleDep, ManagerDep, StaffDep, StaffUser, check_csrf
from console.proposal_desk import ProposalDesk
from console.proposal_pages import fragment
from console.routes import html
from console.words import staff_text as _

router = APIRouter(prefix="/console/proposals", include_in_schema=False)

NOTICES = Labels(
    STAFF_LANGUAGE,
    {"approved": N_("proposals.notice.approved"), "rejected": N_("proposals.notice.rejected")},
)


@router.get("")
async def desk(console: ConsoleDep, user: StaffDep, aviso: str | None = None) -> HTMLResponse:
    """Every pending proposal, then the newest decided ones."""
    rows = await ProposalDesk(console).rows()
    page = pages.render_page(
        "proposals.html",
        title=_("proposals.page.title"),
        shop=console.settings.shop_name,
        staff=user.staff,
        csrf=user.csrf_token,
        page="proposals",
        current="proposals",
        scripts=("proposals.js",),
        notice=NOTICES.get(aviso or "", ""),
        fragment=fragment(rows, user, conversation_id=None),
    )
    return html(page)


@router.get("/fragment")
async def desk_fragment(
    console: ConsoleDep,
    user: StaffDep,
    conversation: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The table alone: the desk's, or one conversation's (`?conversation=`)."""
    rows = await ProposalDesk(console).rows(conversation_id=conversation)
    return html(fragment(rows, user, conversation_id=conversation))


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _back(form: FormData) -> str:
    chosen = _field(form, "back")
    return f"/console/conversations/{int(chosen)}" if chosen.isdigit() else "/console/proposals"


async def _decide(
    request: Request, user: StaffUser, done: str, decide: Callable[[FormData], Awaitable[None]]
) -> Response:
    await check_csrf(request, user)
    form = await request.form()
    scripted = "application/json" in request.headers.get("accept", "")
    try:
        await decide(form)
    except (InvalidInputError, ConflictError, NotFoundError) as err:
        status = 404 if isinstance(err, NotFoundError) else 409
        status = 422 if isinstance(err, InvalidInputError) else status
        if scripted:
            return JSONResponse({"detail": str(err)}, status_code=status)
        return html(pages.refused_page(message=str(err), back=_back(form)), status)
    if scripted:
        return JSONResponse({"ok": True, "notice": NOTICES[done]})
    return RedirectResponse(f"{_back(form)}?aviso={done}", status_code=303)


@router.post("/{proposal_id}/approve")
async def approve(
    request: Request, proposal_id: int, console: ConsoleDep, user: ManagerDep
) -> Response:
    """Approve as proposed, or with the manager's value (an edited discount); applied at once."""

    async def decide(form: FormData) -> None:
        await ProposalDesk(console).approve(
            user.staff,
            proposal_id,
            value=_field(form, "value").strip() or None,
            note=_field(form, "note").strip() or None,
        )

    return await _decide(request, user, "approved", decide)


@router.post("/{proposal_id}/reject")
async def reject(
    request: Request, proposal_id: int, console: ConsoleDep, user: ManagerDep
) -> Response:
    """Reject with a reason the customer reads; nothing changes."""

    async def decide(form: FormData) -> None:
        await ProposalDesk(console).reject(user.staff, proposal_id, reason=_field(form, "reason"))

    return await _decide(request, user, "rejected", decide)
