"""REST: start an export (`GET /exports/{kind}`) and follow it (`GET /exports/jobs/{id}`).

Managers only: an API key, or a manager logged in to the staff console. Starting answers 202
with the job's id at once; the file is written in the background, and the job's status gives a
fresh expiring download link once it is done.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from agent.models import ExportJob, ExportStatus
from agent.provided import Provided, SessionDep
from exports.filters import ExportFilters
from exports.jobs import ExportJobs
from shop_api.managers import ManagerOrKeyDep

router = APIRouter(prefix="/exports", tags=["exports"])

TAG = {
    "name": "exports",
    "description": "CSV reports for managers, written in the background to the file store, "
    "downloaded through expiring links.",
}


class ExportStarted(BaseModel):
    """An export that was asked for: follow it at `status_url`."""

    job_id: str
    status: ExportStatus
    status_url: str


class ExportJobOut(BaseModel):
    """An export job: where it is, what it wrote, and a fresh download link once done."""

    id: str
    kind: str
    filters: dict[str, str]
    status: ExportStatus
    rows: int | None
    bytes: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    download_url: str | None
    """Works without credentials until `expires_at`; ask for the job again for a new one."""
    expires_at: datetime | None


EXPORTS = Provided("exports", ExportJobs)
"""Report jobs: started by the API, the console or the schedule, run in the background."""


def export_jobs(request: Request) -> ExportJobs:
    """The product's export jobs."""
    return EXPORTS.get(request)


def absolute(request: Request, url: str) -> str:
    """A link of the local store (a path on this service) made absolute for the caller."""
    return str(request.base_url).rstrip("/") + url if url.startswith("/") else url


async def describe(request: Request, jobs: ExportJobs, job: ExportJob) -> ExportJobOut:
    """The job as the API and the console show it, with a fresh link when it is done."""
    link = await jobs.link(job)
    return ExportJobOut(
        id=job.id,
        kind=job.kind,
        filters={str(k): str(v) for k, v in job.filters.items()},
        status=job.status,
        rows=job.rows,
        bytes=job.bytes,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=job.error,
        download_url=absolute(request, link.url) if link else None,
        expires_at=link.expires_at if link else None,
    )


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No job with this id."}}
REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key and no console session."},
    403: {"description": "A console session of an agent, not a manager."},
}


@router.get("/jobs/{job_id}", response_model=ExportJobOut, responses={**NOT_FOUND, **REFUSED})
async def export_status(
    request: Request, job_id: str, who: ManagerOrKeyDep, session: SessionDep
) -> ExportJobOut:
    """An export job's status, row count, size and, once done, a fresh expiring link."""
    jobs = export_jobs(request)
    return await describe(request, jobs, await jobs.get(job_id, session=session))


@router.get(
    "/{kind}",
    status_code=202,
    response_model=ExportStarted,
    responses={
        **REFUSED,
        422: {"description": "An unknown report, a bad date or a filter that does not apply."},
    },
)
async def start_export(
    request: Request,
    kind: str,
    who: ManagerOrKeyDep,
    session: SessionDep,
    date_from: Annotated[
        date | None, Query(alias="from", description="First day (YYYY-MM-DD), shop's time zone.")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Last day (YYYY-MM-DD), included.")
    ] = None,
    channel: Annotated[str | None, Query(description="Only this channel (e.g. whatsapp).")] = None,
    state: Annotated[str | None, Query(description="Only this state (e.g. closed).")] = None,
) -> JSONResponse:
    """Start an export (inventory, customers, sales, conversations, messages, or full as a ZIP);
    answers at once with the job to follow."""
    jobs = export_jobs(request)
    filters = ExportFilters(
        date_from=date_from, date_to=date_to, channel=channel or None, state=state or None
    )
    job = await jobs.start(kind, filters, requested_by=who.label, session=session)
    status_url = str(request.url_for("export_status", job_id=job.id))
    body = ExportStarted(job_id=job.id, status=job.status, status_url=status_url)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202, headers={"location": status_url}
    )
