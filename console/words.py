"""The staff's words that more than one page or script needs: channel names, months, report
statuses, and every label the console's scripts write, handed to each page as JSON (the scripts
keep no copy of them) in a meta element of the layout."""

from __future__ import annotations

from markupsafe import Markup

from agent.words import N_, STAFF_LANGUAGE, Labels, markup, t

CHANNEL_NAMES = Labels(
    STAFF_LANGUAGE,
    {
        "web": N_("console.channel.web"),
        "whatsapp": N_("console.channel.whatsapp"),
        "telegram": N_("console.channel.telegram"),
        "odoo": N_("console.channel.odoo"),
        "cli": N_("console.channel.cli"),
    },
)
"""WhatsApp, Telegram, the web chat... as the console's lists and the dashboard name them."""

MONTHS = (
    N_("console.month.jan"),
    N_("console.month.feb"),
    N_("console.month.mar"),
    N_("console.month.apr"),
    N_("console.month.may"),
    N_("console.month.jun"),
    N_("console.month.jul"),
    N_("console.month.aug"),
    N_("console.month.sep"),
    N_("console.month.oct"),
    N_("console.month.nov"),
    N_("console.month.dec"),
)
"""The months' short names (`3 mar 14:05`), January first."""

EXPORT_STATUSES = Labels(
    STAFF_LANGUAGE,
    {
        "pending": N_("exports.status.pending"),
        "running": N_("exports.status.running"),
        "done": N_("exports.status.done"),
        "failed": N_("exports.status.failed"),
        "expired": N_("exports.status.expired"),
    },
)
"""A report job's status (ExportStatus's values) as the reports page and its script show it."""

_CONSOLE = {
    "drafted": N_("console.script.drafted"),
    "new_waiting": N_("console.script.new_waiting"),
    "undelivered": N_("console.script.undelivered"),
    "live": N_("console.script.live"),
    "reconnecting": N_("console.script.reconnecting"),
    "not_done": N_("console.script.not_done"),
    "unreachable": N_("console.script.unreachable"),
}
_LIVE_CHANNELS = {
    "whatsapp": N_("console.script.channel.whatsapp"),
    "telegram": N_("console.script.channel.telegram"),
    "web": N_("console.script.channel.web"),
}
_EXPORTS = {
    "download": N_("exports.script.download"),
    "ready": N_("exports.script.ready"),
    "row_one": N_("exports.script.row_one"),
    "row_many": N_("exports.script.row_many"),
    "retrying": N_("exports.script.retrying"),
    "requesting": N_("exports.script.requesting"),
    "unreachable": N_("exports.script.unreachable"),
    "requested": N_("exports.script.requested"),
}
_ASSISTANT = {
    "asking": N_("assistant.script.asking"),
    "unreachable": N_("assistant.script.unreachable"),
    "failed": N_("assistant.script.failed"),
    "by_model": N_("assistant.script.by_model"),
}
_INTENTS = {
    "inventory": N_("dashboard.intent.inventory"),
    "purchase": N_("dashboard.intent.purchase"),
    "customer": N_("dashboard.intent.customer"),
    "company": N_("dashboard.intent.company"),
    "handoff": N_("dashboard.intent.handoff"),
    "smalltalk": N_("dashboard.intent.smalltalk"),
    "other": N_("dashboard.intent.other"),
}
_FUNNEL = (
    N_("dashboard.funnel.conversations"),
    N_("dashboard.funnel.carts"),
    N_("dashboard.funnel.data_collected"),
    N_("dashboard.funnel.closed"),
)
_LEAD_FUNNEL = (
    N_("dashboard.lead_funnel.conversations"),
    N_("dashboard.lead_funnel.leads"),
    N_("dashboard.lead_funnel.quotes"),
    N_("dashboard.lead_funnel.orders"),
)
_TEXTS = {
    "order_one": N_("dashboard.order_one"),
    "order_many": N_("dashboard.order_many"),
    "bought_one": N_("dashboard.bought_one"),
    "bought_many": N_("dashboard.bought_many"),
    "day_one": N_("dashboard.day_one"),
    "day_many": N_("dashboard.day_many"),
    "handed_of": N_("dashboard.handed_of"),
    "median_p95": N_("dashboard.median_p95"),
    "tokens": N_("dashboard.tokens"),
    "thousand": N_("dashboard.thousand"),
    "million": N_("dashboard.million"),
    "units": N_("dashboard.units"),
    "sales_by_day": N_("dashboard.sales_by_day"),
    "sales_by_month": N_("dashboard.sales_by_month"),
    "revenue": N_("dashboard.revenue"),
    "orders": N_("dashboard.orders"),
    "messages": N_("dashboard.messages"),
    "updating": N_("dashboard.updating"),
    "offline": N_("dashboard.offline"),
    "unreadable": N_("dashboard.unreadable"),
}


def staff_text(key: str, /, **values: str | int) -> str:
    """A text of the staff's pages, for code (`routes.py`, `dashboard.py`)."""
    return t(STAFF_LANGUAGE, key, **values)


def page_text(key: str, /, **values: str | int) -> Markup:
    """A text of the staff's pages; the templates call it `_("console.list.heading")`, and may
    fill a value with markup (`<code>`) that keeps its tags."""
    return markup(STAFF_LANGUAGE, key, **values)


def script_words(language: str = STAFF_LANGUAGE) -> dict[str, object]:
    """Every label the console's scripts write (console.js, dashboard.js, exports.js and
    assistant.js)."""
    return {
        "channels": dict(Labels(language, CHANNEL_NAMES.ids)),
        "months": [t(language, month) for month in MONTHS],
        "console": dict(Labels(language, _CONSOLE))
        | {"channels": dict(Labels(language, _LIVE_CHANNELS))},
        "dashboard": {
            "intents": dict(Labels(language, _INTENTS)),
            "funnel": [t(language, step) for step in _FUNNEL],
            "lead_funnel": [t(language, step) for step in _LEAD_FUNNEL],
            "text": dict(Labels(language, _TEXTS)),
        },
        "assistant": dict(Labels(language, _ASSISTANT)),
        "exports": dict(Labels(language, _EXPORTS))
        | {"statuses": dict(Labels(language, EXPORT_STATUSES.ids))},
    }
