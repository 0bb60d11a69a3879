"""Console sessions as the browser holds them: cookies, the CSRF check, the login limits.

The session cookie is HttpOnly, SameSite=Lax, limited to `/console`, and Secure whenever the
console is served over https (directly, or behind a proxy trusted by FORWARDED_ALLOW_IPS). Every
state-changing request carries the session's CSRF token (a form field or `X-CSRF-Token`); the
login form, before any session, carries a token matched against its own cookie. A request
whose `Origin` is another site is refused too.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request, WebSocket
from fastapi.responses import Response
from starlette.requests import HTTPConnection

from agent import staff as accounts
from agent.models import Staff, StaffRole, utcnow
from agent.provided import Provided
from agent.ratelimit import Decision, client_address
from agent.shops.current import DEFAULT_SHOP_ID, all_shops, shop_scope
from console.service import StaffConsole

SESSION_COOKIE = "salesagent_staff"
LOGIN_COOKIE = "salesagent_login"
COOKIE_PATH = "/console"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class StaffUser:
    """The staff member of a request, with the session's CSRF token."""

    staff: Staff
    csrf_token: str
    token: str


CONSOLE = Provided("console", StaffConsole)
"""The staff console: live feed, staff actions, notifications, the waiting watch."""
ConsoleDep = Annotated[StaffConsole, Depends(CONSOLE.get)]


def console_of(connection: HTTPConnection) -> StaffConsole:
    """The product's console (for a request or a socket)."""
    return CONSOLE.get(connection)


def served_securely(request: Request | WebSocket) -> bool:
    """Whether the browser reached the console over https (or wss)."""
    return request.url.scheme in ("https", "wss")


def set_session(response: Response, request: Request, token: str, expires: datetime) -> None:
    """Give the browser its session cookie, for as long as the session lasts (Max-Age, so a
    browser whose clock is wrong keeps it as long as the server does)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int((expires - utcnow()).total_seconds())),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=served_securely(request),
    )


def clear_session(response: Response, request: Request) -> None:
    """Take the session cookie back."""
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=served_securely(request),
    )


def login_token(request: Request) -> str:
    """The login form's CSRF token: the one its cookie holds, or a new one."""
    current = request.cookies.get(LOGIN_COOKIE, "")
    return current if 20 <= len(current) <= 100 else secrets.token_urlsafe(32)


def set_login_token(response: Response, request: Request, token: str) -> None:
    """Keep the login form's CSRF token in its own short-lived cookie."""
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=served_securely(request),
    )


def same_origin(request: Request | WebSocket) -> bool:
    """False when the request says it comes from another site (`Origin`)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


async def check_csrf(request: Request, user: StaffUser) -> None:
    """Refuse (403) a state-changing request without the session's token or from elsewhere."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else None
    if not same_origin(request) or not tokens_match(given, user.csrf_token):
        raise HTTPException(403, "the request's CSRF token is missing or wrong; reload the page")


async def session_user(request: Request | WebSocket, console: StaffConsole) -> StaffUser | None:
    """The staff member whose session cookie came with the request, if it is live."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    with all_shops():  # the cookie says who it is; who it is says the shop
        async with console.sessions() as session:
            row = await accounts.find_session(session, token)
    if row is None:
        return None
    return StaffUser(row.staff, row.csrf_token, token)


def wants_html(request: Request) -> bool:
    """Whether the request is a browser's page load (not the script's fetch)."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.method == "GET"


async def require_staff(request: Request, console: ConsoleDep) -> AsyncIterator[StaffUser]:
    """The logged-in staff member, whose shop the request then sees only; a page load is sent
    to the login form, the rest get 401."""
    user = await session_user(request, console)
    if user is not None:
        with shop_scope(user.staff.shop_id):
            yield user
        return
    if wants_html(request):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        raise HTTPException(
            303, "log in first", headers={"location": f"/console/login?next={target}"}
        )
    raise HTTPException(401, "log in to the staff console first")


StaffDep = Annotated[StaffUser, Depends(require_staff)]


class ManagersOnly(HTTPException):
    """A staff member who is not a manager asked for a manager's page or action (403)."""

    def __init__(self) -> None:
        super().__init__(403, "only managers can do this")


async def require_manager(user: StaffDep) -> StaffUser:
    """A manager (403 for an agent: a page saying so for a page load, JSON for the rest)."""
    if user.staff.role != StaffRole.MANAGER:
        raise ManagersOnly()
    return user


ManagerDep = Annotated[StaffUser, Depends(require_manager)]


async def require_report_reader(user: ManagerDep) -> StaffUser:
    """A manager of the default shop: reports, exports and the dashboard read every shop's
    rows until they are per shop (README "Shops"), so another shop's managers get 403."""
    if user.staff.shop_id != DEFAULT_SHOP_ID:
        raise HTTPException(403, "reports are not per shop yet: only the default shop's managers")
    return user


ReportReaderDep = Annotated[StaffUser, Depends(require_report_reader)]


async def login_allowed(request: Request, console: StaffConsole, username: str) -> Decision:
    """Spend one login attempt of the address and of the user name."""
    by_address = await console.logins_by_address.hit(f"ip:{client_address(request.scope)}")
    by_name = await console.logins_by_name.hit(f"user:{username.strip().lower()[:64]}")
    if not by_address.allowed:
        return by_address
    return by_name


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a console path, never another site."""
    if not target or not target.startswith("/console") or target.startswith("//"):
        return "/console"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/console"
    return target
