"""`GET /metrics/summary` (the dashboard's JSON, for managers) and `GET /metrics` (Prometheus)."""

from __future__ import annotations

import hmac
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import reading_session
from agent.errors import AuthenticationError, InvalidInputError, NotFoundError
from agent.provided import SessionsDep, SettingsDep
from agent.settings import Settings
from metrics.days import parse_range
from metrics.prometheus import read_totals, render
from metrics.summary import Summary, summarize
from shop_api.managers import ManagerOrKeyDep

router = APIRouter(tags=["metrics"])
scraper = HTTPBearer(auto_error=False, scheme_name="metrics-token")
MAX_CHANNEL = 32


async def read_summary(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    date_from: str | None,
    date_to: str | None,
    channel: str | None,
) -> Summary:
    """The summary a request asked for; InvalidInputError names a bad field."""
    days = parse_range(date_from, date_to, zone=ZoneInfo(settings.shop_timezone))
    if channel is not None and not 0 < len(channel.strip()) <= MAX_CHANNEL:
        raise InvalidInputError(
            f"a channel name has 1 to {MAX_CHANNEL} characters", field="channel"
        )
    async with reading_session(sessions) as session:
        return await summarize(
            session, days, channel=channel.strip() if channel else None, currency=settings.currency
        )


@router.get("/metrics/summary")
async def summary(
    sessions: SessionsDep,
    settings: SettingsDep,
    _who: ManagerOrKeyDep,
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    channel: str | None = None,
) -> JSONResponse:
    """The dashboard's figures for a range of the shop's days (the last 30 by default)."""
    found = await read_summary(sessions, settings, date_from, date_to, channel)
    return JSONResponse(found.as_json(), headers={"cache-control": "no-store"})


@router.get("/metrics", include_in_schema=False)
async def prometheus(
    sessions: SessionsDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scraper)],
) -> Response:
    """Totals in Prometheus' text format, for a scraper sending `Bearer <METRICS_TOKEN>`."""
    expected = settings.metrics_token
    if expected is None or not expected.get_secret_value():
        raise NotFoundError("metrics are not served: METRICS_TOKEN is not set")
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise AuthenticationError(
            "send 'Authorization: Bearer <METRICS_TOKEN>'",
            error="invalid_token" if given else None,
        )
    async with reading_session(sessions) as session:
        totals = await read_totals(session)
    return Response(
        render(totals), media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"}
    )
