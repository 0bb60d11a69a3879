"""The console's "Informes" page for managers: ask for a report, follow it, download it.

The page lists the newest export jobs; its script (static/exports.js) posts the form with the
session's CSRF token, then polls each unfinished job's JSON until a "Descargar" link appears.
Without the script the form still works: it posts and comes back to the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from agent.errors import InvalidInputError
from agent.leads.labels import STATUSES as LEAD_STATUSES
from agent.models import ExportJob, ExportStatus, Staff
from agent.words import N_, STAFF_LANGUAGE, Labels
from console import pages, queries
from console.auth import ConsoleDep, ReportReaderDep, check_csrf
from console.routes import html
from console.words import EXPORT_STATUSES
from exports.filters import ExportFilters
from exports.jobs import ExportJobs
from exports.queries import OUTCOMES
from exports.reports import REPORT_KINDS
from exports.routes import describe, export_jobs

router = APIRouter(prefix="/console/exports", include_in_schema=False)

BUTTONS = Labels(
    STAFF_LANGUAGE,
    {
        "sales": N_("exports.button.sales"),
        "inventory": N_("exports.button.inventory"),
        "customers": N_("exports.button.customers"),
        "conversations": N_("exports.button.conversations"),
        "messages": N_("exports.button.messages"),
        "leads": N_("exports.button.leads"),
        "full": N_("exports.button.full"),
    },
)
KINDS = Labels(
    STAFF_LANGUAGE,
    {
        "sales": N_("exports.kind.sales"),
        "inventory": N_("exports.kind.inventory"),
        "customers": N_("exports.kind.customers"),
        "conversations": N_("exports.kind.conversations"),
        "messages": N_("exports.kind.messages"),
        "leads": N_("exports.kind.leads"),
        "full": N_("exports.kind.full"),
    },
)
ORDER_STATES = Labels(
    STAFF_LANGUAGE,
    {
        "confirmed": N_("exports.order_state.confirmed"),
        "delivered": N_("exports.order_state.delivered"),
        "cancelled": N_("exports.order_state.cancelled"),
        "refunded": N_("exports.order_state.refunded"),
        "partially_refunded": N_("exports.order_state.partially_refunded"),
    },
)
OUTCOME_LABELS = Labels(
    STAFF_LANGUAGE,
    {
        "ordered": N_("exports.outcome.ordered"),
        "cancelled": N_("exports.outcome.cancelled"),
        "abandoned_cart": N_("exports.outcome.abandoned_cart"),
        "open_cart": N_("exports.outcome.open_cart"),
        "no_cart": N_("exports.outcome.no_cart"),
    },
)
RECENT = 20


def size_label(size: int | None) -> str:
    """`830 B`, `12,4 kB`, `3,1 MB` (Spanish decimal comma)."""
    if size is None:
        return ""
    value, unit = float(size), "B"
    for bigger in ("kB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    text = f"{value:.0f}" if unit == "B" else f"{value:.1f}".replace(".", ",")
    return f"{text} {unit}"


def _job_row(job: ExportJob, link: str | None) -> Markup:
    status = EXPORT_STATUSES[job.status]
    if job.status == ExportStatus.FAILED and job.error:
        status += f": {job.error}"
    return pages.TEMPLATES.render(
        "export_row.html",
        job=job,
        kind=KINDS.get(job.kind, job.kind),
        filters=_filters_label(job.filters),
        who=job.requested_by.split(":", 1)[-1],
        status=status,
        size=size_label(job.bytes),
        link=link,
    )


def _filters_label(filters: dict[str, str]) -> str:
    parts = []
    if filters.get("from") or filters.get("to"):
        parts.append(f"{filters.get('from', '…')} a {filters.get('to', '…')}")
    if filters.get("channel"):
        parts.append(pages.channel_label(filters["channel"]))
    if filters.get("state"):
        state = filters["state"]
        lead = next((LEAD_STATUSES[s] for s in LEAD_STATUSES if s.value == state), None)
        parts.append(ORDER_STATES.get(state) or OUTCOME_LABELS.get(state) or lead or state)
    return " · ".join(parts) or "Todo"


def exports_page(
    *,
    shop: str,
    staff: Staff,
    csrf: str,
    channels: list[str],
    rows: Markup,
    link_minutes: int,
    error: str | None = None,
) -> Markup:
    """The Informes page: the form with a button per report, and the newest jobs."""
    return pages.render_page(
        "exports.html",
        title="Informes",
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="exports",
        current="exports",
        scripts=("exports.js",),
        channels=channels,
        order_states=ORDER_STATES,
        outcomes=OUTCOMES,
        outcome_labels=OUTCOME_LABELS,
        lead_states=LEAD_STATUSES,
        kinds=sorted(REPORT_KINDS, key=lambda kind: kind != "sales"),
        buttons=BUTTONS,
        rows=rows,
        link_minutes=link_minutes,
        error=error,
    )


async def _page(
    request: Request,
    console: ConsoleDep,
    user: ReportReaderDep,
    jobs: ExportJobs,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    async with console.sessions() as session:
        channels = list(await queries.channels_in_use(session))
    rows = []
    for job in await jobs.recent(RECENT):
        link = await jobs.link(job)
        rows.append(_job_row(job, link.url if link else None))
    page = exports_page(
        shop=console.settings.shop_name,
        staff=user.staff,
        csrf=user.csrf_token,
        channels=channels,
        rows=Markup().join(rows),
        link_minutes=jobs.settings.export_link_seconds // 60,
        error=error,
    )
    return html(page, status_code)


@router.get("")
async def exports(request: Request, console: ConsoleDep, user: ReportReaderDep) -> Response:
    """The Informes page (managers only)."""
    return await _page(request, console, user, export_jobs(request))


def _filters(form: FormData) -> ExportFilters:
    values = {
        name: str(form.get(name) or "").strip() for name in ("from", "to", "channel", "state")
    }
    return ExportFilters.from_json({k: v for k, v in values.items() if v})


@router.post("")
async def start(
    request: Request,
    console: ConsoleDep,
    user: ReportReaderDep,
    kind: Annotated[str, Form()] = "",
) -> Response:
    """Ask for a report: JSON (202) for the script, back to the page for a plain form."""
    await check_csrf(request, user)
    jobs = export_jobs(request)
    scripted = "application/json" in request.headers.get("accept", "")
    try:
        job = await jobs.start(
            kind, _filters(await request.form()), requested_by=f"staff:{user.staff.username}"
        )
    except InvalidInputError as err:
        if scripted:
            body = {"detail": str(err), "errors": [{"field": err.field, "message": str(err)}]}
            return JSONResponse(body, status_code=422)
        return await _page(request, console, user, jobs, error=str(err), status_code=422)
    if scripted:
        described = await describe(request, jobs, job)
        return JSONResponse(
            {**described.model_dump(mode="json"), "row": _job_row(job, None)}, status_code=202
        )
    return RedirectResponse("/console/exports", status_code=303)


@router.get("/jobs/{job_id}")
async def job_status(request: Request, user: ReportReaderDep, job_id: str) -> JSONResponse:
    """One job as JSON (the script polls it until it is done or failed)."""
    jobs = export_jobs(request)
    described = await describe(request, jobs, await jobs.get(job_id))
    return JSONResponse(described.model_dump(mode="json"), headers={"cache-control": "no-store"})
