"""The leads page of the console (`/console/leads`): the list with its filters, assign, and
mark won or lost with the reason (README "Leads"). Agents and managers both see it; what each
may do is the lead actions' rule (agent/leads/staff_actions.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from agent.db import transaction
from agent.errors import InvalidInputError
from agent.handoff import NotAllowed
from agent.leads import staff_actions
from agent.leads.changes import told
from agent.leads.labels import KINDS, MISSING, STATUSES
from agent.models import Lead, LeadKind, StaffRole
from agent.words import N_, STAFF_LANGUAGE, Labels
from console import lead_queries, pages, queries
from console.auth import ConsoleDep, StaffDep, StaffUser, check_csrf
from console.routes import html
from console.service import StaffConsole
from console.words import staff_text as _

router = APIRouter(prefix="/console/leads", include_in_schema=False)

STATE_LABELS = Labels(
    STAFF_LANGUAGE,
    {
        "active": N_("leads.filter.active"),
        "open": N_("leads.status.open"),
        "assigned": N_("leads.status.assigned"),
        "won": N_("leads.status.won"),
        "lost": N_("leads.status.lost"),
        "mine": N_("leads.filter.mine"),
        "all": N_("leads.filter.all"),
    },
)
NOTICES = Labels(
    STAFF_LANGUAGE,
    {"assigned": N_("leads.notice.assigned"), "closed": N_("leads.notice.closed")},
)


def _filter(estado: str | None, tipo: str | None, canal: str | None) -> lead_queries.LeadFilter:
    kinds = {kind.value: kind for kind in LeadKind}
    return lead_queries.LeadFilter(
        state=estado if estado in lead_queries.STATES else "active",
        kind=kinds.get(tipo or ""),
        channel=canal or None,
    )


async def _table(
    console: StaffConsole, user: StaffUser, flt: lead_queries.LeadFilter
) -> dict[str, Any]:
    """What the leads' table shows (leads_table.html), for the page and the script alike."""
    async with console.sessions() as session:
        rows, total = await lead_queries.list_leads(session, flt, staff_id=user.staff.id)
        people = await queries.active_staff(session)
    chosen = {"estado": flt.state, "tipo": flt.kind.value if flt.kind else "", "canal": flt.channel}
    query = urlencode({name: value for name, value in chosen.items() if value})
    return {
        "rows": rows,
        "total": total,
        "people": people,
        "staff": user.staff,
        "csrf": user.csrf_token,
        "manager": user.staff.role == StaffRole.MANAGER,
        "kinds": KINDS,
        "statuses": STATUSES,
        "missing_labels": MISSING,
        "query": query,
        "back": "/console/leads" + (f"?{query}" if query else ""),
        "zone": console.policy.timezone,
    }


@router.get("")
async def leads_page(
    console: ConsoleDep,
    user: StaffDep,
    estado: str | None = None,
    tipo: str | None = None,
    canal: str | None = None,
    aviso: str | None = None,
) -> Response:
    """The leads, active first and by priority, with the forms to assign and close them."""
    flt = _filter(estado, tipo, canal)
    table = await _table(console, user, flt)
    async with console.sessions() as session:
        channels = await lead_queries.lead_channels(session)
        waiting = (await queries.counts(session))["waiting_human"]
    page = pages.render_page(
        "leads.html",
        title=_("leads.heading"),
        shop=console.settings.shop_name,
        page="leads",
        current="leads",
        waiting=waiting,
        flt=flt,
        channels=channels,
        states=lead_queries.STATES,
        state_labels=STATE_LABELS,
        notice=NOTICES.get(aviso or "", ""),
        **table,
    )
    return html(page)


@router.get("/table")
async def leads_table(
    console: ConsoleDep,
    user: StaffDep,
    estado: str | None = None,
    tipo: str | None = None,
    canal: str | None = None,
) -> Response:
    """The leads' table alone (the script refreshes it when the feed says something moved)."""
    table = await _table(console, user, _filter(estado, tipo, canal))
    return html(pages.TEMPLATES.render("leads_table.html", **table))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _back(form: FormData) -> str:
    """Where a plain form returns: the leads page with its filters, nowhere else."""
    back = _text(form, "back")
    return back if back.startswith("/console/leads") and "//" not in back else "/console/leads"


async def _act(
    request: Request,
    console: ConsoleDep,
    user: StaffUser,
    done: str,
    action: Callable[[AsyncSession, FormData], Awaitable[Lead]],
) -> Response:
    """Run a lead action on the posted form (told to every open console once committed): JSON
    for a script, a redirect back for a form."""
    await check_csrf(request, user)
    form = await request.form()
    scripted = "application/json" in request.headers.get("accept", "")
    try:
        async with transaction(console.sessions) as session:
            change = told(await action(session, form))
    except NotAllowed as err:
        return JSONResponse({"detail": str(err), "code": "not_allowed"}, status_code=403)
    except InvalidInputError as err:
        invalid = {"detail": str(err), "code": "invalid", "field": err.field}
        if scripted:
            return JSONResponse(invalid, status_code=422)
        return html(pages.refused_page(message=str(err), back=_back(form)), 422)
    await console.on_lead(change)
    if scripted:
        return JSONResponse({"ok": True, "notice": NOTICES[done]})
    back = _back(form)
    return RedirectResponse(f"{back}{'&' if '?' in back else '?'}aviso={done}", status_code=303)


@router.post("/{lead_id}/assign")
async def assign(request: Request, lead_id: int, console: ConsoleDep, user: StaffDep) -> Response:
    """Give the lead to a staff member (an agent takes it for themself)."""

    async def action(session: AsyncSession, form: FormData) -> Lead:
        chosen = _text(form, "staff_id")
        if not chosen.isdigit():
            raise InvalidInputError(_("console.error.choose_staff"), field="staff_id")
        return await staff_actions.assign(session, lead_id, user.staff, int(chosen))

    return await _act(request, console, user, "assigned", action)


@router.post("/{lead_id}/close")
async def close(request: Request, lead_id: int, console: ConsoleDep, user: StaffDep) -> Response:
    """Mark the lead won or lost, with the reason."""

    async def action(session: AsyncSession, form: FormData) -> Lead:
        result = _text(form, "result")
        if result not in ("won", "lost"):
            raise InvalidInputError(_("leads.error.result"), field="result")
        reason = _text(form, "reason")
        return await staff_actions.close(
            session, lead_id, user.staff, won=result == "won", reason=reason
        )

    return await _act(request, console, user, "closed", action)
