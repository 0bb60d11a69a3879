"""The console's HTML, rendered on the server from console/templates/ (autoescaped).

Pages are whole documents; the live parts (the list, a conversation's state and history) are
fragments the script fetches again when the feed says something changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup

from agent.handoff import reason_label
from agent.i18n import money
from agent.models import Owner, Staff, StaffRole, utcnow
from agent.words import N_, STAFF_LANGUAGE, Labels, t
from console.queries import (
    STATES,
    ConversationRow,
    ConversationView,
    ListFilter,
    Report,
)
from console.render import Templates
from console.summary import StaffContext, ago, chat_label
from console.words import CHANNEL_NAMES, MONTHS, page_text, script_words

OWNERS = Labels(
    STAFF_LANGUAGE,
    {
        Owner.BOT: N_("console.owner.bot"),
        Owner.WAITING_HUMAN: N_("console.owner.waiting_human"),
        Owner.HUMAN: N_("console.owner.human"),
    },
)
STATE_LABELS = Labels(
    STAFF_LANGUAGE,
    {
        "active": N_("console.filter.active"),
        "waiting_human": N_("console.filter.waiting_human"),
        "human": N_("console.filter.human"),
        "bot": N_("console.filter.bot"),
        "mine": N_("console.filter.mine"),
        "all": N_("console.filter.all"),
    },
)
ROLES = Labels(
    STAFF_LANGUAGE,
    {StaffRole.AGENT: N_("console.role.agent"), StaffRole.MANAGER: N_("console.role.manager")},
)
NOTICES = Labels(
    STAFF_LANGUAGE,
    {
        "taken": N_("console.notice.taken"),
        "replied": N_("console.notice.replied"),
        "noted": N_("console.notice.noted"),
        "handed_back": N_("console.notice.handed_back"),
        "reassigned": N_("console.notice.reassigned"),
        "delivery_retried": N_("console.notice.delivery_retried"),
        "delivery_given_up": N_("console.notice.delivery_given_up"),
    },
)
CUSTOMER_LABELS = Labels(
    STAFF_LANGUAGE,
    {
        "name": N_("fields.label.name"),
        "national_id": N_("fields.label.national_id"),
        "phone": N_("fields.label.phone"),
        "email": N_("fields.label.email"),
        "city": N_("fields.label.city"),
        "address": N_("fields.label.address"),
    },
)


def channel_label(channel: str) -> str:
    """WhatsApp, Telegram, the web chat..."""
    return CHANNEL_NAMES.get(channel, channel)


def local_time(moment: datetime, zone: ZoneInfo, *, now: datetime | None = None) -> str:
    """`14:05` today, `3 mar 14:05` another day, in the shop's time zone."""
    local = moment.astimezone(zone)
    today = (now or utcnow()).astimezone(zone).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    month = t(STAFF_LANGUAGE, MONTHS[local.month - 1])
    return f"{local.day} {month} {local:%H:%M}"


def preview(text: str) -> str:
    """A message on one line, cut to 90 characters (the list's last message)."""
    line = " ".join(text.split())
    return line if len(line) <= 90 else line[:87] + "…"


def wait_label(seconds: float | None) -> str:
    """`3 min 5 s`, `40 s`; a dash without a value (the report's waits)."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return t(STAFF_LANGUAGE, "console.time.minutes_seconds", minutes=minutes, seconds=rest)
    return t(STAFF_LANGUAGE, "console.time.seconds", seconds=rest)


TEMPLATES = Templates(
    "console",
    filters={
        "ago": ago,
        "channel_label": channel_label,
        "chat_label": chat_label,
        "local_time": local_time,
        "money": money,
        "preview": preview,
        "reason_label": reason_label,
        "wait_label": wait_label,
    },
    constants={"_": page_text, "owners": OWNERS, "roles": ROLES, "script_words": script_words},
)


def render_page(
    name: str,
    *,
    title: str,
    shop: str,
    staff: Staff | None = None,
    csrf: str = "",
    page: str = "",
    current: str = "",
    waiting: int | None = None,
    conversation_id: int | None = None,
    scripts: Iterable[str] = (),
    **values: object,
) -> Markup:
    """A whole console page from the template `name` (which extends layout.html)."""
    return TEMPLATES.render(
        name,
        title=title,
        shop=shop,
        staff=staff,
        csrf=csrf,
        page=page,
        current=current,
        waiting=waiting,
        conversation_id=conversation_id,
        scripts=scripts,
        **values,
    )


def login_page(
    *, shop: str, csrf: str, next_url: str, error: str | None = None, first_login: bool = False
) -> str:
    """The login form; while no manager account exists, how to create the first one."""
    return render_page(
        "login.html",
        title="Entrar",
        shop=shop,
        csrf=csrf,
        page="login",
        next_url=next_url,
        error=error,
        first_login=first_login,
    )


def list_page(
    *,
    shop: str,
    staff: Staff,
    csrf: str,
    flt: ListFilter,
    channels: Iterable[str],
    fragment: str,
    waiting: int,
) -> str:
    """The list of conversations, with its filters; `fragment` is the list's table."""
    return render_page(
        "list.html",
        title="Conversaciones",
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="list",
        current="list",
        waiting=waiting,
        flt=flt,
        states=STATES,
        state_labels=STATE_LABELS,
        channels=channels,
        query=list_query(flt),
        fragment=Markup(fragment),
    )


def list_query(flt: ListFilter) -> str:
    """The query string of the list's filters."""
    values = {"estado": flt.state, "canal": flt.channel or "", "q": flt.q or ""}
    return urlencode({k: v for k, v in values.items() if v})


def list_fragment(rows: list[ConversationRow], total: int, *, currency: str, zone: ZoneInfo) -> str:
    """The table of conversations (what the script swaps in when something changes)."""
    return TEMPLATES.render(
        "list_fragment.html",
        rows=rows,
        total=total,
        waiting=sum(1 for row in rows if row.owner == Owner.WAITING_HUMAN),
        currency=currency,
        zone=zone,
    )


def conversation_page(
    *,
    shop: str,
    staff: Staff,
    csrf: str,
    view: ConversationView,
    live: str,
    notice: str | None,
    waiting: int,
    proposals: str,
    leads: Iterable[tuple[int, str]] = (),
) -> str:
    """One conversation: its live part, its proposals (`proposals`, their table), the forms to
    reply and to add a note, and links to its leads (`(id, label)`)."""
    conversation = view.conversation
    return render_page(
        "conversation.html",
        title=view.customer.name
        if view.customer
        else conversation.contact_name or chat_label(conversation.external_chat_id),
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="conversation",
        current="list",
        waiting=waiting,
        conversation_id=conversation.id,
        conversation=conversation,
        notice=NOTICES.get(notice or "", ""),
        live=Markup(live),
        leads=list(leads),
        proposals=Markup(proposals),
        scripts=("proposals.js",),
    )


def live_fragment(
    view: ConversationView,
    context: StaffContext,
    *,
    staff: Staff,
    csrf: str,
    people: list[Staff],
    currency: str,
    zone: ZoneInfo,
    phrase: bool,
) -> str:
    """A conversation's state, actions, history and context (swapped in on every change)."""
    return TEMPLATES.render(
        "live.html",
        view=view,
        context=context,
        staff=staff,
        csrf=csrf,
        people=people,
        currency=currency,
        zone=zone,
        phrase=phrase,
        customer_labels=CUSTOMER_LABELS,
    )


def reports_page(
    *, shop: str, staff: Staff, csrf: str, report: Report, zone: ZoneInfo, waiting: int
) -> str:
    """The manager's handoff report."""
    return render_page(
        "reports.html",
        title="Reportes",
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="reports",
        current="reports",
        waiting=waiting,
        report=report,
        zone=zone,
    )


def error_page(*, shop: str, title: str, message: str, back: str = "Volver") -> str:
    """A plain error page (not found, not allowed) with a link back to the conversations."""
    return render_page(
        "error.html", title=title, shop=shop, page="error", message=message, back=back
    )


def refused_page(*, message: str, back: str) -> str:
    """Why an action posted without the script could not be done, with the way back."""
    return TEMPLATES.render("refused.html", message=message, back=back)
