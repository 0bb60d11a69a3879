"""The console's HTML, rendered on the server: every text from the database is escaped.

Pages are whole documents; the live parts (the list, a conversation's state and history) are
fragments the script fetches again when the feed says something changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from agent.handoff import reason_label
from agent.i18n import money
from agent.models import Owner, Staff, StaffRole, utcnow
from agent.words import N_, STAFF_LANGUAGE, Labels, t
from console.queries import (
    STATES,
    ConversationRow,
    ConversationView,
    Entry,
    ListFilter,
    Report,
)
from console.summary import StaffContext, ago, chat_label
from console.words import CHANNEL_NAMES, MONTHS, script_words_json

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
    },
)


def e(value: object) -> str:
    """Text for HTML, escaped (quotes too: it may sit in an attribute)."""
    return escape(str(value), quote=True)


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


def layout(
    title: str,
    main: str,
    *,
    shop: str,
    staff: Staff | None = None,
    csrf: str = "",
    page: str = "",
    current: str = "",
    waiting: int | None = None,
    extra: str = "",
    scripts: Iterable[str] = (),
) -> str:
    """A whole console page; `scripts` are the page's own files in /console/static/."""
    header = ""
    if staff is not None:
        reports = (
            f'<a href="/console/reports"{_current(current == "reports")}>Reportes</a>'
            f'<a href="/console/exports"{_current(current == "exports")}>Informes</a>'
            f'<a href="/console/dashboard"{_current(current == "dashboard")}>Panel</a>'
            if staff.role == StaffRole.MANAGER
            else ""
        )
        badge = (
            f' <span class="badge" id="waiting-count" aria-label="{waiting} esperando">'
            f"{waiting}</span>"
            if waiting is not None
            else ""
        )
        header = (
            '<header class="top">'
            f'<a class="brand" href="/console">Consola · {e(shop)}</a>'
            '<nav aria-label="Secciones">'
            f'<a href="/console"{_current(current == "list")}>Conversaciones{badge}</a>'
            f"{reports}</nav>"
            f'<div class="me"><span>{e(staff.name)} · {ROLES[staff.role]}</span>'
            '<form method="post" action="/console/logout">'
            f'<input type="hidden" name="csrf_token" value="{e(csrf)}">'
            '<button type="submit" class="link">Salir</button></form></div>'
            '<p class="live-state" id="live-state" aria-live="polite">Conectando…</p>'
            "</header>"
        )
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · Consola</title>"
        '<link rel="stylesheet" href="/console/static/console.css">'
        f'<meta name="csrf-token" content="{e(csrf)}">'
        '<script src="/console/static/console.js" defer></script>'
        + "".join(f'<script src="/console/static/{e(name)}" defer></script>' for name in scripts)
        + f'<script type="application/json" id="console-words">{script_words_json()}</script>'
        + "</head>"
        f'<body data-page="{e(page)}"{extra}>'
        '<a class="skip" href="#main">Saltar al contenido</a>'
        f"{header}"
        '<div id="announce" class="announce" role="status" aria-live="polite"></div>'
        f'<main id="main" tabindex="-1">{main}</main></body></html>'
    )


def _current(yes: bool) -> str:
    return ' aria-current="page"' if yes else ""


FIRST_MANAGER = 'salesagent staff create admin --name "Tu nombre" --role manager'


def login_page(
    *, shop: str, csrf: str, next_url: str, error: str | None = None, first_login: bool = False
) -> str:
    """The login form; while no manager account exists, how to create the first one."""
    alert = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    if first_login:
        alert += (
            '<div class="first-login" role="note"><h2>Primera vez</h2>'
            "<p>Aún no hay ninguna cuenta de gerente. Créala en la máquina donde corre el "
            "servicio, en la carpeta del proyecto (te pide la contraseña dos veces):</p>"
            f"<pre><code>{e(FIRST_MANAGER)}</code></pre>"
            "<p>Si lo instalaste con <code>make run</code>, el comando es "
            "<code>.venv/bin/salesagent</code>. Luego entra aquí con <code>admin</code> y esa "
            "contraseña; desde la consola no se crean cuentas: "
            "<code>salesagent staff create</code> crea las de los asesores.</p></div>"
        )
    main = (
        '<section class="login" aria-labelledby="login-title">'
        f'<h1 id="login-title">Consola de {e(shop)}</h1>'
        "<p>Entra con tu cuenta del equipo de ventas.</p>"
        f"{alert}"
        '<form method="post" action="/console/login">'
        f'<input type="hidden" name="csrf_token" value="{e(csrf)}">'
        f'<input type="hidden" name="next" value="{e(next_url)}">'
        '<label for="username">Usuario</label>'
        '<input id="username" name="username" autocomplete="username" required autofocus>'
        '<label for="password">Contraseña</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Entrar</button></form></section>'
    )
    return layout("Entrar", main, shop=shop, csrf=csrf, page="login")


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
    """The list of conversations, with its filters."""
    states = "".join(
        f'<option value="{s}"{" selected" if s == flt.state else ""}>{STATE_LABELS[s]}</option>'
        for s in STATES
    )
    channel_options = '<option value="">Todos</option>' + "".join(
        f'<option value="{e(c)}"{" selected" if c == flt.channel else ""}>'
        f"{e(channel_label(c))}</option>"
        for c in channels
    )
    main = (
        "<h1>Conversaciones</h1>"
        '<form class="filters" method="get" action="/console" role="search" '
        'aria-label="Filtrar conversaciones">'
        f'<label>Estado <select name="estado">{states}</select></label>'
        f'<label>Canal <select name="canal">{channel_options}</select></label>'
        f'<label>Buscar <input type="search" name="q" value="{e(flt.q or "")}" '
        'placeholder="nombre, cédula, teléfono, texto"></label>'
        '<button type="submit">Filtrar</button></form>'
        f'<div id="conversation-list" data-query="{e(list_query(flt))}">{fragment}</div>'
    )
    return layout(
        "Conversaciones",
        main,
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="list",
        current="list",
        waiting=waiting,
    )


def list_query(flt: ListFilter) -> str:
    """The query string of the list's filters."""
    values = {"estado": flt.state, "canal": flt.channel or "", "q": flt.q or ""}
    return urlencode({k: v for k, v in values.items() if v})


def list_fragment(rows: list[ConversationRow], total: int, *, currency: str, zone: ZoneInfo) -> str:
    """The table of conversations (what the script swaps in when something changes)."""
    waiting = sum(1 for row in rows if row.owner == Owner.WAITING_HUMAN)
    shown = f"{len(rows)} de {total}" if total > len(rows) else str(total)
    head = (
        f'<p class="count" id="list-count" data-waiting="{waiting}">{shown} '
        f"{'conversación' if total == 1 else 'conversaciones'} · {waiting} esperando asesor</p>"
    )
    if not rows:
        return head + '<p class="empty">No hay conversaciones con este filtro.</p>'
    body = "".join(_row(row, currency, zone) for row in rows)
    return (
        head + '<table class="conversations"><caption class="sr-only">Conversaciones, las que '
        "esperan asesor primero</caption><thead><tr>"
        '<th scope="col">Estado</th><th scope="col">Espera</th><th scope="col">Canal</th>'
        '<th scope="col">Cliente</th><th scope="col">Carrito</th>'
        '<th scope="col">Último mensaje</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _row(row: ConversationRow, currency: str, zone: ZoneInfo) -> str:
    owner = row.owner
    state = f'<span class="owner owner-{owner.value}">{OWNERS[owner]}</span>'
    if owner == Owner.HUMAN and row.assigned_name:
        state += f"<br><small>{e(row.assigned_name)}</small>"
    elif row.reason:
        state += f"<br><small>{e(reason_label(row.reason))}</small>"
    if owner == Owner.WAITING_HUMAN and row.waiting_since is not None:
        wait = (
            f'<time class="since" datetime="{row.waiting_since.isoformat()}">'
            f"{ago(row.waiting_since)}</time>"
        )
    else:
        wait = '<span class="muted">—</span>'
    cart = (
        f"{e(money(row.cart_total, currency))} <small>({row.cart_items} u.)</small>"
        if row.cart_items
        else '<span class="muted">—</span>'
    )
    speaker = {
        None: "",
        "in": "",
        "out": "Asesor: " if row.last_staff else "Bot: ",
    }[row.last_direction.value if row.last_direction else None]
    last = " ".join(row.last_text.split())
    last = last if len(last) <= 90 else last[:87] + "…"
    label = chat_label(row.external_chat_id)
    chat = f"<br><small>{e(label)}</small>" if row.who != label else ""
    return (
        f'<tr class="row-{owner.value}" data-id="{row.id}">'
        f"<td>{state}</td><td>{wait}</td><td>{e(channel_label(row.channel))}</td>"
        f'<td><a href="/console/conversations/{row.id}">{e(row.who)}</a>{chat}</td>'
        f"<td>{cart}</td>"
        f'<td class="last"><span class="muted">{speaker}</span>{e(last)}'
        f'<br><small class="muted">{local_time(row.last_activity_at, zone)}</small></td></tr>'
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
) -> str:
    """One conversation: its live part, and the forms to reply and to add a note."""
    conversation = view.conversation
    flash = NOTICES.get(notice or "", "")
    channel = channel_label(conversation.channel)
    main = (
        '<p class="back"><a href="/console">← Conversaciones</a></p>'
        f'<div id="notice" class="notice" role="alert">{e(flash)}</div>'
        f'<div id="live" data-conversation="{conversation.id}">{live}</div>'
        '<section class="compose" aria-label="Responder o anotar">'
        f'<form method="post" action="/console/conversations/{conversation.id}/reply" '
        'data-action="reply" class="reply">'
        f'<input type="hidden" name="csrf_token" value="{e(csrf)}">'
        f'<label for="reply-text">Responder al cliente ({e(channel)})</label>'
        '<textarea id="reply-text" name="text" rows="3" required maxlength="4000"></textarea>'
        '<div class="form-foot"><button type="submit">Enviar respuesta</button>'
        '<span class="hint">Responder toma la conversación: el bot deja de contestar.</span>'
        "</div></form>"
        f'<form method="post" action="/console/conversations/{conversation.id}/note" '
        'data-action="note" class="note-form">'
        f'<input type="hidden" name="csrf_token" value="{e(csrf)}">'
        '<label for="note-text">Nota interna (solo la ve el equipo)</label>'
        '<textarea id="note-text" name="text" rows="2" required maxlength="4000"></textarea>'
        '<div class="form-foot"><button type="submit" class="secondary">Guardar nota</button>'
        "</div></form></section>"
    )
    return layout(
        view.customer.name
        if view.customer
        else conversation.contact_name or chat_label(conversation.external_chat_id),
        main,
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="conversation",
        current="list",
        waiting=waiting,
        extra=f' data-conversation="{conversation.id}"',
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
    conversation = view.conversation
    owner = conversation.owner
    label = chat_label(conversation.external_chat_id)
    who = context.customer.get("name") or conversation.contact_name or label
    state = OWNERS[owner]
    if owner == Owner.HUMAN:
        mine = conversation.assigned_staff_id == staff.id
        state += f" · {'tú' if mine else e(view.assigned_name or 'otra persona')}"
    elif owner == Owner.WAITING_HUMAN and conversation.waiting_since is not None:
        state += (
            f' desde hace <time class="since" datetime="{conversation.waiting_since.isoformat()}">'
            f"{ago(conversation.waiting_since)}</time>"
        )
    if view.reason and owner != Owner.BOT:
        state += f" · {e(reason_label(view.reason))}"
    head = (
        '<div class="conv-head">'
        f"<h1>{e(who)} <small>{e(channel_label(conversation.channel))}"
        f"{' · ' + e(label) if who != label else ''}</small></h1>"
        f'<p class="state"><span class="owner owner-{owner.value}" id="owner" '
        f'data-owner="{owner.value}">{state}</span></p>'
        f'<div class="actions">{_actions(view, staff, csrf, people)}</div></div>'
    )
    history = "".join(_entry(entry, zone) for entry in view.entries)
    thread = (
        '<section class="thread" aria-labelledby="h-thread"><h2 id="h-thread">Historial</h2>'
        f'<ol class="messages" data-last="{view.last_message_id}">{history}</ol></section>'
    )
    side = (
        '<aside class="side">'
        '<section aria-labelledby="h-context"><h2 id="h-context">Contexto</h2>'
        f'<p id="summary" class="summary"{" data-phrase" if phrase else ""}>'
        f"{e(context.summary)}</p>"
        f"<dl><dt>Quiere</dt><dd>{e(context.intent_label)}</dd>"
        + (
            f"<dt>Motivo del paso</dt><dd>{e(reason_label(context.reason))}</dd>"
            if context.reason
            else ""
        )
        + "</dl></section>"
        + _cart(context, currency)
        + _customer(context, conversation.external_chat_id)
        + "</aside>"
    )
    return f'{head}<div class="columns">{thread}{side}</div>'


def _actions(view: ConversationView, staff: Staff, csrf: str, people: list[Staff]) -> str:
    conversation = view.conversation
    owner = conversation.owner
    base = f"/console/conversations/{conversation.id}"
    hidden = f'<input type="hidden" name="csrf_token" value="{e(csrf)}">'
    buttons = []
    if owner != Owner.HUMAN:
        buttons.append(
            f'<form method="post" action="{base}/take" data-action="take">{hidden}'
            '<button type="submit">Tomar conversación</button></form>'
        )
    mine = owner == Owner.HUMAN and conversation.assigned_staff_id == staff.id
    manager = staff.role == StaffRole.MANAGER
    if owner == Owner.WAITING_HUMAN or mine or (owner == Owner.HUMAN and manager):
        buttons.append(
            f'<form method="post" action="{base}/hand-back" data-action="hand-back">{hidden}'
            '<button type="submit" class="secondary">Devolver al bot</button></form>'
        )
    if manager and owner != Owner.BOT:
        options = "".join(
            f'<option value="{p.id}">{e(p.name)} ({ROLES[p.role]})</option>'
            for p in people
            if p.id != conversation.assigned_staff_id
        )
        if options:
            buttons.append(
                f'<form method="post" action="{base}/reassign" data-action="reassign" '
                f'class="inline">{hidden}<label for="reassign-to">Reasignar a</label>'
                f'<select id="reassign-to" name="staff_id">{options}</select>'
                '<button type="submit" class="secondary">Reasignar</button></form>'
            )
    return "".join(buttons)


def _entry(entry: Entry, zone: ZoneInfo) -> str:
    when = f'<time datetime="{entry.at.isoformat()}">{local_time(entry.at, zone)}</time>'
    if entry.kind == "handoff":
        target = OWNERS[entry.to_owner] if entry.to_owner else ""
        label = reason_label(entry.reason or "")
        by = f" · {e(entry.author)}" if entry.author else ""
        note = f" · {e(entry.text)}" if entry.text else ""
        return f'<li class="event">{when} · {e(target)}: {e(label)}{by}{note}</li>'
    who = {
        "in": "Cliente",
        "out": "Bot",
        "staff": f"{entry.author or 'Asesor'} (asesor)",
        "note": f"Nota interna · {entry.author or ''}",
    }[entry.kind]
    media = "".join(_media(item) for item in entry.media)
    undelivered = (
        f'<p class="undelivered" role="status">No entregado: {e(entry.undelivered)}</p>'
        if entry.undelivered is not None
        else ""
    )
    return (
        f'<li class="msg msg-{entry.kind}"><p class="meta"><span class="who">{e(who)}</span> '
        f'{when}</p>{media}<p class="text">{e(entry.text)}</p>{undelivered}</li>'
    )


def _media(item: dict[str, object]) -> str:
    kind = item.get("kind")
    if kind == "voice":
        seconds = item.get("seconds")
        length = f" · {seconds} s" if seconds else ""
        if item.get("transcript"):
            return f'<p class="media">Nota de voz{length} · transcripción:</p>'
        if item.get("error") == "no_model":  # the customer was asked to write instead
            return (
                f'<p class="media unheard">Nota de voz{length} · sin escuchar: el servicio no '
                "tiene modelo de voz; se pidió al cliente que escriba</p>"
            )
        if item.get("error"):
            return f'<p class="media">Nota de voz{length} · no se pudo transcribir</p>'
        return f'<p class="media">Nota de voz{length}</p>'
    if kind == "image":
        return '<p class="media">Imagen enviada por el cliente</p>'
    return f'<p class="media">Adjunto ({e(kind or "archivo")})</p>'


def _cart(context: StaffContext, currency: str) -> str:
    if not context.cart:
        return (
            '<section aria-labelledby="h-cart"><h2 id="h-cart">Carrito</h2><p>Vacío.</p></section>'
        )
    rows = "".join(
        f"<tr><td>{e(line.name)}<br><small>{e(line.sku)}</small></td>"
        f'<td class="num">{line.quantity}</td>'
        f'<td class="num">{e(money(line.line_total, currency))}</td></tr>'
        for line in context.cart
    )
    missing = (
        f'<p class="missing">Faltan: {e(", ".join(context.missing))}</p>' if context.missing else ""
    )
    return (
        '<section aria-labelledby="h-cart"><h2 id="h-cart">Carrito</h2>'
        '<table class="cart"><thead><tr><th scope="col">Producto</th>'
        '<th scope="col" class="num">Cant.</th><th scope="col" class="num">Valor</th></tr>'
        f'</thead><tbody>{rows}</tbody><tfoot><tr><th scope="row" colspan="2">Total</th>'
        f'<td class="num">{e(money(context.cart_total, currency))}</td></tr></tfoot></table>'
        f"{missing}</section>"
    )


def _customer(context: StaffContext, chat_id: str) -> str:
    labels = {
        "name": "Nombre",
        "national_id": "Cédula",
        "phone": "Teléfono",
        "email": "Correo",
        "city": "Ciudad",
        "address": "Dirección",
    }
    items = "".join(
        f"<dt>{label}</dt><dd>{e(context.customer[key])}</dd>"
        for key, label in labels.items()
        if context.customer.get(key)
    )
    known = items or "<dt>Datos</dt><dd>Aún no los ha dado.</dd>"
    return (
        '<section aria-labelledby="h-customer"><h2 id="h-customer">Cliente</h2>'
        f"<dl>{known}<dt>Chat</dt><dd>{e(chat_id)}</dd></dl></section>"
    )


def reports_page(
    *, shop: str, staff: Staff, csrf: str, report: Report, zone: ZoneInfo, waiting: int
) -> str:
    """The manager's handoff report."""

    def seconds(value: float | None) -> str:
        if value is None:
            return "—"
        minutes, rest = divmod(int(value), 60)
        return f"{minutes} min {rest} s" if minutes else f"{rest} s"

    periods = "".join(
        f'<a href="/console/reports?dias={d}"{_current(d == report.days)}>{d} días</a>'
        for d in (1, 7, 30)
    )
    reasons = (
        "".join(
            f'<tr><td>{e(reason_label(reason))}</td><td class="num">{n}</td></tr>'
            for reason, n in report.by_reason
        )
        or '<tr><td colspan="2">Ninguno en el periodo.</td></tr>'
    )
    people = (
        "".join(
            f'<tr><td>{e(p.name)}</td><td class="num">{p.taken}</td>'
            f'<td class="num">{p.replies}</td><td class="num">{p.handed_back}</td>'
            f'<td class="num">{p.notes}</td></tr>'
            for p in report.staff
        )
        or '<tr><td colspan="5">Nadie ha atendido en el periodo.</td></tr>'
    )
    recent = (
        "".join(
            f"<tr><td>{local_time(change.created_at, zone)}</td>"
            f'<td><a href="/console/conversations/{change.conversation_id}">{e(chat)}</a></td>'
            f"<td>{OWNERS[change.from_owner]} → {OWNERS[change.to_owner]}</td>"
            f"<td>{e(reason_label(change.reason))}</td><td>{e(name or change.actor)}</td></tr>"
            for change, name, chat in report.recent
        )
        or '<tr><td colspan="5">Sin cambios en el periodo.</td></tr>'
    )
    main = (
        "<h1>Reportes de atención</h1>"
        f'<nav class="periods" aria-label="Periodo">{periods}</nav>'
        '<section aria-labelledby="h-now"><h2 id="h-now">Ahora</h2><dl class="figures">'
        f"<dt>Esperando asesor</dt><dd>{report.waiting_now}</dd>"
        f"<dt>Con asesor</dt><dd>{report.with_staff_now}</dd></dl></section>"
        f'<section aria-labelledby="h-period"><h2 id="h-period">'
        f"{'Último día' if report.days == 1 else f'Últimos {report.days} días'}"
        '</h2><dl class="figures">'
        f"<dt>Pasos a asesor</dt><dd>{report.handoffs}</dd>"
        f"<dt>Esperas terminadas</dt><dd>{report.answered}</dd>"
        f"<dt>Espera mediana</dt><dd>{seconds(report.wait_p50)}</dd>"
        f"<dt>Espera p90</dt><dd>{seconds(report.wait_p90)}</dd>"
        f"<dt>Avisos de espera larga</dt><dd>{report.unanswered_notices}</dd></dl>"
        '<table><caption>Pasos a asesor por motivo</caption><thead><tr><th scope="col">Motivo'
        f'</th><th scope="col" class="num">Veces</th></tr></thead><tbody>{reasons}</tbody>'
        '</table><table><caption>Por persona</caption><thead><tr><th scope="col">Asesor</th>'
        '<th scope="col" class="num">Tomadas</th><th scope="col" class="num">Respuestas</th>'
        '<th scope="col" class="num">Devueltas</th><th scope="col" class="num">Notas</th>'
        f"</tr></thead><tbody>{people}</tbody></table></section>"
        '<section aria-labelledby="h-recent"><h2 id="h-recent">Últimos cambios</h2><table>'
        '<thead><tr><th scope="col">Hora</th><th scope="col">Chat</th><th scope="col">Cambio'
        '</th><th scope="col">Motivo</th><th scope="col">Quién</th></tr></thead>'
        f"<tbody>{recent}</tbody></table></section>"
    )
    return layout(
        "Reportes",
        main,
        shop=shop,
        staff=staff,
        csrf=csrf,
        page="reports",
        current="reports",
        waiting=waiting,
    )


def error_page(*, shop: str, title: str, message: str, back: str = "Volver") -> str:
    """A plain error page (not found, not allowed) with a link back to the conversations."""
    main = f'<h1>{e(title)}</h1><p>{e(message)}</p><p><a href="/console">{e(back)}</a></p>'
    return layout(title, main, shop=shop, page="error")
