"""Exports over real HTTP: started with an API key or from a manager's console session, followed
until done, and the link downloaded by a plain HTTP client; refusals and bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fixtures.console_login import add_staff, logged_in
from fixtures.live_server import LiveServer, serving
from sales_rows import sales_in_csv, sales_in_database

from agent.api_keys import create_key
from agent.errors import ConfigurationError
from agent.models import ExportJob, ExportStatus, StaffRole, utcnow
from agent.settings import Settings
from exports.jobs import ExportJobs
from salesagent.runtime import Runtime


@pytest.fixture
async def live(demo_settings: Settings, tmp_path: Path) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(update={"storage_local_dir": tmp_path / "files"})
    async with serving(settings) as running:
        await add_staff(running.runtime, "marta", StaffRole.MANAGER)
        await add_staff(running.runtime, "ana", StaffRole.AGENT)
        yield running


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        yield http


@pytest.fixture
async def key(live: LiveServer) -> str:
    async with live.runtime.sessions() as session:
        _, secret = await create_key(session, name="erp")
    return secret


async def until_done(client: httpx.AsyncClient, url: str, **kwargs: Any) -> dict[str, Any]:
    """Poll a job's JSON until it is done or failed."""
    async with asyncio.timeout(60):
        while True:
            answer = await client.get(url, **kwargs)
            assert answer.status_code == 200, answer.text
            job: dict[str, Any] = answer.json()
            if job["status"] in ("done", "failed"):
                return job
            await asyncio.sleep(0.1)


async def test_an_api_key_starts_a_sales_export_and_its_link_downloads_the_order_lines(
    live: LiveServer, client: httpx.AsyncClient, key: str
) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    started = await client.get("/exports/sales", headers=auth)

    assert started.status_code == 202, started.text
    body = started.json()
    assert set(body) == {"job_id", "status", "status_url"}
    assert body["status"] == "pending"
    assert body["status_url"] == f"{live.url}/exports/jobs/{body['job_id']}"
    assert started.headers["location"] == body["status_url"]

    job = await until_done(client, body["status_url"], headers=auth)
    assert job["status"] == "done", job["error"]
    assert set(job) == {
        "id",
        "kind",
        "filters",
        "status",
        "rows",
        "bytes",
        "created_at",
        "started_at",
        "finished_at",
        "error",
        "download_url",
        "expires_at",
    }
    assert job["kind"] == "sales" and job["filters"] == {} and job["error"] is None
    assert job["download_url"].startswith(f"{live.url}/files/exports/sales_")
    expected = await sales_in_database(live.runtime.sessions)
    assert job["rows"] == len(expected) > 0

    # The link needs no credential: a plain client downloads it.
    async with httpx.AsyncClient(timeout=30) as anyone:
        download = await anyone.get(job["download_url"])
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert len(download.content) == job["bytes"]
    assert sales_in_csv(download.content) == expected


async def test_filters_limit_the_export(
    live: LiveServer, client: httpx.AsyncClient, key: str
) -> None:
    auth = {"X-API-Key": key}
    started = await client.get(
        "/exports/sales", params={"from": "2001-01-01", "to": "2001-01-31"}, headers=auth
    )
    assert started.status_code == 202, started.text
    job = await until_done(client, started.json()["status_url"], headers=auth)
    assert job["filters"] == {"from": "2001-01-01", "to": "2001-01-31"}
    assert job["status"] == "done" and job["rows"] == 0
    async with httpx.AsyncClient(timeout=30) as anyone:
        download = await anyone.get(job["download_url"])
    assert sales_in_csv(download.content) == []


async def test_a_console_manager_starts_an_export_and_follows_it(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    csrf = await logged_in(client, "marta")
    page = await client.get("/console/exports")
    assert page.status_code == 200
    assert "Exportar ventas" in page.text
    assert 'href="/console/exports"' in page.text

    started = await client.post(
        "/console/exports",
        data={"kind": "sales", "from": "", "to": "", "channel": "", "state": ""},
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    job = await until_done(client, f"/console/exports/jobs/{job_id}")
    assert job["status"] == "done", job["error"]
    async with httpx.AsyncClient(timeout=30) as anyone:
        download = await anyone.get(job["download_url"])
    assert sales_in_csv(download.content) == await sales_in_database(live.runtime.sessions)

    # The job shows on the page with its link, asked for by marta.
    page = await client.get("/console/exports")
    assert f'data-job="{job_id}" data-status="done"' in page.text
    assert "Descargar" in page.text and "marta" in page.text


async def test_the_console_form_works_without_the_script(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    csrf = await logged_in(client, "marta")
    posted = await client.post(
        "/console/exports",
        data={"kind": "inventory", "csrf_token": csrf, "from": "", "channel": ""},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/console/exports"
    [job] = await live.runtime.exports.recent()  # type: ignore[union-attr]
    assert (job.kind, job.requested_by, job.filters) == ("inventory", "staff:marta", {})

    refused = await client.post(
        "/console/exports", data={"kind": "sales", "csrf_token": csrf, "from": "ayer"}
    )
    assert refused.status_code == 422
    assert "from must be a date as YYYY-MM-DD" in refused.text
    assert 'role="alert"' in refused.text


async def test_the_console_refuses_a_post_without_the_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    await logged_in(client, "marta")
    refused = await client.post(
        "/console/exports", data={"kind": "sales"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 403
    page = await client.get("/console/exports")
    assert "data-job=" not in page.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/exports/salez", {}, "kind"),
        ("/exports/sales", {"from": "2026-13-01"}, "from"),
        ("/exports/sales", {"to": "ayer"}, "to"),
        ("/exports/sales", {"from": "2026-11-02", "to": "2026-11-01"}, "from"),
        ("/exports/inventory", {"channel": "web"}, "channel"),
        ("/exports/conversations", {"state": "perdida"}, "state"),
    ],
    ids=["kind", "bad-from", "bad-to", "from-after-to", "filter-not-for-report", "state"],
)
async def test_bad_input_is_a_422_naming_the_field(
    live: LiveServer,
    client: httpx.AsyncClient,
    key: str,
    path: str,
    params: dict[str, str],
    field: str,
) -> None:
    refused = await client.get(path, params=params, headers={"Authorization": f"Bearer {key}"})

    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]
    assert await live.runtime.exports.recent() == []  # type: ignore[union-attr]


async def test_the_console_form_names_the_bad_field_too(client: httpx.AsyncClient) -> None:
    csrf = await logged_in(client, "marta")
    refused = await client.post(
        "/console/exports",
        data={"kind": "inventory", "channel": "web"},
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "channel", "message": "channel does not apply to the inventory report"}
    ]


async def test_anonymous_callers_and_agents_are_refused(
    live: LiveServer, client: httpx.AsyncClient, key: str
) -> None:
    started = await client.get("/exports/sales", headers={"Authorization": f"Bearer {key}"})
    job_url = started.json()["status_url"]

    for url in ("/exports/sales", job_url):
        assert (await client.get(url)).status_code == 401
        wrong = await client.get(url, headers={"Authorization": "Bearer sk_live_wrong"})
        assert wrong.status_code == 401
    assert (await client.get("/console/exports/jobs/x")).status_code == 401

    csrf = await logged_in(client, "ana")
    console = await client.get("/console")
    assert 'href="/console/exports"' not in console.text  # agents do not see the link
    assert (await client.get("/console/exports")).status_code == 403
    job_id = started.json()["job_id"]
    assert (await client.get(f"/console/exports/jobs/{job_id}")).status_code == 403
    refused = await client.post(
        "/console/exports", data={"kind": "sales"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403
    assert [j.id for j in await live.runtime.exports.recent()] == [job_id]  # type: ignore[union-attr]


async def test_an_unknown_job_is_404(client: httpx.AsyncClient, key: str) -> None:
    missing = await client.get("/exports/jobs/nope", headers={"Authorization": f"Bearer {key}"})
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"]


async def test_the_endpoints_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    start = spec["paths"]["/exports/{kind}"]["get"]
    status = spec["paths"]["/exports/jobs/{job_id}"]["get"]
    assert start["tags"] == status["tags"] == ["exports"]
    assert {p["name"] for p in start["parameters"]} == {"kind", "from", "to", "channel", "state"}
    assert "202" in start["responses"] and "422" in start["responses"]
    assert "exports" in {tag["name"] for tag in spec["tags"]}


async def test_a_console_managers_session_also_opens_the_rest_endpoints(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    await logged_in(client, "marta")
    # The session cookie is scoped to /console; a client that holds it may send it elsewhere.
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
    started = await client.get("/exports/customers", headers={"cookie": cookie})
    assert started.status_code == 202, started.text
    job = await until_done(client, started.json()["status_url"], headers={"cookie": cookie})
    assert job["status"] == "done"
    [row] = await live.runtime.exports.recent()  # type: ignore[union-attr]
    assert row.requested_by == "staff:marta"


async def all_done(jobs: ExportJobs, *, count: int) -> list[ExportJob]:
    """The jobs, once there are `count` and all are done."""
    async with asyncio.timeout(60):
        while True:
            found = await jobs.recent()
            if len(found) >= count and all(j.status == ExportStatus.DONE for j in found):
                return found
            await asyncio.sleep(0.1)


async def test_a_server_started_after_the_daily_hour_exports_yesterday(
    demo_settings: Settings, tmp_path: Path
) -> None:
    settings = demo_settings.model_copy(
        update={
            "storage_local_dir": tmp_path / "files",
            "export_daily_at": "00:00",
            "export_daily_kinds": "sales,conversations",
            "shop_timezone": "America/Bogota",
        }
    )
    yesterday = (utcnow().astimezone(ZoneInfo("America/Bogota")) - timedelta(days=1)).date()
    async with serving(settings) as running:
        jobs = running.runtime.exports
        assert jobs is not None
        made = await all_done(jobs, count=2)
    assert sorted((j.kind, j.schedule_key, j.requested_by) for j in made) == [
        ("conversations", f"conversations:{yesterday}", "schedule"),
        ("sales", f"sales:{yesterday}", "schedule"),
    ]
    assert all(j.filters == {"from": str(yesterday), "to": str(yesterday)} for j in made)


async def test_a_malformed_daily_time_stops_the_start_naming_the_variable(
    demo_settings: Settings,
) -> None:
    settings = demo_settings.model_copy(update={"export_daily_at": "6 de la mañana"})
    with pytest.raises(ConfigurationError, match="EXPORT_DAILY_AT"):
        await Runtime.start(settings, migrate=False)
