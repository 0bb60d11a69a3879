"""Who may call the REST API: a valid API key, within its rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from agent.api_keys import authenticate
from agent.errors import AuthenticationError, RateLimitedError
from agent.models import ApiKey
from agent.provided import SessionDep
from agent.ratelimit import RateLimiter, client_address
from agent.shops.current import all_shops
from agent.shops.scoping import SHOP_KEY

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer sk_live_...` with a key from `salesagent apikey create`.",
)
key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="x-api-key",
    description="The same key in an `X-API-Key` header, for clients that cannot set Bearer.",
)


def api_rate_limiter(request: Request) -> RateLimiter | None:
    """The per-key limiter of this app (None when the limit is off)."""
    limiter: RateLimiter | None = getattr(request.app.state, "api_rate_limiter", None)
    return limiter


async def require_api_key(
    request: Request,
    session: SessionDep,
    limiter: Annotated[RateLimiter | None, Depends(api_rate_limiter)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(key_header)],
) -> ApiKey:
    """The caller's key, whose shop the request then sees only: 401 without a valid one, 429
    when it is over its rate or its address sent too many wrong keys (then no key it sends is
    even checked, until `Retry-After`)."""
    key = credentials.credentials if credentials is not None else header_key
    if not key:
        raise AuthenticationError(
            "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        )
    failures: RateLimiter | None = getattr(request.app.state, "api_key_failures", None)
    address = f"ip:{client_address(request.scope)}"
    if failures is not None:
        blocked = await failures.check(address)
        if not blocked.allowed:
            raise RateLimitedError(
                f"too many wrong API keys from this address; try again in {blocked.retry_after} s",
                retry_after=blocked.retry_after,
            )
    with all_shops():  # a key is the deployment's: the shop it belongs to follows from it
        row = await authenticate(session, key=key.strip())
        await session.commit()  # the request's own reads begin anew, told its shop
    if row is not None:
        # The request's session (one per request) sees the key's shop only from here on.
        session.sync_session.info[SHOP_KEY] = row.shop_id
    if row is None:
        if failures is not None:
            await failures.hit(address)
        raise AuthenticationError(
            "the API key is not valid or has been revoked", error="invalid_token"
        )
    if limiter is not None:
        decision = await limiter.hit(f"key:{row.id}")
        if not decision.allowed:
            raise RateLimitedError(
                f"too many requests with this API key; try again in {decision.retry_after} s",
                retry_after=decision.retry_after,
            )
    return row


ApiKeyDep = Annotated[ApiKey, Depends(require_api_key)]
