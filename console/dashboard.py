"""The managers' dashboard in the console: figures rendered on the server, charts by its script.

The page shows the range's figures as cards (readable without the script); static/dashboard.js
then draws the charts with the vendored Chart.js (static/vendor, served by the app: the console's
CSP allows scripts from itself only) from `/console/dashboard/summary`, and fetches it again
when the manager changes the range or the channel. The JSON is the one `GET /metrics/summary`
gives API keys; it lives under /console too because the console's cookie is scoped to /console.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from agent.i18n import count as plural
from agent.i18n import money
from console import pages, queries
from console.auth import ConsoleDep, ManagerDep
from console.pages import e
from console.routes import html
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
    user: ManagerDep,
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
    main = page_main(found, zone=console.settings.shop_timezone)
    return html(
        pages.layout(
            "Panel",
            main,
            shop=console.settings.shop_name,
            staff=user.staff,
            csrf=user.csrf_token,
            page="dashboard",
            current="dashboard",
            waiting=waiting,
            scripts=SCRIPTS,
        )
    )


@router.get("/summary")
async def summary(
    console: ConsoleDep,
    user: ManagerDep,
    date_from: From = None,
    date_to: To = None,
    channel: str | None = None,
) -> JSONResponse:
    """The dashboard's figures as JSON (the same as `GET /metrics/summary`)."""
    found = await read_summary(
        console.sessions, console.settings, date_from, date_to, channel or None
    )
    return JSONResponse(found.as_json(), headers={"cache-control": "no-store"})


def page_main(found: Summary, *, zone: str) -> str:
    """The range form, the figures and the charts' places."""
    days = found.days
    options = '<option value="">Todos</option>' + "".join(
        f'<option value="{e(c)}"{" selected" if c == found.channel else ""}>'
        f"{e(pages.channel_label(c))}</option>"
        for c in found.channels
    )
    presets = "".join(
        f'<button type="button" class="secondary" data-days="{n}">{n} días</button>'
        for n in PRESETS
    )
    return (
        '<div class="dash-head"><h1>Panel</h1>'
        f'<p class="muted" id="dash-range">{_range_label(found)}</p></div>'
        '<form class="filters dash-filters" id="dash-filters" method="get" '
        f'action="/console/dashboard" data-zone="{e(zone)}" aria-label="Periodo y canal">'
        f'<label>Desde <input type="date" name="from" id="from" required '
        f'value="{days.first.isoformat()}"></label>'
        f'<label>Hasta <input type="date" name="to" id="to" required '
        f'value="{days.last.isoformat()}"></label>'
        f'<label>Canal <select name="channel" id="channel">{options}</select></label>'
        f'<div class="presets" role="group" aria-label="Últimos días">{presets}</div>'
        '<button type="submit">Ver</button></form>'
        '<p id="dash-status" class="notice" role="status" aria-live="polite"></p>'
        f'<div id="dashboard" data-currency="{e(found.currency)}">'
        f'<dl class="cards">{_cards(found)}</dl>'
        '<div class="charts">'
        + _chart("days", "Ventas por día", "Ingresos y pedidos de cada día del periodo", "wide")
        + _chart("channels", "Ventas por canal", "Ingresos de cada canal")
        + _chart("funnel", "Embudo de venta", "Conversaciones, carritos, datos y compras")
        + _chart("products", "Productos más vendidos", "Ingresos de los diez que más venden")
        + _chart("intents", "Qué piden los clientes", "Mensajes de clientes por intención")
        + "</div></div>"
    )


def _range_label(found: Summary) -> str:
    days = found.days
    count = (days.last - days.first).days + 1
    channel = f" · {e(pages.channel_label(found.channel))}" if found.channel else ""
    return f"{days.first:%d/%m/%Y} – {days.last:%d/%m/%Y} ({plural(count, 'día', 'días')}){channel}"


def _chart(name: str, title: str, label: str, size: str = "") -> str:
    return (
        f'<figure class="chart {size}"><figcaption id="title-{name}">{e(title)}</figcaption>'
        f'<div class="canvas-box"><canvas id="chart-{name}" role="img" aria-label="{e(label)}">'
        f"</canvas></div></figure>"
    )


def _cards(found: Summary) -> str:
    """The figure cards; the script fills the same ids with the same formats."""
    orders = found.orders
    average = (found.revenue / orders).quantize(Decimal(1)) if orders else None
    handoffs = found.handoffs
    waits = handoffs.waits
    reply = found.reply_ms
    llm = found.llm
    cards = [
        ("revenue", "Ventas", money(found.revenue, found.currency), _orders(orders)),
        (
            "average",
            "Ticket promedio",
            money(average, found.currency) if average is not None else "—",
            "por pedido",
        ),
        (
            "conversations",
            "Conversaciones",
            str(found.funnel.conversations),
            f"{plural(found.funnel.closed, 'compró', 'compraron')} ({percent(_share(found))})",
        ),
        (
            "handoff",
            "Pasan a un asesor",
            percent(handoffs.rate),
            f"{handoffs.handed} de {handoffs.conversations}",
        ),
        (
            "wait",
            "Espera por un asesor",
            seconds(waits.p50),
            f"mediana · p95 {seconds(waits.p95)}",
        ),
        (
            "reply",
            "Respuesta del bot",
            milliseconds(reply.p50),
            f"mediana · p95 {milliseconds(reply.p95)}",
        ),
        (
            "llm",
            "Llamadas al modelo",
            str(llm.calls),
            f"{llm.prompt_tokens + llm.completion_tokens} tokens",
        ),
        ("cost", "Costo estimado del modelo", usd(llm.cost_usd), "USD, en el periodo"),
    ]
    return "".join(
        f'<div class="card"><dt>{e(title)}</dt><dd class="figure" id="fig-{key}">{e(value)}</dd>'
        f'<dd class="sub" id="sub-{key}">{e(sub)}</dd></div>'
        for key, title, value, sub in cards
    )


def _orders(n: int) -> str:
    return plural(n, "pedido", "pedidos")


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
