"""Puts the REST API on an app: its routes, its per-key rate limit and its error answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agent.errors import AuthenticationError, ConflictError, RateLimitedError
from agent.ratelimit import shared_limiter
from agent.settings import Settings
from shop_api.routes import router

TAGS = [
    {"name": "products", "description": "The catalog: search, create, change, stock."},
    {"name": "customers", "description": "Buyers by cédula, with their purchase history."},
    {"name": "orders", "description": "Orders taken by the agent; cancel returns the stock."},
    {"name": "conversations", "description": "Chats on every channel, with their messages."},
]


def mount_api(app: FastAPI, settings: Settings) -> None:
    """Add the `/api/v1` routes, the per-key limiter and the 401/409/429 answers to `app`."""
    app.state.api_rate_limiter = shared_limiter(
        settings, settings.api_rate_limit_per_minute, settings.api_rate_limit_burst, name="api"
    )
    app.state.api_key_failures = shared_limiter(
        settings,
        settings.api_key_failures_per_minute,
        settings.api_key_failures_burst,
        name="api-key-failures",
    )
    app.include_router(router)
    app.openapi_tags = [*(app.openapi_tags or []), *TAGS]
    app.add_exception_handler(AuthenticationError, _unauthenticated)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(RateLimitedError, _rate_limited)


async def _unauthenticated(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthenticationError)
    challenge = 'Bearer realm="salesagent"'
    if exc.error:
        challenge += f', error="{exc.error}"'
    return JSONResponse(
        {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": challenge}
    )


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return JSONResponse({**exc.details, "detail": str(exc)}, status_code=409)


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitedError)
    return JSONResponse(
        {"detail": str(exc), "retry_after": exc.retry_after},
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )
