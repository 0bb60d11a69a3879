"""The console's routes under `/console`: pages, fragments, actions and the live socket.

Pages need a session (a page load without one goes to the login form); fragments and actions
answer 401 without one. Every action (POST) checks the CSRF token. The script asks for JSON
(`Accept: application/json`); a form posted without the script gets a redirect back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, WebSocket, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.websockets import WebSocketDisconnect

from agent import staff as accounts
from agent.errors import InvalidInputError, NotFoundError
from agent.handoff import NotAllowed, OwnershipConflict
from agent.leads.labels import KINDS, STATUSES
from agent.shops.current import all_shops
from console import lead_queries, pages, queries
from console.auth import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    ConsoleDep,
    ManagerDep,
    StaffDep,
    StaffUser,
    check_csrf,
    clear_session,
    console_of,
    login_allowed,
    login_token,
    safe_next,
    same_origin,
    session_user,
    set_login_token,
    set_session,
    tokens_match,
    wants_html,
)
from console.proposal_desk import ProposalDesk
from console.proposal_pages import fragment as proposals_fragment
from console.service import StaffConsole
from console.summary import staff_context
from console.words import staff_text as _

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
HEARTBEAT_SECONDS = 25.0

router = APIRouter(prefix="/console", include_in_schema=False)

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def html(body: str, status_code: int = 200) -> HTMLResponse:
    """A console page with its security headers."""
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


@router.get("/static/{name:path}")
async def static(name: str) -> FileResponse:
    """The console's script and stylesheet."""
    types = {
        "console.js": "text/javascript",
        "console.css": "text/css",
        "exports.js": "text/javascript",
        "dashboard.js": "text/javascript",
        "assistant.js": "text/javascript",
        "vendor/chart.umd.min.js": "text/javascript",
        "proposals.js": "text/javascript",
    }
    if name not in types:
        raise NotFoundError(_("console.not_found.file", name=name))
    return FileResponse(
        STATIC / name,
        media_type=f"{types[name]}; charset=utf-8",
        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"},
    )


async def managers_only(request: Request, exc: Exception) -> Response:
    """An agent who opens a manager's page gets a page saying so, with the way back; a script's
    request gets the 403 as JSON."""
    if not wants_html(request):
        refused = {"detail": _("console.error.managers_only")}
        return JSONResponse(refused, status.HTTP_403_FORBIDDEN)
    dashboard = request.url.path.startswith("/console/dashboard")
    what = _("console.refused.the_dashboard") if dashboard else _("console.refused.this_page")
    page = pages.error_page(
        shop=console_of(request).settings.shop_name,
        title=_("console.refused.managers_only"),
        message=_("console.refused.managers_only.why", what=what),
        back=_("console.refused.back_to_list"),
    )
    return html(page, status.HTTP_403_FORBIDDEN)


@router.get("/login")
async def login_form(
    request: Request, console: ConsoleDep, next: Annotated[str | None, Query()] = None
) -> Response:
    """The login form (a logged-in staff member goes straight to the list)."""
    if await session_user(request, console) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    token = login_token(request)
    shop = console.settings.shop_name
    async with console.sessions() as session:
        first = not await accounts.has_manager(session)
    response = html(
        pages.login_page(shop=shop, csrf=token, next_url=safe_next(next), first_login=first)
    )
    set_login_token(response, request, token)
    return response


@router.post("/login")
async def login(request: Request, console: ConsoleDep) -> Response:
    """Check the credentials (limited per address and user name) and open a session."""
    form = await request.form()
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    shop = console.settings.shop_name
    expected = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get(CSRF_FIELD)
    if (
        not expected
        or not same_origin(request)
        or not tokens_match(given if isinstance(given, str) else None, expected)
    ):
        token = login_token(request)
        page = pages.login_page(
            shop=shop,
            csrf=token,
            next_url=target,
            error=_("console.login.expired"),
        )
        response = html(page, status.HTTP_403_FORBIDDEN)
        set_login_token(response, request, token)
        return response
    decision = await login_allowed(request, console, username)
    if not decision.allowed:
        page = pages.login_page(
            shop=shop,
            csrf=expected,
            next_url=target,
            error=_("console.login.too_many", seconds=decision.retry_after),
        )
        response = html(page, status.HTTP_429_TOO_MANY_REQUESTS)
        response.headers["retry-after"] = str(decision.retry_after)
        return response
    with all_shops():  # a user name is the deployment's: the staff member's shop follows
        async with console.sessions() as session:
            staff = await accounts.authenticate(session, username, password)
            if staff is None:
                log.info("console login refused for %r from %s", username[:64], request.client)
                page = pages.login_page(
                    shop=shop,
                    csrf=expected,
                    next_url=target,
                    error=_("console.login.wrong"),
                    first_login=not await accounts.has_manager(session),
                )
                return html(page, status.HTTP_401_UNAUTHORIZED)
            opened = await accounts.open_session(
                session, staff, hours=console.settings.staff_session_hours
            )
    done = RedirectResponse(target, status_code=303)
    set_session(done, request, opened.token, opened.expires_at)
    done.delete_cookie(LOGIN_COOKIE, path="/console")
    return done


@router.post("/logout")
async def logout(request: Request, console: ConsoleDep, user: StaffDep) -> Response:
    """End the session."""
    await check_csrf(request, user)
    async with console.sessions() as session:
        await accounts.close_session(session, user.token)
    response = RedirectResponse("/console/login", status_code=303)
    clear_session(response, request)
    return response


def _filter(estado: str | None, canal: str | None, q: str | None) -> queries.ListFilter:
    state = estado if estado in queries.STATES else "active"
    return queries.ListFilter(
        state=state, channel=(canal or None), q=(q or "").strip()[:100] or None
    )


async def _waiting(console: StaffConsole) -> int:
    async with console.sessions() as session:
        return (await queries.counts(session))["waiting_human"]


async def _list_fragment(console: StaffConsole, user: StaffUser, flt: queries.ListFilter) -> str:
    async with console.sessions() as session:
        rows, total = await queries.list_conversations(session, flt, staff_id=user.staff.id)
    return pages.list_fragment(
        rows, total, currency=console.settings.currency, zone=console.policy.timezone
    )


@router.get("")
async def conversation_list(
    console: ConsoleDep,
    user: StaffDep,
    estado: str | None = None,
    canal: str | None = None,
    q: str | None = None,
) -> HTMLResponse:
    """The list of conversations, waiting first."""
    flt = _filter(estado, canal, q)
    fragment = await _list_fragment(console, user, flt)
    async with console.sessions() as session:
        channels = await queries.channels_in_use(session)
        waiting = (await queries.counts(session))["waiting_human"]
    return html(
        pages.list_page(
            shop=console.settings.shop_name,
            staff=user.staff,
            csrf=user.csrf_token,
            flt=flt,
            channels=channels,
            fragment=fragment,
            waiting=waiting,
        )
    )


@router.get("/list")
async def list_fragment(
    console: ConsoleDep,
    user: StaffDep,
    estado: str | None = None,
    canal: str | None = None,
    q: str | None = None,
) -> HTMLResponse:
    """The list's table alone (the script refreshes it when the feed says so)."""
    return html(await _list_fragment(console, user, _filter(estado, canal, q)))


@router.get("/counts")
async def waiting_counts(console: ConsoleDep, user: StaffDep) -> JSONResponse:
    """How many conversations wait for a person, and how many staff have (the badge)."""
    async with console.sessions() as session:
        found = await queries.counts(session)
    return JSONResponse(found, headers={"cache-control": "no-store"})


async def _live(console: StaffConsole, user: StaffUser, conversation_id: int) -> tuple[Any, str]:
    async with console.sessions() as session:
        view = await queries.conversation_view(session, conversation_id)
        if view is None:
            raise NotFoundError(_("console.not_found.conversation", id=conversation_id))
        people = await queries.active_staff(session)
    context = staff_context(view, currency=console.settings.currency)
    phrase = console.llm is not None and console.llm.service.enabled
    live = pages.live_fragment(
        view,
        context,
        staff=user.staff,
        csrf=user.csrf_token,
        people=people,
        currency=console.settings.currency,
        zone=console.policy.timezone,
        phrase=phrase,
    )
    return view, live


@router.get("/conversations/{conversation_id}")
async def conversation_page(
    conversation_id: int,
    console: ConsoleDep,
    user: StaffDep,
    aviso: str | None = None,
) -> HTMLResponse:
    """One conversation: state, history, context, and the forms to act on it."""
    try:
        view, live = await _live(console, user, conversation_id)
    except NotFoundError:
        page = pages.error_page(
            shop=console.settings.shop_name,
            title=_("console.not_found"),
            message=_("console.not_found.conversation", id=conversation_id),
        )
        return html(page, 404)
    async with console.sessions() as session:
        leads = await lead_queries.leads_of_conversation(session, conversation_id)
    links = [
        (lead.id, _("leads.conversation_link", kind=KINDS[lead.kind], status=STATUSES[lead.status]))
        for lead in leads
    ]
    rows = await ProposalDesk(console).rows(conversation_id=conversation_id)
    return html(
        pages.conversation_page(
            shop=console.settings.shop_name,
            staff=user.staff,
            csrf=user.csrf_token,
            view=view,
            live=live,
            notice=aviso,
            waiting=await _waiting(console),
            leads=links,
            proposals=proposals_fragment(rows, user, conversation_id=conversation_id),
        )
    )


@router.get("/conversations/{conversation_id}/live")
async def conversation_live(conversation_id: int, console: ConsoleDep, user: StaffDep) -> Response:
    """The conversation's live part alone (state, actions, history, context)."""
    _, live = await _live(console, user, conversation_id)
    return html(live)


@router.get("/conversations/{conversation_id}/summary")
async def conversation_summary(
    conversation_id: int, console: ConsoleDep, user: StaffDep
) -> JSONResponse:
    """The summary for staff, written by the configured model when it can (else the code's)."""
    async with console.sessions() as session:
        view = await queries.conversation_view(session, conversation_id)
    if view is None:
        raise NotFoundError(_("console.not_found.conversation", id=conversation_id))
    context = staff_context(view, currency=console.settings.currency)
    phrased = await console.phrased_summary(view, context)
    return JSONResponse(
        {"summary": phrased or context.summary, "phrased": phrased is not None},
        headers={"cache-control": "no-store"},
    )


async def _act(
    request: Request,
    conversation_id: int,
    user: StaffUser,
    done: str,
    action: Callable[[FormData], Awaitable[object]],
) -> Response:
    """Run an action on the posted form; JSON for the script, a redirect back for a plain form."""
    await check_csrf(request, user)
    scripted = "application/json" in request.headers.get("accept", "")
    back = f"/console/conversations/{conversation_id}"
    try:
        await action(await request.form())
    except OwnershipConflict as err:
        conflict = {"detail": str(err), "code": "conflict", "owner": err.owner.value}
        return (
            JSONResponse(conflict, status_code=409) if scripted else _back_with(back, str(err), 409)
        )
    except NotAllowed as err:
        return JSONResponse({"detail": str(err), "code": "not_allowed"}, status_code=403)
    except InvalidInputError as err:
        invalid = {"detail": str(err), "code": "invalid", "field": err.field}
        return (
            JSONResponse(invalid, status_code=422) if scripted else _back_with(back, str(err), 422)
        )
    if scripted:
        return JSONResponse({"ok": True, "notice": pages.NOTICES.get(done, "")})
    return RedirectResponse(f"{back}?aviso={done}", status_code=303)


def _back_with(back: str, message: str, code: int) -> HTMLResponse:
    return html(pages.refused_page(message=message, back=back), code)


def _text(form: FormData, name: str = "text") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _staff_id(form: FormData) -> int:
    chosen = _text(form, "staff_id")
    if not chosen.isdigit():
        raise InvalidInputError(_("console.error.choose_staff"), field="staff_id")
    return int(chosen)


@router.post("/conversations/{conversation_id}/take")
async def take(
    request: Request, conversation_id: int, console: ConsoleDep, user: StaffDep
) -> Response:
    """Take the conversation: the bot stops answering it."""
    return await _act(
        request, conversation_id, user, "taken", lambda _: console.take(user.staff, conversation_id)
    )


@router.post("/conversations/{conversation_id}/reply")
async def reply(
    request: Request, conversation_id: int, console: ConsoleDep, user: StaffDep
) -> Response:
    """Answer the customer on their own channel (taking the conversation)."""
    return await _act(
        request,
        conversation_id,
        user,
        "replied",
        lambda form: console.reply(user.staff, conversation_id, _text(form)),
    )


@router.post("/conversations/{conversation_id}/note")
async def note(
    request: Request, conversation_id: int, console: ConsoleDep, user: StaffDep
) -> Response:
    """Add an internal note."""
    return await _act(
        request,
        conversation_id,
        user,
        "noted",
        lambda form: console.note(user.staff, conversation_id, _text(form)),
    )


@router.post("/conversations/{conversation_id}/hand-back")
async def hand_back(
    request: Request, conversation_id: int, console: ConsoleDep, user: StaffDep
) -> Response:
    """Give the conversation back to the bot, its sale as it was."""
    return await _act(
        request,
        conversation_id,
        user,
        "handed_back",
        lambda form: console.hand_back(user.staff, conversation_id, _text(form, "note")),
    )


@router.post("/conversations/{conversation_id}/reassign")
async def reassign(
    request: Request, conversation_id: int, console: ConsoleDep, user: ManagerDep
) -> Response:
    """A manager gives the conversation to another staff member."""
    return await _act(
        request,
        conversation_id,
        user,
        "reassigned",
        lambda form: console.reassign(user.staff, conversation_id, _staff_id(form)),
    )


@router.post("/conversations/{conversation_id}/deliveries/{outbox_id}/{action}")
async def delivery(
    request: Request,
    conversation_id: int,
    outbox_id: int,
    action: Literal["retry", "give-up"],
    console: ConsoleDep,
    user: StaffDep,
) -> Response:
    """A reply that did not reach the customer: try it again now (`retry`), or stop retrying
    it (`give-up`) and the staff member follows the customer up instead."""
    if action == "retry":
        done, step = "delivery_retried", console.retry_delivery
    else:
        done, step = "delivery_given_up", console.give_up_delivery
    return await _act(
        request, conversation_id, user, done, lambda _: step(user.staff, conversation_id, outbox_id)
    )


@router.get("/reports")
async def reports(
    console: ConsoleDep, user: ManagerDep, dias: Annotated[int, Query(ge=1, le=365)] = 7
) -> HTMLResponse:
    """The managers' report: handoffs by reason, waits, what each person did."""
    async with console.sessions() as session:
        report = await queries.handoff_report(session, days=dias)
    return html(
        pages.reports_page(
            shop=console.settings.shop_name,
            staff=user.staff,
            csrf=user.csrf_token,
            report=report,
            zone=console.policy.timezone,
            waiting=report.waiting_now,
        )
    )


@router.websocket("/ws")
async def live(websocket: WebSocket) -> None:
    """The live feed: every change of a conversation, as JSON events, to logged-in staff."""
    console = console_of(websocket)
    user = await session_user(websocket, console)
    await websocket.accept()
    if user is None or not same_origin(websocket):
        await websocket.close(status.WS_1008_POLICY_VIOLATION, "log in to the staff console")
        return
    async with console.feed.subscribe() as listener:
        await websocket.send_json({"type": "hello", "staff": user.staff.name})

        async def beat() -> None:
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                listener.put({"type": "ping"})

        async def send() -> None:
            while True:
                event = await listener.get()
                if listener.overflowed:
                    await websocket.close(status.WS_1013_TRY_AGAIN_LATER, "too slow")
                    return
                if listener.lost:  # the feed broke: the page reconnects and reads everything
                    await websocket.close(status.WS_1012_SERVICE_RESTART, "feed restarted")
                    return
                await websocket.send_json(event)

        async def read() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await websocket.receive_text()

        tasks = [asyncio.create_task(job()) for job in (beat, send, read)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
