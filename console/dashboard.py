"""The managers' dashboard in the console: figures rendered on the server, charts by its script.

The page shows the range's figures as cards (readable without the script); static/dashboard.js
then draws the charts with the vendored Chart.js (static/vendor, served by the app: the console's
CSP allows scripts from itself only) from `/console/dashboard/summary`, and fetches it again
when the manager changes the range or the channel. The JSON is the one `GET /metrics/summary`
gives API keys; it lives under /console too because the console's cookie is scoped to /console.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from agent.i18n import count as plural
from agent.i18n import money
from console import pages, queries
from console.auth import ConsoleDep, ReportReaderDep
from console.routes import html
from console.words import staff_text as _
from metrics.routes import read_summary
from metrics.summary import Summary

router = APIRouter(prefix="/console/dashboard", include_in_schema=False)

SCRIPTS = ("vendor/chart.umd.min.js", "dashboard.js")
PRESETS = (7, 30, 90)
From = Annotated[str | None, Query(alias="from")]
To = Annotated[str | None, Query(alias="to")]


@router.get("")
async def dashboard(
    console: ConsoleDep,
    user: ReportReaderDep,
    date_from: From = None,
    date_to: To = None,
    channel: str | None = None,
) -> HTMLResponse:
    """The dashboard for the range asked for (the last 30 days by default)."""
    found = await read_summary(
        console.sessions, console.settings, date_from, date_to, channel or None
    )
    async with console.sessions() as session:
        waiting = (await queries.counts(session))["waiting_human"]
    return html(
        pages.render_page(
            "dashboard.html",
            title="Panel",
            shop=console.settings.shop_name,
            staff=user.staff,
            csrf=user.csrf_token,
            page="dashboard",
            current="dashboard",
            waiting=waiting,
            scripts=SCRIPTS,
            found=found,
            zone=console.settings.shop_timezone,
            range_label=_range_label(found),
            presets=PRESETS,
            cards=_cards(found),
        )
    )


@router.get("/summary")
async def summary(
    console: ConsoleDep,
    user: ReportReaderDep,
    date_from: From = None,
    date_to: To = None,
    channel: str | None = None,
) -> JSONResponse:
    """The dashboard's figures as JSON (the same as `GET /metrics/summary`)."""
    found = await read_summary(
        console.sessions, console.settings, date_from, date_to, channel or None
    )
    return JSONResponse(found.as_json(), headers={"cache-control": "no-store"})


def _range_label(found: Summary) -> str:
    days = found.days
    count = (days.last - days.first).days + 1
    channel = f" · {pages.channel_label(found.channel)}" if found.channel else ""
    length = plural(count, _("dashboard.day_one"), _("dashboard.day_many"))
    return f"{days.first:%d/%m/%Y} – {days.last:%d/%m/%Y} ({length}){channel}"


@dataclass(frozen=True, slots=True)
class Card:
    """One figure card: its id's key, its title, the figure and the line under it."""

    key: str
    title: str
    value: str
    sub: str


def _cards(found: Summary) -> list[Card]:
    """The figure cards; the script fills the same ids with the same formats."""
    orders = found.orders
    average = (found.revenue / orders).quantize(Decimal(1)) if orders else None
    handoffs = found.handoffs
    waits = handoffs.waits
    reply = found.reply_ms
    llm = found.llm
    return [
        Card(
            "revenue",
            _("dashboard.card.revenue"),
            money(found.revenue, found.currency),
            _orders(orders),
        ),
        Card(
            "average",
            _("dashboard.card.average"),
            money(average, found.currency) if average is not None else "—",
            _("dashboard.card.average.sub"),
        ),
        Card(
            "conversations",
            _("dashboard.card.conversations"),
            str(found.funnel.conversations),
            f"{plural(found.funnel.closed, _('dashboard.bought_one'), _('dashboard.bought_many'))}"
            f" ({percent(_share(found))})",
        ),
        Card(
            "handoff",
            _("dashboard.card.handoff"),
            percent(handoffs.rate),
            f"{handoffs.handed}{_('dashboard.handed_of')}{handoffs.conversations}",
        ),
        Card(
            "wait",
            _("dashboard.card.wait"),
            seconds(waits.p50),
            _("dashboard.median_p95") + seconds(waits.p95),
        ),
        Card(
            "reply",
            _("dashboard.card.reply"),
            milliseconds(reply.p50),
            _("dashboard.median_p95") + milliseconds(reply.p95),
        ),
        Card(
            "llm",
            _("dashboard.card.llm"),
            str(llm.calls),
            f"{llm.prompt_tokens + llm.completion_tokens}{_('dashboard.tokens')}",
        ),
        Card("cost", _("dashboard.card.cost"), usd(llm.cost_usd), _("dashboard.card.cost.sub")),
    ]


def _orders(n: int) -> str:
    return plural(n, _("dashboard.order_one"), _("dashboard.order_many"))


def _share(found: Summary) -> float | None:
    conversations = found.funnel.conversations
    return found.funnel.closed / conversations if conversations else None


def percent(share: float | None) -> str:
    """`22,2 %`; a dash without a value."""
    return "—" if share is None else f"{share * 100:.1f} %".replace(".", ",")


def seconds(value: float | None) -> str:
    """`4,2 s` under a minute, `3 min 5 s` above."""
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.1f} s".replace(".", ",")
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"


def milliseconds(value: float | None) -> str:
    """`16,7 ms` under a second, `1,2 s` above."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value:.1f} ms".replace(".", ",")
    return f"{value / 1000:.1f} s".replace(".", ",")


def usd(value: object) -> str:
    """Model spend: four decimals, since a month of a small shop costs cents."""
    return f"US${float(str(value)):.4f}".replace(".", ",")
