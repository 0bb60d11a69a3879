"""Who may see the shop's reports: an API key, or a manager logged in to the staff console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from agent.errors import AuthenticationError
from agent.models import StaffRole
from agent.provided import SessionDep
from agent.ratelimit import RateLimiter
from agent.shops.current import DEFAULT_SHOP_ID
from console.auth import CONSOLE, session_user
from shop_api.auth import api_rate_limiter, bearer, key_header, require_api_key


@dataclass(frozen=True, slots=True)
class Requester:
    """Who made a manager's request: a console manager (`staff`) or an API key (`api`)."""

    kind: Literal["staff", "api"]
    name: str
    """The staff member's user name, or the API key's name."""

    @property
    def label(self) -> str:
        """`staff:<username>` or `api:<key name>`, as `export_jobs.requested_by` keeps it."""
        return f"{self.kind}:{self.name}"


async def require_manager_or_key(
    request: Request,
    session: SessionDep,
    limiter: Annotated[RateLimiter | None, Depends(api_rate_limiter)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(key_header)],
) -> Requester:
    """An API key (checked as the REST API checks it) or a console manager's session.

    401 with neither; 403 for a console agent who is not a manager. A key that was sent wins
    over the cookie, so a wrong key is refused even from a logged-in browser.
    """
    if credentials is not None or header_key:
        key = await require_api_key(request, session, limiter, credentials, header_key)
        _default_shop_only(key.shop_id)
        return Requester("api", key.name)
    console = CONSOLE.find(request)
    user = await session_user(request, console) if console is not None else None
    if user is None:
        raise AuthenticationError(
            "an API key ('Authorization: Bearer <key>') or a console manager's session is required"
        )
    if user.staff.role != StaffRole.MANAGER:
        raise HTTPException(403, "only managers can do this")
    _default_shop_only(user.staff.shop_id)
    return Requester("staff", user.staff.username)


def _default_shop_only(shop_id: int) -> None:
    """Reports read every shop's rows until they are per shop (README "Shops")."""
    if shop_id != DEFAULT_SHOP_ID:
        raise HTTPException(403, "reports are not per shop yet: only the default shop's")


ManagerOrKeyDep = Annotated[Requester, Depends(require_manager_or_key)]
